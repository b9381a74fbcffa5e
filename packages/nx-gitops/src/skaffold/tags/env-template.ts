import { GitopsError } from '../../lib/errors';
import { executeGoTemplate, NO_VALUE, parseGoTemplate, templateFields } from '../go-template';

/** Inputs of {@link envTemplateTag}. */
export interface EnvTemplateTagInput {
  template: string;
  imageName: string;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The envTemplate tag: the template run over the environment plus `IMAGE_NAME` (which wins over an
 * environment variable of that name), with Go's `missingkey=invalid`. Any `<no value>` in the result is an
 * error naming the missing variables, as in skaffold.
 */
export function envTemplateTag({ template, imageName, env }: EnvTemplateTagInput): string {
  const parsed = parseGoTemplate('envTemplate', template);
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) data[key] = value;
  data.IMAGE_NAME = imageName;
  const tag = executeGoTemplate(parsed, data, { missingKey: 'invalid' });
  if (tag.includes(NO_VALUE)) {
    const missing = templateFields(parsed).filter((field) => !(field in data));
    throw new GitopsError(
      `Environment variables missing for the envTemplate ${JSON.stringify(template)}: ${missing.join(', ') || 'unknown'}.`,
      { hint: `Set ${missing.join(', ') || 'the variables'} in the environment of the render, or give a fallback with {{default "value" .NAME}} in build.tagPolicy.envTemplate.template.` },
    );
  }
  return tag;
}
