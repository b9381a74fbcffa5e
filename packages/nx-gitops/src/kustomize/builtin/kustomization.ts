import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { GitopsError } from '../../lib/errors';
import { type ManifestObject, type ManifestValue, isManifestObject, parseManifests } from '../../manifests/yaml';
import { findKustomizationFile } from '../dependencies';

/**
 * A kustomization field, or a use of one, that the built-in engine does not render. `field` names it as
 * the kustomization spells it (`helmCharts`, `patches[0].options`), `file` is the kustomization file.
 */
export class UnsupportedKustomizeFeatureError extends GitopsError {
  constructor(
    readonly field: string,
    readonly file: string,
    detail = '',
  ) {
    super(`The built-in kustomize does not support ${field} (${file})${detail ? `: ${detail}` : ''}.`, {
      hint: 'Install kustomize or kubectl and use option kustomize "binary" or "auto", or remove the field.',
    });
    this.name = 'UnsupportedKustomizeFeatureError';
  }
}

/** The kustomization fields the built-in engine renders; any other field is refused up front. */
export const SUPPORTED_KUSTOMIZATION_FIELDS: readonly string[] = [
  'apiVersion',
  'kind',
  'metadata',
  'resources',
  'bases',
  'components',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'commonLabels',
  'labels',
  'commonAnnotations',
  'images',
  'replicas',
  'patches',
  'patchesStrategicMerge',
  'patchesJson6902',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
];

/** A parsed kustomization (or component) with the directory it lives in. */
export interface LoadedKustomization {
  dir: string;
  file: string;
  isComponent: boolean;
  spec: ManifestObject;
}

/** True for entries kustomize fetches rather than reads from disk. */
export function isRemoteEntry(entry: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(entry) || entry.startsWith('git@') || /\?ref=/.test(entry);
}

/** Reads the kustomization in `dir`; fails when there is none. */
export function loadKustomization(dir: string): LoadedKustomization {
  const file = findKustomizationFile(dir);
  if (!file) {
    throw new GitopsError(`No kustomization.yaml in ${dir}.`, { hint: 'Create the kustomization, or fix the entry that points at this directory.' });
  }
  const documents = parseManifests(readFileSync(file, 'utf8'), file);
  if (documents.length > 1) throw new UnsupportedKustomizeFeatureError('several YAML documents', file);
  const spec = documents[0] ?? {};
  // kustomize refuses a kustomization that sets nothing beyond its type (a `resources: []` is something).
  if (Object.entries(spec).every(([key, value]) => key === 'apiVersion' || key === 'kind' || value === null)) {
    throw new GitopsError(`${file}: kustomization.yaml is empty.`, { hint: 'List its resources, or remove the kustomization.' });
  }
  const kind = spec.kind === undefined ? 'Kustomization' : spec.kind;
  if (kind !== 'Kustomization' && kind !== 'Component') throw new UnsupportedKustomizeFeatureError(`kind ${JSON.stringify(kind)}`, file);
  return { dir: resolve(dir), file, isComponent: kind === 'Component', spec };
}

function fail(field: string, file: string, detail?: string): never {
  throw new UnsupportedKustomizeFeatureError(field, file, detail);
}

function isStringMap(value: ManifestValue | undefined): boolean {
  return value === undefined || value === null || (isManifestObject(value) && Object.values(value).every((item) => typeof item === 'string'));
}

function list(value: ManifestValue | undefined, field: string, file: string): ManifestValue[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(field, file, 'expected a list');
  return value;
}

function only(object: ManifestValue, allowed: readonly string[], field: string, file: string): ManifestObject {
  if (!isManifestObject(object)) fail(field, file, 'expected a mapping');
  for (const key of Object.keys(object)) if (!allowed.includes(key)) fail(`${field}.${key}`, file);
  return object;
}

/** The path with every symbolic link resolved, or the path itself when it does not exist. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * True when `path` lies inside `root` (kustomize's default load restrictor), both with their symbolic links
 * resolved as kustomize resolves them: a link inside the root to a file outside it is outside.
 */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(realPath(root), realPath(path));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function checkLocalFile(k: LoadedKustomization, path: unknown, field: string): void {
  if (typeof path !== 'string') fail(field, k.file, 'expected a file path');
  const absolute = resolve(k.dir, path);
  if (!isWithin(k.dir, absolute)) fail(field, k.file, `${path} is outside the kustomization directory`);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) fail(field, k.file, `${path} is not a file`);
}

