import { GitopsError } from '../lib/errors';
import { locateInConfigFile, type ResolvedConfig } from './config';
import type { Profile, SkaffoldConfig } from './types';
import { findConfigProblem } from './validate-config';

/** Object paths (dot-joined) that skaffold replaces whole when a profile sets them: oneOf groups and pointers. */
const REPLACED_WHOLE = new Set([
  'build.tagPolicy',
  'build.local',
  'build.googleCloudBuild',
  'build.cluster',
  'manifests.kustomize',
  'manifests.helm',
  'manifests.kpt',
  'manifests.transform',
  'manifests.validate',
  'manifests.hooks',
  'deploy.kubectl',
  'deploy.helm',
  'deploy.kpt',
  'deploy.docker',
  'deploy.cloudrun',
]);

/** Build-type keys that form one oneOf group in skaffold: setting one in a profile drops the others. */
const BUILD_TYPES = ['local', 'googleCloudBuild', 'cluster'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Go's zero value test, as skaffold's overlay uses it: zero scalars and empty lists do not override. */
function isZero(value: unknown): boolean {
  return value === undefined || value === null || value === '' || value === 0 || value === false || (Array.isArray(value) && value.length === 0);
}

function overlay(base: unknown, override: unknown, path: string): unknown {
  if (isZero(override)) return base;
  if (!isPlainObject(override) || !isPlainObject(base) || REPLACED_WHOLE.has(path)) return structuredClone(override);
  const result: Record<string, unknown> = { ...base };
  if (path === 'build' && BUILD_TYPES.some((type) => override[type] !== undefined)) {
    for (const type of BUILD_TYPES) delete result[type];
  }
  for (const [key, value] of Object.entries(override)) {
    result[key] = overlay(base[key], value, path ? `${path}.${key}` : key);
  }
  return result;
}

/**
 * Overlays one profile on a config the way skaffold does: field by field over objects, with lists, oneOf
 * groups (tag policy, build type) and pointer sections (e.g. `manifests.kustomize`) replaced whole, and zero
 * values never overriding; then applies the profile's JSON patches. A patch that leaves a field the
 * config's apiVersion does not have, or an invalid artifact image, fails at the patch's line (skaffold
 * would drop such a field silently, so the patch would not do what it says). `documentIndex` (default 0)
 * is the config's document in `file`, used to point at the patch.
 */
export function applyProfile(options: { config: SkaffoldConfig; profile: Profile; file: string; documentIndex?: number }): SkaffoldConfig {
  const { profile } = options;
  let config = structuredClone(options.config);
  const profileIndex = (options.config.profiles ?? []).findIndex((candidate) => candidate.name === profile.name);
  for (const [key, value] of Object.entries(profile)) {
    if (['name', 'activation', 'requiresAllActivations', 'patches'].includes(key)) continue;
    (config as Record<string, unknown>)[key] = overlay(config[key], value, key);
  }
  for (const [index, patch] of (profile.patches ?? []).entries()) {
    try {
      config = applyJsonPatch(config, { ...patch, op: patch.op ?? 'replace' }) as SkaffoldConfig;
    } catch (error) {
      throw new GitopsError(
        `${options.file}: profile "${profile.name}" patch ${index} (${patch.op ?? 'replace'} ${patch.path}) cannot be applied: ${(error as Error).message}`,
        { hint: 'Fix the patch path in that profile.' },
      );
    }
    assertPatchedConfigValid({ ...options, config, apiVersion: options.config.apiVersion, profileIndex, patchIndex: index });
  }
  return config;
}

/** Fails when a profile's patch left the config with something its apiVersion rejects. */
function assertPatchedConfigValid(options: {
  config: SkaffoldConfig;
  apiVersion: string;
  profile: Profile;
  file: string;
  documentIndex?: number;
  profileIndex: number;
  patchIndex: number;
}): void {
  const { config, profile, profileIndex, patchIndex } = options;
  const problem = findConfigProblem(config, { apiVersion: options.apiVersion, layout: 'upgraded' });
  if (!problem) return;
  const patch = profile.patches![patchIndex];
  const where = locateInConfigFile({
    file: options.file,
    documentIndex: options.documentIndex ?? 0,
    path: profileIndex < 0 ? [] : ['profiles', profileIndex, 'patches', patchIndex],
  });
  throw new GitopsError(`${where}: profile "${profile.name}" patch ${patchIndex} (${patch.op ?? 'replace'} ${patch.path}) makes the config invalid: ${problem.message}.`, {
    hint: `${problem.hint} It comes from this patch: fix its path or value.`,
  });
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`"${pointer}" is not a JSON pointer`);
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(document: unknown, segments: string[]): { parent: Record<string, unknown> | unknown[]; key: string } {
  let current: unknown = document;
  for (const segment of segments.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(segment)];
    else if (isPlainObject(current)) current = current[segment];
    else current = undefined;
    if (current === undefined) throw new Error(`path segment "${segment}" does not exist`);
  }
  if (!Array.isArray(current) && !isPlainObject(current)) throw new Error('parent is not an object or list');
  return { parent: current, key: segments[segments.length - 1] };
}

