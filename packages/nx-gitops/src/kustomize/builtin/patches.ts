import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GitopsError } from '../../lib/errors';
import { type ManifestObject, type ManifestValue, cloneManifest, isManifestObject } from '../../manifests/yaml';
import { type LoadedKustomization, UnsupportedKustomizeFeatureError, parseJsonPatchText } from './kustomization';
import { type Resource, describeId, effectiveNamespace } from './resource';

/** A patch target as kustomization files write it. */
interface Selector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

function matchesEqualitySelector(map: ManifestValue | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  const values = isManifestObject(map) ? map : {};
  return selector.split(',').every((term) => {
    const [key, value] = term.split(/==?/).map((part) => part.trim());
    return value === undefined ? key in values : values[key] === value;
  });
}

/** The resources a patch target selects, as kustomize's `Select`: name and namespace against the original or current id. */
export function selectResources(resources: readonly Resource[], selector: Selector): Resource[] {
  return resources.filter((resource) => {
    const current = resource.id;
    const original = resource.originalId;
    if (selector.namespace !== undefined && selector.namespace !== '' && selector.namespace !== effectiveNamespace(original) && selector.namespace !== effectiveNamespace(current)) return false;
    if (selector.name && selector.name !== original.name && selector.name !== current.name) return false;
    if (selector.group && selector.group !== current.group) return false;
    if (selector.version && selector.version !== current.version) return false;
    if (selector.kind && selector.kind !== current.kind) return false;
    const metadata = resource.object.metadata;
    const meta = isManifestObject(metadata) ? metadata : {};
    return matchesEqualitySelector(meta.labels, selector.labelSelector) && matchesEqualitySelector(meta.annotations, selector.annotationSelector);
  });
}

function decodePointer(pointer: string, where: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new GitopsError(`${where}: JSON pointer ${JSON.stringify(pointer)} must start with "/".`, { hint: 'Write paths like /spec/replicas.' });
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(document: ManifestValue, tokens: string[], where: string): { parent: ManifestValue; key: string } {
  let node = document;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isManifestObject(node)) node = node[token];
    else node = undefined as unknown as ManifestValue;
    if (node === undefined) throw new GitopsError(`${where}: the path ${tokens.join('/')} does not exist in the resource.`, { hint: 'Fix the patch path or its target.' });
  }
  return { parent: node, key: tokens[tokens.length - 1] };
}

function arrayIndex(list: ManifestValue[], key: string, where: string, allowEnd: boolean): number {
  if (key === '-' && allowEnd) return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(key) || Number(key) > list.length - (allowEnd ? 0 : 1)) {
    throw new GitopsError(`${where}: index ${key} is out of range.`, { hint: 'Fix the patch path.' });
  }
  return Number(key);
}

function getAt(document: ManifestValue, tokens: string[], where: string): ManifestValue {
  if (tokens.length === 0) return document;
  const { parent, key } = parentOf(document, tokens, where);
  const value = Array.isArray(parent) ? parent[arrayIndex(parent, key, where, false)] : isManifestObject(parent) ? parent[key] : undefined;
  if (value === undefined) throw new GitopsError(`${where}: the path /${tokens.join('/')} does not exist in the resource.`, { hint: 'Fix the patch path or its target.' });
  return value;
}

function removeAt(document: ManifestValue, tokens: string[], where: string): ManifestValue {
  const { parent, key } = parentOf(document, tokens, where);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, where, false), 1)[0];
  if (isManifestObject(parent) && parent[key] !== undefined) {
    const value = parent[key];
    delete parent[key];
    return value;
  }
  throw new GitopsError(`${where}: cannot remove /${tokens.join('/')}: it does not exist.`, { hint: 'Fix the patch path or its target.' });
}

function addAt(document: ManifestValue, tokens: string[], value: ManifestValue, where: string): void {
  const { parent, key } = parentOf(document, tokens, where);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, where, true), 0, value);
  else if (isManifestObject(parent)) parent[key] = value;
  else throw new GitopsError(`${where}: cannot add at /${tokens.join('/')}.`, { hint: 'Fix the patch path or its target.' });
}

