import { parseGoTemplate, templateFields } from '../go-template';
import type { TagPolicy } from '../types';
import { BUILT_IN_COMPONENTS } from './custom-template';
import { selectTagPolicy } from './select-tag-policy';

/** What a tag policy reads besides the artifact's files, for the Nx plugin's cache inputs. */
export interface TagInputs {
  /** The tag changes with the checked-out commit (gitCommit, or a customTemplate using it). */
  dependsOnCommit: boolean;
  /** Environment variables the tag reads (envTemplate fields), sorted. */
  envVars: string[];
  /** The tag differs on every run (dateTime), so a cached render is never valid. */
  nondeterministic: boolean;
}

/** Field names of a template; a template we cannot parse still declares every `.NAME` it mentions. */
function fieldsOf(template: string | undefined): string[] {
  try {
    return templateFields(parseGoTemplate('template', template ?? ''));
  } catch {
    return [...new Set([...(template ?? '').matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]))];
  }
}

/**
 * Describes what the tag policy `policy` depends on, choosing the policy as skaffold does. inputDigest
 * depends on the artifact's files only, which the plugin already declares. Never throws: a broken policy
 * is reported by the render, not by project inference.
 */
export function describeTagInputs(policy: TagPolicy | undefined): TagInputs {
  const envVars = new Set<string>();
  let dependsOnCommit = false;
  let nondeterministic = false;
  const visit = (current: TagPolicy | undefined, depth: number) => {
    const selected = selectTagPolicy(current);
    switch (selected.kind) {
      case 'gitCommit':
        dependsOnCommit = true;
        break;
      case 'dateTime':
        nondeterministic = true;
        break;
      case 'envTemplate':
        for (const field of fieldsOf(selected.config.template)) if (field !== 'IMAGE_NAME') envVars.add(field);
        break;
      case 'customTemplate': {
        if (depth > 0) break;
        const components = new Map((selected.config.components ?? []).map((component) => [component.name, component] as const));
        for (const field of fieldsOf(selected.config.template)) {
          const component =
            components.get(field) ??
            (Object.prototype.hasOwnProperty.call(BUILT_IN_COMPONENTS, field) ? BUILT_IN_COMPONENTS[field] : undefined);
          if (component) visit(component, depth + 1);
        }
        break;
      }
      case 'sha256':
      case 'inputDigest':
        break;
    }
  };
  visit(policy, 0);
  return { dependsOnCommit, envVars: [...envVars].sort(), nondeterministic };
}