function arrayIndex(list: unknown[], key: string, forInsert: boolean): number {
  if (key === '-' && forInsert) return list.length;
  if (!/^\d+$/.test(key)) throw new Error(`"${key}" is not a list index`);
  const index = Number(key);
  if (index > list.length || (!forInsert && index >= list.length)) throw new Error(`index ${index} is out of range`);
  return index;
}

function getAt(document: unknown, segments: string[]): unknown {
  if (segments.length === 0) return document;
  const { parent, key } = parentOf(document, segments);
  const value = Array.isArray(parent) ? parent[arrayIndex(parent, key, false)] : parent[key];
  if (value === undefined) throw new Error(`"${key}" does not exist`);
  return value;
}

function removeAt(document: unknown, segments: string[]): unknown {
  const { parent, key } = parentOf(document, segments);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false), 1)[0];
  if (!(key in parent)) throw new Error(`"${key}" does not exist`);
  const value = parent[key];
  delete parent[key];
  return value;
}

function addAt(document: unknown, segments: string[], value: unknown): unknown {
  if (segments.length === 0) return value;
  const { parent, key } = parentOf(document, segments);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true), 0, value);
  else parent[key] = value;
  return document;
}

/**
 * Applies one RFC 6902 operation (`add`, `remove`, `replace`, `move`, `copy`, `test`) to a copy of
 * `document` and returns the result. A path that does not exist throws.
 */
export function applyJsonPatch(document: unknown, patch: { op: string; path: string; value?: unknown; from?: string }): unknown {
  let result = structuredClone(document);
  const segments = decodePointer(patch.path);
  switch (patch.op) {
    case 'add':
      return addAt(result, segments, structuredClone(patch.value));
    case 'remove':
      removeAt(result, segments);
      return result;
    case 'replace':
      getAt(result, segments);
      if (segments.length === 0) return structuredClone(patch.value);
      {
        const { parent, key } = parentOf(result, segments);
        if (Array.isArray(parent)) parent[arrayIndex(parent, key, false)] = structuredClone(patch.value);
        else parent[key] = structuredClone(patch.value);
      }
      return result;
    case 'move': {
      const value = removeAt(result, decodePointer(patch.from ?? ''));
      result = addAt(result, segments, value);
      return result;
    }
    case 'copy':
      return addAt(result, segments, structuredClone(getAt(result, decodePointer(patch.from ?? ''))));
    case 'test':
      if (JSON.stringify(getAt(result, segments)) !== JSON.stringify(patch.value)) throw new Error('test failed');
      return result;
    default:
      throw new Error(`unknown op "${patch.op}"`);
  }
}

/** skaffold's `satisfies`: exact match or unanchored regular expression, `!` negates. */
function satisfies(expected: string, actual: string): boolean {
  if (expected.startsWith('!')) return !satisfies(expected.slice(1), actual);
  if (expected === '') return actual === '';
  if (expected === actual) return true;
  try {
    return new RegExp(expected).test(actual);
  } catch {
    return false;
  }
}

/** What a profile's `activation` is evaluated against. */
export interface ActivationContext {
  env: Record<string, string | undefined>;
  /** The skaffold command being emulated; always `render` here. */
  command: string;
  /** The current kube-context; rendering is offline, so there is none (`''`). */
  kubeContext: string;
}

