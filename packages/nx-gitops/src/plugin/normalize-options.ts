import type Ajv from 'ajv';
import { GitopsError } from '../lib/errors';
import { templateUses } from '../publish/templates';
import { DEFAULT_PLUGIN_OPTIONS, type NxGitopsPluginOptions } from './options';

/** Plugin options with every default filled in. */
export type NormalizedPluginOptions = Required<Pick<NxGitopsPluginOptions, keyof typeof DEFAULT_PLUGIN_OPTIONS>> &
  Omit<NxGitopsPluginOptions, keyof typeof DEFAULT_PLUGIN_OPTIONS>;

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** A target name usable in `nx run <project>:<target>:<configuration>`: no colon, dot or white space. */
const TARGET_NAME = '^[A-Za-z0-9][A-Za-z0-9_-]*$';

/** The JSON schema of the plugin's options in `nx.json`. */
export const pluginOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    renderTargetName: { type: 'string', pattern: TARGET_NAME },
    publishTargetName: { type: 'string', pattern: TARGET_NAME },
    diffTargetName: { type: 'string', pattern: TARGET_NAME },
    defaultEnvironment: { type: 'string', pattern: DNS_LABEL, maxLength: 63 },
    environments: {
      type: 'object',
      // Any name Nx accepts as a configuration; the executors refuse one that would leave dist/manifests.
      propertyNames: { minLength: 1 },
      additionalProperties: { type: 'array', items: { type: 'string', minLength: 1 } },
      minProperties: 1,
    },
    manifestRepository: { type: 'string', minLength: 1 },
    branch: { type: 'string', minLength: 1 },
    path: { type: 'string', minLength: 1 },
    activePath: { type: 'string', minLength: 1 },
    defaultRepo: { type: 'string' },
    digestSource: { enum: ['tag', 'remote', 'none'] },
    propagateProfiles: { type: 'boolean' },
  },
} as const;

type AjvValidate = ReturnType<Ajv['compile']>;
let ajvValidate: AjvValidate | undefined;

/** Ajv's validator of {@link pluginOptionsSchema}, compiled on first use: only options {@link plainlyValid} does not accept need it. */
function validate(options: unknown): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: AjvClass } = require('ajv') as { default: typeof Ajv };
  // validateSchema: false skips compiling the JSON Schema meta-schema (the schema is a tested constant).
  ajvValidate ??= new AjvClass({ allErrors: false, strict: false, validateSchema: false, code: { optimize: false } }).compile(pluginOptionsSchema);
  return ajvValidate(options) as boolean;
}

/** The JSON Schema keywords {@link plainlyValid} understands; a schema using any other is left to Ajv. */
const PLAIN_KEYWORDS = new Set(['type', 'properties', 'additionalProperties', 'pattern', 'minLength', 'maxLength', 'enum', 'items', 'propertyNames', 'minProperties']);

/**
 * A conservative check of `value` against `schema` (the keywords of {@link PLAIN_KEYWORDS}): true only when
 * the value certainly meets it. Valid options, the case on every Nx command, thus never load Ajv (a
 * tenth of a second of every graph computation); anything else goes to Ajv, which says what is wrong.
 */
function plainlyValid(value: unknown, schema: Record<string, unknown>): boolean {
  if (Object.keys(schema).some((keyword) => !PLAIN_KEYWORDS.has(keyword))) return false;
  if (schema.enum !== undefined && !(schema.enum as unknown[]).includes(value)) return false;
  if (schema.type === 'string' || typeof value === 'string') {
    if (typeof value !== 'string' || (schema.type !== undefined && schema.type !== 'string')) return false;
    // JSON Schema counts code points.
    const length = [...value].length;
    if (schema.minLength !== undefined && length < (schema.minLength as number)) return false;
    if (schema.maxLength !== undefined && length > (schema.maxLength as number)) return false;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern as string, 'u').test(value)) return false;
    return true;
  }
  if (schema.type === 'boolean') return typeof value === 'boolean';
  if (schema.type === 'array') {
    return Array.isArray(value) && (schema.items === undefined || value.every((item) => plainlyValid(item, schema.items as Record<string, unknown>)));
  }
  if (schema.type === 'object') {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
    const entries = Object.entries(value);
    const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    if (schema.minProperties !== undefined && entries.length < (schema.minProperties as number)) return false;
    return entries.every(([name, item]) => {
      if (schema.propertyNames !== undefined && !plainlyValid(name, { type: 'string', ...(schema.propertyNames as Record<string, unknown>) })) return false;
      if (Object.hasOwn(properties, name)) return plainlyValid(item, properties[name]);
      if (schema.additionalProperties === false) return false;
      return schema.additionalProperties === undefined || plainlyValid(item, schema.additionalProperties as Record<string, unknown>);
    });
  }
  // Only an enum (checked above) and no type.
  return schema.type === undefined && schema.enum !== undefined;
}

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
  if (!plainlyValid(options, pluginOptionsSchema) && !validate(options)) {
    const error = ajvValidate!.errors![0];
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
