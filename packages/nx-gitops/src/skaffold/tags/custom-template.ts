import { GitopsError } from '../../lib/errors';
import { executeGoTemplate, parseGoTemplate, templateFields } from '../go-template';
import type { CustomTemplateTagger, TagPolicy } from '../types';

/** The components every customTemplate can use without declaring them. */
export const BUILT_IN_COMPONENTS: Readonly<Record<string, TagPolicy>> = {
  GIT: { gitCommit: {} },
  DATE: { dateTime: {} },
  SHA: { sha256: {} },
  INPUT_DIGEST: { inputDigest: {} },
};

const hint = 'Fix build.tagPolicy.customTemplate.components in skaffold.yaml.';

/**
 * The components of a customTemplate by name, user components first, checked as skaffold does: duplicate
 * names, nested customTemplates and components without a tagger are errors even when unused.
 */
export function customTemplateComponents(tagger: CustomTemplateTagger): Map<string, TagPolicy> {
  const components = new Map<string, TagPolicy>();
  for (const component of tagger.components ?? []) {
    const { name, ...policy } = component;
    if (components.has(name)) throw new GitopsError(`multiple components with name ${name} in customTemplate.`, { hint });
    if (policy.customTemplate) {
      throw new GitopsError(`nested customTemplate components are not supported (${name}).`, { hint });
    }
    const kinds = ['envTemplate', 'sha256', 'gitCommit', 'dateTime', 'inputDigest'] as const;
    if (!kinds.some((kind) => policy[kind] !== undefined && policy[kind] !== null)) {
      throw new GitopsError(`unknown component for custom template: ${name}.`, { hint });
    }
    components.set(name, policy);
  }
  return components;
}

/** Inputs of {@link customTemplateTag}. */
export interface CustomTemplateTagInput {
  tagger: CustomTemplateTagger;
  /** Computes one component's tag with the same inputs as the artifact being tagged. */
  componentTag: (policy: TagPolicy, name: string) => Promise<string>;
}

/**
 * The customTemplate tag: evaluates only the components the template names (user components override
 * GIT, DATE, SHA and INPUT_DIGEST), then runs the template with Go's `missingkey=error`.
 */
export async function customTemplateTag({ tagger, componentTag }: CustomTemplateTagInput): Promise<string> {
  const template = parseGoTemplate('customTemplate', tagger.template ?? '');
  const components = customTemplateComponents(tagger);
  const values: Record<string, string> = {};
  for (const field of templateFields(template)) {
    const policy =
      components.get(field) ??
      (Object.prototype.hasOwnProperty.call(BUILT_IN_COMPONENTS, field) ? BUILT_IN_COMPONENTS[field] : undefined);
    if (!policy) {
      throw new GitopsError(`no tagger available for component ${field} of the customTemplate ${JSON.stringify(tagger.template)}.`, {
        hint: `Declare a component named ${field} in build.tagPolicy.customTemplate.components, or use GIT, DATE, SHA or INPUT_DIGEST.`,
      });
    }
    try {
      values[field] = await componentTag(policy, field);
    } catch (cause) {
      const inner = cause instanceof Error ? cause.message : String(cause);
      throw new GitopsError(`evaluating custom template component ${field}: ${inner}`, {
        hint: cause instanceof GitopsError ? cause.hint : hint,
        cause,
      });
    }
  }
  return executeGoTemplate(template, values, { missingKey: 'error' });
}