/** True when the profile's `activation` entries match (ORed, or ANDed with `requiresAllActivations`). */
export function isProfileAutoActivated(profile: Profile, context: ActivationContext): boolean {
  const activations = profile.activation ?? [];
  if (activations.length === 0) return false;
  const matches = activations.map((activation) => {
    if (activation.env !== undefined && activation.env !== '') {
      const separator = activation.env.indexOf('=');
      if (separator < 0) {
        throw new GitopsError(`profile "${profile.name}": activation env "${activation.env}" must be KEY=VALUE.`);
      }
      const key = activation.env.slice(0, separator);
      if (!satisfies(activation.env.slice(separator + 1), context.env[key] ?? '')) return false;
    }
    if (activation.kubeContext !== undefined && activation.kubeContext !== '' && !satisfies(activation.kubeContext, context.kubeContext)) {
      return false;
    }
    if (activation.command !== undefined && activation.command !== '' && !satisfies(activation.command, context.command)) {
      return false;
    }
    return true;
  });
  return profile.requiresAllActivations ? matches.every(Boolean) : matches.some(Boolean);
}

/** A config with the profiles that apply to it applied. */
export interface EnvironmentConfig extends ResolvedConfig {
  /** Profile names applied to this config, in the order they were applied. */
  activeProfiles: string[];
}

/**
 * Applies profiles to every config of a loaded skaffold.yaml (dependencies first) as `skaffold render -p …`
 * does: auto-activated profiles in declaration order, then the requested ones in the order given
 * (`-name` turns one off); requested profiles propagate to dependencies that define them, and
 * `requires[].activeProfiles` activates profiles in dependencies. A requested profile that no config
 * defines fails with the list of known profiles.
 */
export function applyProfilesToConfigs(options: {
  configs: ResolvedConfig[];
  profiles: readonly string[];
  env: Record<string, string | undefined>;
}): EnvironmentConfig[] {
  const requested = options.profiles.filter((name) => !name.startsWith('-'));
  const disabled = new Set(options.profiles.filter((name) => name.startsWith('-')).map((name) => name.slice(1)));
  const known = new Set(options.configs.flatMap(({ config }) => (config.profiles ?? []).map((profile) => profile.name)));
  for (const name of [...requested, ...disabled]) {
    if (!known.has(name)) {
      const list = [...known].sort();
      throw new GitopsError(`Unknown skaffold profile "${name}" in ${options.configs[options.configs.length - 1]?.file ?? 'skaffold.yaml'}.`, {
        hint: list.length ? `Known profiles: ${list.join(', ')}. Fix the "profiles" option or the "environments" plugin option.` : 'This config defines no profiles; remove the "profiles" option.',
      });
    }
  }
  const context: ActivationContext = { env: options.env, command: 'render', kubeContext: '' };
  const activeByKey = new Map<string, string[]>();
  // Dependents come after their dependencies, so walk backwards to know a dependent's profiles first.
  const results: EnvironmentConfig[] = new Array(options.configs.length);
  for (let index = options.configs.length - 1; index >= 0; index--) {
    const resolved = options.configs[index];
    const key = `${resolved.file}#${resolved.documentIndex}`;
    const profiles = resolved.config.profiles ?? [];
    const names: string[] = [];
    const add = (name: string) => {
      if (!disabled.has(name) && !names.includes(name) && profiles.some((profile) => profile.name === name)) names.push(name);
    };
    for (const profile of profiles) if (isProfileAutoActivated(profile, context)) add(profile.name);
    for (const required of resolved.requiredProfiles) {
      const parentActive = activeByKey.get(required.requiredBy) ?? [];
      if (required.activatedBy.length === 0 || required.activatedBy.some((name) => parentActive.includes(name))) add(required.name);
    }
    for (const name of requested) add(name);
    activeByKey.set(key, names);
    let config = resolved.config;
    for (const name of names) {
      config = applyProfile({ config, profile: profiles.find((profile) => profile.name === name)!, file: resolved.file, documentIndex: resolved.documentIndex });
    }
    results[index] = { ...resolved, config, activeProfiles: names };
  }
  return results;
}
