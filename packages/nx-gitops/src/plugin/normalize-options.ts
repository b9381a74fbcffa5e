import { validatePluginOptions } from '../generated/plugin-options-validator';
import { GitopsError } from '../lib/errors';
import { templateUses } from '../publish/templates';
import { DEFAULT_PLUGIN_OPTIONS, type NxGitopsPluginOptions } from './options';
import { pluginOptionsSchema } from './options-schema';

export { pluginOptionsSchema } from './options-schema';

/** Plugin options with every default filled in. */
export type NormalizedPluginOptions = Required<Pick<NxGitopsPluginOptions, keyof typeof DEFAULT_PLUGIN_OPTIONS>> &
  Omit<NxGitopsPluginOptions, keyof typeof DEFAULT_PLUGIN_OPTIONS>;

/** What is wrong with a set of plugin options: the option's name (a dotted path) and why. */
export interface PluginOptionsProblem {
  option: string;
  message: string;
}

/**
 * The first problem of `options` against {@link pluginOptionsSchema} (the one schema the plugin, the `init`
 * generator and the README's option table share), or undefined when they are valid.
 */
export function pluginOptionsProblem(options: NxGitopsPluginOptions): PluginOptionsProblem | undefined {
  if (!validatePluginOptions(options)) {
    const error = validatePluginOptions.errors![0];
    const path = error.instancePath.slice(1).replace(/\//g, '.');
    if (error.keyword === 'additionalProperties') {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      return { option: path ? `${path}.${extra}` : extra, message: `is not an nx-gitops plugin option (known: ${Object.keys(pluginOptionsSchema.properties).join(', ')})` };
    }
    if (error.keyword === 'pattern' && /TargetName$/.test(path)) {
      return { option: path, message: 'must be a target name of letters, digits, "-" and "_", starting with a letter or digit' };
    }
    return { option: path || 'options', message: error.message ?? 'is invalid' };
  }
  if (options.renderTargetName && options.renderTargetName === (options.publishTargetName ?? DEFAULT_PLUGIN_OPTIONS.publishTargetName)) {
    return { option: 'renderTargetName', message: 'must differ from publishTargetName' };
  }
  if (options.publishTargetName && options.publishTargetName === (options.renderTargetName ?? DEFAULT_PLUGIN_OPTIONS.renderTargetName)) {
    return { option: 'publishTargetName', message: 'must differ from renderTargetName' };
  }
  const names = { ...DEFAULT_PLUGIN_OPTIONS, ...options };
  if (options.activePath !== undefined) {
    if (!templateUses(options.activePath, 'project')) return { option: 'activePath', message: 'must name {project}, e.g. "apps/{project}": two services never share a folder' };
    if (templateUses(names.branch, 'project')) {
      return { option: 'branch', message: `must not name {project} with activePath (one branch per environment holds every service), e.g. "environment/{environment}", not "${names.branch}"` };
    }
  }
  if (options.diffTargetName && (options.diffTargetName === names.renderTargetName || options.diffTargetName === names.publishTargetName)) {
    return { option: 'diffTargetName', message: 'must differ from renderTargetName and publishTargetName' };
  }
  return undefined;
}

/**
 * Validates the plugin options from `nx.json` and fills in the defaults. An invalid option fails with its
 * name and what it must be.
 */
export function normalizePluginOptions(options: NxGitopsPluginOptions | undefined): NormalizedPluginOptions {
  const given = options ?? {};
  const problem = pluginOptionsProblem(given);
  if (problem) {
    throw new GitopsError(`Invalid nx-gitops plugin option "${problem.option}": ${problem.message}.`, {
      hint: 'Fix the "options" of the nx-gitops entry in nx.json "plugins".',
    });
  }
  return { ...DEFAULT_PLUGIN_OPTIONS, ...given };
}
