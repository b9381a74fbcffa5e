import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GitopsError } from '../../lib/errors';
import { type ManifestObject, type ManifestValue, cloneManifest, isManifestObject, parseManifests } from '../../manifests/yaml';
import { type LoadedKustomization, UnsupportedKustomizeFeatureError, isJson6902Patch, parseJsonPatchText, refuseChangedFoldedScalar } from './kustomization';
import { type ResId, Resource, describeId, effectiveNamespace } from './resource';
import { UnsupportedStrategicMergeError, mergeStrategicPatch } from './strategic-merge';

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
  // kustomize matches every field as a regular expression anchored at both ends (Go's RE2; the support check
  // admits only the constructs RE2 and JavaScript read alike).
  const pattern = (value: string | undefined) => (value ? new RegExp(`^(?:${value})$`) : undefined);
  const [namespace, name, group, version, kind] = [selector.namespace, selector.name, selector.group, selector.version, selector.kind].map(pattern);
  return resources.filter((resource) => {
    const current = resource.id;
    const original = resource.originalId;
    if (namespace && !namespace.test(effectiveNamespace(original)) && !namespace.test(effectiveNamespace(current))) return false;
    if (name && !name.test(original.name) && !name.test(current.name)) return false;
    if (group && !group.test(current.group)) return false;
    if (version && !version.test(current.version)) return false;
    if (kind && !kind.test(current.kind)) return false;
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

/**
 * `replace` as kustomize's JSON patch library (evanphx/json-patch v4) applies it: the parent must exist and a
 * list index must be in range, but a key missing from a mapping is set, as `add` would set it.
 */
function replaceAt(document: ManifestValue, tokens: string[], value: ManifestValue, where: string): void {
  if (tokens.length === 0) throw new UnsupportedKustomizeFeatureError('a JSON patch replacing the whole resource', where);
  const { parent, key } = parentOf(document, tokens, where);
  if (Array.isArray(parent)) parent[arrayIndex(parent, key, where, false)] = value;
  else if (isManifestObject(parent)) parent[key] = value;
  else throw new GitopsError(`${where}: the path /${tokens.join('/')} does not exist in the resource.`, { hint: 'Fix the patch path or its target.' });
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
        replaceAt(object, tokens, value, where);
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

function sameId(a: ResId, b: ResId): boolean {
  return a.group === b.group && a.version === b.version && a.kind === b.kind && a.name === b.name && effectiveNamespace(a) === effectiveNamespace(b);
}

/** The one resource whose current or any earlier id is the patch's id, as kustomize's `GetById`. */
function findPatchTarget(resources: readonly Resource[], patch: Resource, where: string): Resource {
  const id = patch.id;
  const found = resources.filter((resource) => [resource.id, ...resource.prevIds].some((other) => sameId(other, id)));
  if (found.length !== 1) {
    throw new GitopsError(`${where}: ${found.length === 0 ? 'no resource matches' : 'several resources match'} the strategic merge patch ${describeId(id)}.`, {
      hint: 'A patch without target applies to the resource with its apiVersion, kind, name and namespace; fix those fields or add a target.',
    });
  }
  return found[0];
}

/**
 * Applies one strategic merge patch to `resource` as kustomize's `Resource.ApplySmPatch` does: kind, name and
 * namespace of the resource are kept whatever the patch says. Returns false when the patch deleted the resource.
 */
/** True when a null value is anywhere in `value`. */
function holdsNull(value: ManifestValue): boolean {
  if (value === null) return true;
  if (Array.isArray(value)) return value.some(holdsNull);
  return isManifestObject(value) && Object.values(value).some(holdsNull);
}

function applySmPatch(options: { resource: Resource; patch: ManifestObject; field: string; file: string }): boolean {
  const { resource, field, file } = options;
  const { kind } = resource.gvk;
  const { name, namespace } = resource;
  const apiVersion = typeof resource.object.apiVersion === 'string' ? resource.object.apiVersion : '';
  const patch = cloneManifest(options.patch);
  patch.apiVersion = apiVersion;
  // kustomize drops some null fields of a resource it merges a patch into and keeps others, by rules the
  // built-in engine does not reproduce; and in patchesStrategicMerge a null label or annotation becomes the
  // text "null" instead of deleting the key.
  if (holdsNull(resource.object)) throw new UnsupportedKustomizeFeatureError(field, file, `a strategic merge patch on a resource holding null values (patching ${describeId(resource.id)})`);
  const patchMetadata = isManifestObject(patch.metadata) ? patch.metadata : {};
  if (field.startsWith('patchesStrategicMerge') && [patchMetadata.labels, patchMetadata.annotations].some((map) => isManifestObject(map) && Object.values(map).includes(null))) {
    throw new UnsupportedKustomizeFeatureError(field, file, 'a null label or annotation in patchesStrategicMerge');
  }
  let merged: ManifestObject | undefined;
  try {
    merged = mergeStrategicPatch({ target: resource.object, patch, apiVersion, kind: resource.gvk.kind });
  } catch (error) {
    if (error instanceof UnsupportedStrategicMergeError) throw new UnsupportedKustomizeFeatureError(field, file, `${error.detail} (patching ${describeId(resource.id)})`);
    throw error;
  }
  if (!merged) return false;
  resource.object = merged;
  resource.object.kind = kind;
  resource.metadata().name = name;
  if (namespace) resource.metadata().namespace = namespace;
  else delete resource.metadata().namespace;
  return true;
}

/** The documents of a strategic merge patch (the support check has seen to their kind and name). */
function readSmPatches(text: string, where: string, field: string, file: string): ManifestObject[] {
  const documents = parseManifests(text, where, { onFoldedScalar: refuseChangedFoldedScalar(where) });
  if (documents.length === 0) throw new UnsupportedKustomizeFeatureError(field, file, 'an empty patch');
  return documents;
}

/** `patchesStrategicMerge`: each document of each file patches the resource with its id; kustomize runs it first. */
export function applyStrategicMergePatches(k: LoadedKustomization, resources: Resource[]): void {
  const entries = Array.isArray(k.spec.patchesStrategicMerge) ? (k.spec.patchesStrategicMerge as string[]) : [];
  entries.forEach((entry, index) => {
    const where = resolve(k.dir, entry);
    const field = `patchesStrategicMerge[${index}]`;
    for (const patch of readSmPatches(readFileSync(where, 'utf8'), where, field, k.file)) {
      const target = findPatchTarget(resources, new Resource(patch), where);
      if (!applySmPatch({ resource: target, patch, field, file: k.file })) resources.splice(resources.indexOf(target), 1);
    }
  });
}

/** `patches`: JSON 6902 entries need a target; strategic merge entries patch their target selection, or the resource with their id. */
export function applyPatches(k: LoadedKustomization, resources: Resource[]): void {
  const entries = Array.isArray(k.spec.patches) ? k.spec.patches : [];
  entries.forEach((value, index) => {
    const entry = value as ManifestObject;
    const { text, where } = patchText(k, entry);
    if (isJson6902Patch(text, where)) {
      applyJsonPatchEntries(k, resources, [entry]);
      return;
    }
    const field = `patches[${index}]`;
    const patches = readSmPatches(text, where, field, k.file);
    if (isManifestObject(entry.target)) {
      if (patches.length > 1) throw new UnsupportedKustomizeFeatureError(field, k.file, 'several strategic merge patches in one entry with a target');
      for (const resource of selectResources(resources, entry.target as Selector)) {
        if (!applySmPatch({ resource, patch: patches[0], field, file: k.file })) resources.splice(resources.indexOf(resource), 1);
      }
      return;
    }
    for (const patch of patches) {
      const target = findPatchTarget(resources, new Resource(patch), where);
      if (!applySmPatch({ resource: target, patch, field, file: k.file })) resources.splice(resources.indexOf(target), 1);
    }
  });
}

/** `patchesJson6902`, which kustomize runs after labels and annotations. */
export function applyJson6902Patches(k: LoadedKustomization, resources: readonly Resource[]): void {
  applyJsonPatchEntries(k, resources, k.spec.patchesJson6902);
}