const TARGET_FIELDS = ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'];
const GENERATOR_FIELDS = ['name', 'namespace', 'behavior', 'files', 'literals', 'envs', 'env', 'options', 'type'];
const GENERATOR_OPTION_FIELDS = ['labels', 'annotations', 'disableNameSuffixHash', 'immutable'];

function checkSelector(value: ManifestValue | undefined, field: string, file: string): void {
  if (value === undefined) return;
  const target = only(value, TARGET_FIELDS, field, file);
  for (const key of Object.keys(target)) if (typeof target[key] !== 'string') fail(`${field}.${key}`, file, 'expected a string');
  for (const key of ['labelSelector', 'annotationSelector']) {
    const selector = target[key];
    if (typeof selector === 'string' && !/^\s*[\w./-]+\s*(==?\s*[\w.-]*\s*)?(,\s*[\w./-]+\s*(==?\s*[\w.-]*\s*)?)*$/.test(selector)) {
      fail(`${field}.${key}`, file, 'only equality selectors are supported');
    }
  }
  for (const key of ['group', 'version', 'kind', 'name', 'namespace']) {
    const pattern = target[key];
    if (typeof pattern !== 'string') continue;
    // Plain names, and the regular expression constructs Go's RE2 and JavaScript read alike.
    if (!/^[\w.*+?|()[\]-]*$/.test(pattern) || /\(\?|\[\^?\]/.test(pattern)) fail(`${field}.${key}`, file, 'only names and simple regular expressions (. * + ? | ( ) [ ]) are supported');
    try {
      new RegExp(pattern);
    } catch {
      fail(`${field}.${key}`, file, 'the regular expression does not compile');
    }
  }
}

function checkGeneratorOptions(value: ManifestValue | undefined, field: string, file: string): void {
  if (value === undefined || value === null) return;
  const options = only(value, GENERATOR_OPTION_FIELDS, field, file);
  if (!isStringMap(options.labels)) fail(`${field}.labels`, file, 'values must be strings');
  if (!isStringMap(options.annotations)) fail(`${field}.annotations`, file, 'values must be strings');
  for (const key of ['disableNameSuffixHash', 'immutable']) if (options[key] !== undefined && typeof options[key] !== 'boolean') fail(`${field}.${key}`, file, 'expected a boolean');
}

/**
 * Checks one kustomization for anything the built-in engine does not render and throws
 * {@link UnsupportedKustomizeFeatureError} naming the first such field. Does not follow resources.
 */
export function assertSupportedKustomization(k: LoadedKustomization): void {
  const { spec, file } = k;
  for (const key of Object.keys(spec)) if (!SUPPORTED_KUSTOMIZATION_FIELDS.includes(key)) fail(key, file);
  for (const key of ['namespace', 'namePrefix', 'nameSuffix']) if (spec[key] !== undefined && spec[key] !== null && typeof spec[key] !== 'string') fail(key, file, 'expected a string');
  for (const key of ['commonLabels', 'commonAnnotations']) if (!isStringMap(spec[key])) fail(key, file, 'values must be strings');
  list(spec.labels, 'labels', file).forEach((label, index) => {
    const entry = only(label, ['pairs', 'includeSelectors', 'includeTemplates'], `labels[${index}]`, file);
    if (!isStringMap(entry.pairs)) fail(`labels[${index}].pairs`, file, 'values must be strings');
  });
  list(spec.images, 'images', file).forEach((image, index) => {
    const entry = only(image, ['name', 'newName', 'newTag', 'digest'], `images[${index}]`, file);
    for (const key of Object.keys(entry)) if (typeof entry[key] !== 'string') fail(`images[${index}].${key}`, file, 'expected a string');
  });
  list(spec.replicas, 'replicas', file).forEach((replica, index) => {
    const entry = only(replica, ['name', 'count'], `replicas[${index}]`, file);
    if (typeof entry.name !== 'string' || typeof entry.count !== 'number' || !Number.isInteger(entry.count)) fail(`replicas[${index}]`, file, 'expected a name and an integer count');
  });
  for (const field of ['resources', 'bases', 'components']) {
    list(spec[field], field, file).forEach((entry, index) => {
      if (typeof entry !== 'string') fail(`${field}[${index}]`, file, 'expected a path');
      if (isRemoteEntry(entry)) fail(`${field}[${index}]`, file, `remote resource ${entry}`);
      const absolute = resolve(k.dir, entry);
      if (!existsSync(absolute)) fail(`${field}[${index}]`, file, `${entry} does not exist`);
      if (statSync(absolute).isFile() && !isWithin(k.dir, absolute)) fail(`${field}[${index}]`, file, `${entry} is outside the kustomization directory`);
      if (statSync(absolute).isDirectory() && !findKustomizationFile(absolute)) fail(`${field}[${index}]`, file, `${entry} has no kustomization`);
    });
  }
  list(spec.patches, 'patches', file).forEach((patch, index) => {
    const entry = only(patch, ['path', 'patch', 'target'], `patches[${index}]`, file);
    if ((entry.path === undefined) === (entry.patch === undefined)) fail(`patches[${index}]`, file, 'expected exactly one of path and patch');
    if (entry.path !== undefined) checkLocalFile(k, entry.path, `patches[${index}].path`);
    if (entry.patch !== undefined && typeof entry.patch !== 'string') fail(`patches[${index}].patch`, file, 'expected a string');
    checkSelector(entry.target, `patches[${index}].target`, file);
    const text = entry.path !== undefined ? readFileSync(resolve(k.dir, entry.path as string), 'utf8') : (entry.patch as string);
    if (!isJson6902Patch(text, file)) checkSmPatchText(text, `patches[${index}]`, file, entry.target !== undefined);
    else if (entry.target === undefined) fail(`patches[${index}].target`, file, 'a JSON patch needs a target');
  });
  list(spec.patchesStrategicMerge, 'patchesStrategicMerge', file).forEach((entry, index) => {
    if (typeof entry !== 'string' || entry.includes('\n')) fail(`patchesStrategicMerge[${index}]`, file, 'only paths of patch files are supported');
    checkLocalFile(k, entry, `patchesStrategicMerge[${index}]`);
    checkSmPatchText(readFileSync(resolve(k.dir, entry), 'utf8'), `patchesStrategicMerge[${index}]`, file);
  });
  list(spec.patchesJson6902, 'patchesJson6902', file).forEach((patch, index) => {
    const entry = only(patch, ['path', 'patch', 'target'], `patchesJson6902[${index}]`, file);
    if ((entry.path === undefined) === (entry.patch === undefined)) fail(`patchesJson6902[${index}]`, file, 'expected exactly one of path and patch');
    if (entry.path !== undefined) checkLocalFile(k, entry.path, `patchesJson6902[${index}].path`);
    if (entry.target === undefined) fail(`patchesJson6902[${index}].target`, file, 'a target is required');
    checkSelector(entry.target, `patchesJson6902[${index}].target`, file);
    const text = entry.path !== undefined ? readFileSync(resolve(k.dir, entry.path as string), 'utf8') : (entry.patch as string);
    if (!isJson6902Patch(text, file)) fail(`patchesJson6902[${index}]`, file, 'the patch is not a JSON 6902 operation list');
  });
  for (const field of ['configMapGenerator', 'secretGenerator']) {
    list(spec[field], field, file).forEach((generator, index) => {
      const name = `${field}[${index}]`;
      const entry = only(generator, GENERATOR_FIELDS, name, file);
      if (field === 'configMapGenerator' && entry.type !== undefined) fail(`${name}.type`, file);
      if (entry.behavior !== undefined && entry.behavior !== 'create') fail(`${name}.behavior`, file, `behavior ${JSON.stringify(entry.behavior)}`);
      for (const key of ['files', 'envs']) {
        list(entry[key], `${name}.${key}`, file).forEach((item, i) => {
          if (typeof item !== 'string') fail(`${name}.${key}[${i}]`, file, 'expected a string');
          const path = key === 'files' && item.includes('=') ? item.slice(item.indexOf('=') + 1) : item;
          checkLocalFile(k, path, `${name}.${key}[${i}]`);
        });
      }
      if (entry.env !== undefined) checkLocalFile(k, entry.env, `${name}.env`);
      list(entry.literals, `${name}.literals`, file).forEach((item, i) => {
        if (typeof item !== 'string' || !item.includes('=')) fail(`${name}.literals[${i}]`, file, 'expected KEY=VALUE');
      });
      checkGeneratorOptions(entry.options, `${name}.options`, file);
    });
  }
  checkGeneratorOptions(spec.generatorOptions, 'generatorOptions', file);
}

/** Internal kustomize annotations a resource or patch could carry (name changes, hash suffixes…), which are not reproduced. */
export const KUSTOMIZE_ANNOTATION = /^(kustomize\.config\.k8s\.io|internal\.config\.kubernetes\.io|config\.kubernetes\.io)\//;

function checkSmPatchText(text: string, field: string, file: string, hasTarget = false): void {
  let documents: ManifestObject[];
  try {
    documents = parseManifests(text, file);
  } catch {
    fail(field, file, 'the patch is neither a JSON 6902 operation list nor YAML objects');
  }
  if (documents.length === 0) fail(field, file, 'an empty patch');
  for (const document of documents) {
    const metadata = document.metadata;
    if ((!hasTarget && typeof document.apiVersion !== 'string') || typeof document.kind !== 'string' || !isManifestObject(metadata) || typeof metadata.name !== 'string' || metadata.name === '') {
      fail(field, file, hasTarget ? 'a strategic merge patch needs kind and metadata.name' : 'a strategic merge patch without target needs apiVersion, kind and metadata.name');
    }
    const annotations = metadata.annotations;
    if (isManifestObject(annotations) && Object.keys(annotations).some((key) => KUSTOMIZE_ANNOTATION.test(key))) fail(`${field}`, file, 'kustomize annotations in a patch');
  }
}

/**
 * Walks a kustomization and every local kustomization it reaches through `resources`, `bases` and
 * `components`, and returns the first unsupported feature found, or undefined when the built-in engine can
 * render the whole tree. Reads files only.
 */
export function findUnsupportedFeature(dir: string): UnsupportedKustomizeFeatureError | undefined {
  const visited = new Set<string>();
  const visit = (directory: string): UnsupportedKustomizeFeatureError | undefined => {
    const absolute = resolve(directory);
    if (visited.has(absolute)) return undefined;
    visited.add(absolute);
    let k: LoadedKustomization;
    try {
      k = loadKustomization(absolute);
      assertSupportedKustomization(k);
    } catch (error) {
      if (error instanceof UnsupportedKustomizeFeatureError) return error;
      throw error;
    }
    for (const field of ['resources', 'bases', 'components']) {
      for (const entry of (k.spec[field] as string[] | undefined) ?? []) {
        const target = resolve(k.dir, entry);
        if (statSync(target).isDirectory()) {
          const found = visit(target);
          if (found) return found;
        }
      }
    }
    return undefined;
  };
  return visit(dir);
}

/** True when a patch text is a JSON 6902 patch (a YAML or JSON list of operations) rather than a strategic merge patch. */
export function isJson6902Patch(text: string, file: string): boolean {
  let parsed: ManifestValue;
  try {
    parsed = parseJsonPatchText(text, file);
  } catch (error) {
    if (error instanceof UnsupportedKustomizeFeatureError) throw error;
    return false;
  }
  return Array.isArray(parsed);
}

/**
 * Refuses a folded block scalar (`>`) whose line breaks kustomize's YAML round trip changes: yaml.v3 writes a
 * folded scalar back with an extra line break before a more-indented line (and folds every line when the value
 * starts with a blank or a line break), so kustomize prints other text than the file holds. The built-in engine
 * reads such files as written, so it leaves them to the binary.
 */
export function refuseChangedFoldedScalar(file: string): (value: string, line: number) => void {
  return (value, line) => {
    if (/^[ \t\n]/.test(value) || /\n[ \t]/.test(value)) {
      throw new UnsupportedKustomizeFeatureError(`a folded block scalar (>) with more-indented lines (line ${line})`, file);
    }
  };
}

/** Parses a JSON 6902 patch written as YAML or JSON into its list of operations. */
export function parseJsonPatchText(text: string, file: string): ManifestValue {
  // Indented under a key, ending in a line break exactly when the text does (a block scalar at the very end
  // of a text without one has no final line break).
  const wrapped = parseManifests(`ops:\n${text.replace(/^(?=[^\n])/gm, '  ')}`, file, { onFoldedScalar: refuseChangedFoldedScalar(file) });
  return wrapped[0]?.ops ?? null;
}
