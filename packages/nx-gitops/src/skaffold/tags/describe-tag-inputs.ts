import { parseGoTemplate, templateFields } from '../go-template';
import type { TagPolicy } from '../types';
import { BUILT_IN_COMPONENTS } from './custom-template';
import { normalizeGitCommitVariant } from './git-commit';
import { selectTagPolicy } from './select-tag-policy';

/**
 * The git facts a tag can be made of, each read repository-wide: `commit` (HEAD's id and the trees under it),
 * `tags` (`git describe --tags --always`: the tags on or before HEAD) and `branch` (the checked-out branch).
 */
export type GitState = 'commit' | 'tags' | 'branch';

/** What a tag policy reads besides the manifests, for the Nx plugin's cache inputs. */
export interface TagInputs {
  /** The git facts the tag is made of, sorted; empty when no git tagger is used. */
  gitState: GitState[];
  /**
   * The tag depends on the files of the artifact's context: their digest (inputDigest) or whether they
   * differ from HEAD (the `-dirty` suffix of gitCommit without `ignoreChanges`).
   */
  readsContext: boolean;
  /** Environment variables the tag reads (envTemplate fields), sorted. */
  envVars: string[];
  /** The tag differs on every run (dateTime), so a cached render is never valid. */
  nondeterministic: boolean;
}

/** Field names of a template; a template we cannot parse still declares every `.NAME` it mentions. */
export function templateFieldNames(template: string | undefined): string[] {
  try {
    return templateFields(parseGoTemplate('template', template ?? ''));
  } catch {
    return [...new Set([...(template ?? '').matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]))];
  }
}

/** The git facts a gitCommit variant reads; an unknown variant (an error at render) is treated as the widest. */
function gitStateOf(variant: string | undefined): GitState[] {
  let canonical: string;
  try {
    canonical = normalizeGitCommitVariant(variant);
  } catch {
    return ['branch', 'commit', 'tags'];
  }
  switch (canonical) {
    case 'Tags':
      // describe falls back to the abbreviated commit when no tag is reachable.
      return ['commit', 'tags'];
    case 'Branches':
      // skaffold falls back to the abbreviated commit when git cannot name the branch.
      return ['branch', 'commit'];
    default:
      return ['commit'];
  }
}

/**
 * Describes what the tag policy `policy` depends on, choosing the policy as skaffold does. Never throws: a
 * broken policy is reported by the render, not by project inference.
 */
export function describeTagInputs(policy: TagPolicy | undefined): TagInputs {
  const envVars = new Set<string>();
  const gitState = new Set<GitState>();
  let readsContext = false;
  let nondeterministic = false;
  const visit = (current: TagPolicy | undefined, depth: number) => {
    const selected = selectTagPolicy(current);
    switch (selected.kind) {
      case 'gitCommit':
        for (const state of gitStateOf(selected.config.variant)) gitState.add(state);
        if (!selected.config.ignoreChanges) readsContext = true;
        break;
      case 'dateTime':
        nondeterministic = true;
        break;
      case 'envTemplate':
        for (const field of templateFieldNames(selected.config.template)) if (field !== 'IMAGE_NAME') envVars.add(field);
        break;
      case 'customTemplate': {
        if (depth > 0) break;
        const components = new Map((selected.config.components ?? []).map((component) => [component.name, component] as const));
        for (const field of templateFieldNames(selected.config.template)) {
          const component =
            components.get(field) ??
            (Object.prototype.hasOwnProperty.call(BUILT_IN_COMPONENTS, field) ? BUILT_IN_COMPONENTS[field] : undefined);
          if (component) visit(component, depth + 1);
        }
        break;
      }
      case 'inputDigest':
        readsContext = true;
        break;
      case 'sha256':
        break;
    }
  };
  visit(policy, 0);
  return { gitState: [...gitState].sort(), readsContext, envVars: [...envVars].sort(), nondeterministic };
}