function deepEqual(a: ManifestValue | undefined, b: ManifestValue | undefined): boolean {
  return JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) === JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Applies RFC 6902 operations to one object in place (add, remove, replace, move, copy, test). */
export function applyJsonPatch(object: ManifestObject, operations: ManifestValue, where: string): void {
  if (!Array.isArray(operations)) throw new GitopsError(`${where}: a JSON patch must be a list of operations.`, { hint: 'Write the patch as a list of op/path/value entries.' });
  for (const operation of operations) {
    if (!isManifestObject(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string') {
      throw new GitopsError(`${where}: each JSON patch operation needs op and path.`, { hint: 'Write - op: replace\\n  path: /spec/replicas\\n  value: 2' });
    }
    const tokens = decodePointer(operation.path, where);
    const value = operation.value === undefined ? null : cloneManifest(operation.value);
    switch (operation.op) {
      case 'add':
        addAt(object, tokens, value, where);
        break;
      case 'remove':
        removeAt(object, tokens, where);
        break;
      case 'replace':
        getAt(object, tokens, where);
        removeAt(object, tokens, where);
        addAt(object, tokens, value, where);
        break;
      case 'move':
      case 'copy': {
        if (typeof operation.from !== 'string') throw new GitopsError(`${where}: ${operation.op} needs from.`, { hint: 'Add the from pointer.' });
        const fromTokens = decodePointer(operation.from, where);
        const moved = operation.op === 'move' ? removeAt(object, fromTokens, where) : cloneManifest(getAt(object, fromTokens, where));
        addAt(object, tokens, moved, where);
        break;
      }
      case 'test':
        if (!deepEqual(getAt(object, tokens, where), value)) throw new GitopsError(`${where}: test operation failed at ${operation.path}.`, { hint: 'The resource does not hold the tested value.' });
        break;
      default:
        throw new GitopsError(`${where}: unknown JSON patch operation ${operation.op}.`, { hint: 'Use add, remove, replace, move, copy or test.' });
    }
  }
}

function patchText(k: LoadedKustomization, entry: ManifestObject): { text: string; where: string } {
  if (typeof entry.path === 'string') return { text: readFileSync(resolve(k.dir, entry.path), 'utf8'), where: resolve(k.dir, entry.path) };
  return { text: entry.patch as string, where: k.file };
}

function applyJsonPatchEntries(k: LoadedKustomization, resources: readonly Resource[], entries: ManifestValue | undefined): void {
  if (!Array.isArray(entries)) return;
  for (const entry of entries) {
    const patch = entry as ManifestObject;
    const { text, where } = patchText(k, patch);
    const operations = parseJsonPatchText(text, where);
    const selector = (isManifestObject(patch.target) ? patch.target : {}) as Selector;
    for (const resource of selectResources(resources, selector)) {
      const before = describeId(resource.id);
      applyJsonPatch(resource.object, operations, `${where} (patching ${before})`);
      if (describeId(resource.id) !== before) throw new UnsupportedKustomizeFeatureError('a JSON patch that changes a name, namespace or kind', where);
    }
  }
}

/** `patchesStrategicMerge`: refused up front by the support check; kept as the transformer slot kustomize runs first. */
export function applyStrategicMergePatches(_k: LoadedKustomization, _resources: readonly Resource[]): void {
  // Nothing to do: the support check refuses the field before a build starts.
}

/** `patches` (JSON 6902 entries; strategic merge entries are refused by the support check). */
export function applyPatches(k: LoadedKustomization, resources: readonly Resource[]): void {
  applyJsonPatchEntries(k, resources, k.spec.patches);
}

/** `patchesJson6902`, which kustomize runs after labels and annotations. */
export function applyJson6902Patches(k: LoadedKustomization, resources: readonly Resource[]): void {
  applyJsonPatchEntries(k, resources, k.spec.patchesJson6902);
}
