import Ajv from 'ajv';
import { GitopsError } from '../lib/errors';
import { DEFAULT_PLUGIN_OPTIONS, type NxGitopsPluginOptions } from './options';

/** Plugin options with every default filled in. */
export type NormalizedPluginOptions = Required<Pick<NxGitopsPluginOptions, keyof typeof DEFAULT_PLUGIN_OPTIONS>> &
  Omit<NxGitopsPluginOptions, keyof typeof DEFAULT_PLUGIN_OPTIONS>;

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const TARGET_NAME = '^[A-Za-z0-9][A-Za-z0-9:_-]*$';

/** The JSON schema of the plugin's options in `nx.json`. */
export const pluginOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    renderTargetName: { type: 'string', pattern: TARGET_NAME },
    publishTargetName: { type: 'string', pattern: TARGET_NAME },
    defaultEnvironment: { type: 'string', pattern: DNS_LABEL, maxLength: 63 },
    environments: {
      type: 'object',
      propertyNames: { pattern: DNS_LABEL, maxLength: 63 },
      additionalProperties: { type: 'array', items: { type: 'string', minLength: 1 } },
      minProperties: 1,
    },
    manifestRepository: { type: 'string', minLength: 1 },
    branch: { type: 'string', minLength: 1 },
    path: { type: 'string', minLength: 1 },
    defaultRepo: { type: 'string' },
  },
} as const;

// validateSchema: false skips compiling the JSON Schema meta-schema in every plugin worker (the schema is a tested constant).
const validate = new Ajv({ allErrors: false, strict: false, validateSchema: false, code: { optimize: false } }).compile(pluginOptionsSchema);

/**
 * Validates the plugin options from `nx.json` and fills in the defaults. An invalid option fails with its
 * name and what it must be.
 */
export function normalizePluginOptions(options: NxGitopsPluginOptions | undefined): NormalizedPluginOptions {
  const given = options ?? {};
  if (!validate(given)) {
    const error = validate.errors![0];
    const where = `${error.instancePath.slice(1).replace(/\//g, '.') || 'options'}`;
    const extra = error.keyword === 'additionalProperties' ? ` "${(error.params as { additionalProperty: string }).additionalProperty}"` : '';
    throw new GitopsError(`Invalid nx-gitops plugin option ${where}${extra}: ${error.message}.`, {
      hint: 'Fix the "options" of the nx-gitops entry in nx.json "plugins".',
    });
  }
  if (given.renderTargetName && given.renderTargetName === given.publishTargetName) {
    throw new GitopsError('The nx-gitops plugin options renderTargetName and publishTargetName must differ.', {
      hint: 'Fix the "options" of the nx-gitops entry in nx.json "plugins".',
    });
  }
  return { ...DEFAULT_PLUGIN_OPTIONS, ...given };
}
