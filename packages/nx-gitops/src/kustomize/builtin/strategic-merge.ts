import { type ManifestObject, type ManifestValue, cloneManifest, isManifestObject } from '../../manifests/yaml';
import { MERGE_KEY_GROUPS } from './merge-keys';

/** Why a strategic merge cannot be reproduced byte for byte; the caller turns it into a refusal naming the patch. */
export class UnsupportedStrategicMergeError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'UnsupportedStrategicMergeError';
  }
}

const mergeLists = new Map<string, Readonly<Record<string, readonly string[]>>>();
for (const group of MERGE_KEY_GROUPS) for (const kind of group.kinds) mergeLists.set(kind, group.lists);

/** A value the merge removes from its parent (kyaml's `ClearNode`). */
const CLEAR = Symbol('clear');
type Merged = ManifestValue | undefined | typeof CLEAR;

const DIRECTIVE = '$patch';

interface Walk {
  /** The associative lists of the patched kind, or an empty table for a kind kustomize has no schema for. */
  lists: Readonly<Record<string, readonly string[]>>;
}

type NodeKind = 'map' | 'seq' | 'scalar' | 'none';

function kindOf(value: ManifestValue | undefined): NodeKind {
  if (value === undefined || value === null) return 'none';
  if (Array.isArray(value)) return 'seq';
  return isManifestObject(value) ? 'map' : 'scalar';
}

/** The directive of a mapping (`$patch: delete|replace|merge`), removed from the patch as kyaml does. */
function takeMapDirective(patch: ManifestValue | undefined): 'delete' | 'replace' | 'merge' {
  if (!isManifestObject(patch) || patch[DIRECTIVE] === undefined) return 'merge';
  const value = patch[DIRECTIVE];
  if (value !== 'delete' && value !== 'replace' && value !== 'merge') throw new UnsupportedStrategicMergeError(`unknown patch strategy ${JSON.stringify(value)}`);
  delete patch[DIRECTIVE];
  return value;
}

/** The directive of a list: an element that is exactly `{$patch: …}`, removed from the patch. */
function takeListDirective(patch: ManifestValue | undefined): 'delete' | 'replace' | 'merge' {
  if (!Array.isArray(patch)) return 'merge';
  const index = patch.findIndex((item) => isManifestObject(item) && item[DIRECTIVE] !== undefined && Object.keys(item).length === 1);
  if (index < 0) {
    if (patch.some((item) => isManifestObject(item) && item[DIRECTIVE] !== undefined && typeof item[DIRECTIVE] !== 'string')) throw new UnsupportedStrategicMergeError('a $patch directive that is not a string');
    return 'merge';
  }
  const value = (patch[index] as ManifestObject)[DIRECTIVE];
  if (value !== 'delete' && value !== 'replace' && value !== 'merge') throw new UnsupportedStrategicMergeError(`unknown patch strategy ${JSON.stringify(value)}`);
  patch.splice(index, 1);
  return value;
}

function scalarText(value: ManifestValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') throw new UnsupportedStrategicMergeError('a merge key whose value is not a scalar');
  return String(value);
}

function keyTuple(item: ManifestValue, keys: readonly string[], path: string): string[] {
  if (!isManifestObject(item)) throw new UnsupportedStrategicMergeError(`an element of ${path} that is not a mapping`);
  return keys.map((key) => scalarText(item[key]));
}

/**
 * The merge keys kyaml uses for one associative list: the first key always, any further key (`protocol`)
 * only when every element of both lists has it. A further key set on some elements and not others makes
 * kyaml match partially filled keys, which is refused.
 */
function effectiveKeys(keys: readonly string[], lists: ManifestValue[][], path: string): string[] {
  const result = [keys[0]];
  for (const key of keys.slice(1)) {
    const present = lists.flat().map((item) => isManifestObject(item) && item[key] !== undefined && item[key] !== null && item[key] !== '');
    if (present.every(Boolean)) result.push(key);
    else if (present.some(Boolean)) throw new UnsupportedStrategicMergeError(`${path} elements that set ${key} only in part`);
  }
  for (const list of lists) {
    for (const item of list) if (keyTuple(item, result, path)[0] === '') throw new UnsupportedStrategicMergeError(`an element of ${path} without its merge key ${result[0]}`);
  }
  return result;
}

function mergeAssociative(walk: Walk, dest: ManifestValue[], patch: ManifestValue[], path: string, keys: readonly string[]): ManifestValue[] {
  if (keys.length === 0) {
    for (const item of [...dest, ...patch]) if (kindOf(item) !== 'scalar') throw new UnsupportedStrategicMergeError(`a non-scalar element in the list ${path}`);
    const seen = new Set<string>();
    const result: ManifestValue[] = [];
    for (const item of [...patch, ...dest]) {
      const text = scalarText(item);
      if (seen.has(text)) continue;
      seen.add(text);
      result.push(item);
    }
    return result;
  }
  const used = effectiveKeys(keys, [dest, patch], path);
  const id = (item: ManifestValue) => JSON.stringify(keyTuple(item, used, path));
  for (const list of [dest, patch]) {
    const ids = list.map(id);
    if (new Set(ids).size !== ids.length) throw new UnsupportedStrategicMergeError(`two elements of ${path} with the same ${used.join('/')}`);
  }
  const order: string[] = [];
  for (const item of [...patch, ...dest]) if (!order.includes(id(item))) order.push(id(item));
  const destById = new Map(dest.map((item) => [id(item), item]));
  const patchById = new Map(patch.map((item) => [id(item), item]));
  const merged = new Map<string, ManifestValue>();
  for (const key of order) {
    const value = mergeValue(walk, destById.get(key), patchById.get(key), `${path}[]`);
    if (value === CLEAR || value === undefined || value === null || (isManifestObject(value) && Object.keys(value).length === 0)) continue;
    // kyaml writes the target's own element back over the merged one: merges change it in place, while an
    // element-level `$patch: replace` leaves the target's element as it was.
    merged.set(key, destById.get(key) ?? value);
  }
  if (used.length === 1) return order.filter((key) => merged.has(key)).map((key) => merged.get(key) as ManifestValue);
  // With several keys kyaml moves every element the target had to the end, in the target's order.
  const added = order.filter((key) => merged.has(key) && !destById.has(key));
  const kept = dest.map(id).filter((key) => merged.has(key));
  return [...added, ...kept].map((key) => merged.get(key) as ManifestValue);
}

function assertNoEmbeddedObject(value: ManifestObject, path: string): void {
  if (path !== '' && typeof value.apiVersion === 'string' && typeof value.kind === 'string') {
    throw new UnsupportedStrategicMergeError(`an embedded object with apiVersion and kind at ${path}`);
  }
}

function mergeMap(walk: Walk, dest: ManifestObject, patch: ManifestObject | undefined, path: string): ManifestObject {
  assertNoEmbeddedObject(dest, path);
  if (patch) assertNoEmbeddedObject(patch, path);
  const names = new Set([...Object.keys(dest), ...Object.keys(patch ?? {})]);
  for (const name of names) {
    const value = mergeValue(walk, dest[name], patch?.[name], path === '' ? name : `${path}.${name}`);
    if (value === CLEAR || value === undefined || (value === null && patch?.[name] !== undefined)) delete dest[name];
    else dest[name] = value;
  }
  return dest;
}

/** kyaml's merge2 walk for one field: `dest` is the target's value (changed in place), `patch` the patch's. */
function mergeValue(walk: Walk, dest: ManifestValue | undefined, patch: ManifestValue | undefined, path: string): Merged {
  const kinds: NodeKind[] = [kindOf(dest), kindOf(patch)].filter((kind) => kind !== 'none');
  if (kinds.length === 2 && kinds[0] !== kinds[1]) throw new UnsupportedStrategicMergeError(`${path} is a ${kinds[1]} in the patch and a ${kinds[0]} in the resource`);
  const kind: NodeKind = kinds[0] ?? 'none';
  if (kind === 'scalar') return patch !== undefined ? patch : dest;
  if (kind === 'none') {
    if (patch === undefined) return dest;
    return patch === null ? CLEAR : patch;
  }
  if (kind === 'map') {
    if (dest === undefined || dest === null) {
      if (takeMapDirective(patch) === 'delete') return CLEAR;
      // kyaml adds the patch's mapping and walks it against itself, applying the directives inside it.
      return mergeMap(walk, {}, patch as ManifestObject, path);
    }
    if (patch === null) return CLEAR;
    const directive = takeMapDirective(patch);
    if (directive === 'delete') return CLEAR;
    if (directive === 'replace') return mergeMap(walk, {}, patch as ManifestObject, path);
    return mergeMap(walk, dest as ManifestObject, patch as ManifestObject | undefined, path);
  }
  const keys = walk.lists[path.replace(/^\./, '')];
  if (keys === undefined) return patch !== undefined ? patch : dest;
  if (dest === undefined || dest === null) return mergeAssociative(walk, [], patch as ManifestValue[], path, keys);
  if (patch === null) return CLEAR;
  if (patch === undefined) return dest;
  const directive = takeListDirective(patch);
  if (directive === 'delete') return CLEAR;
  if (directive === 'replace') return mergeAssociative(walk, [], patch as ManifestValue[], path, keys);
  return mergeAssociative(walk, dest as ManifestValue[], patch as ManifestValue[], path, keys);
}

/**
 * Applies a strategic merge patch to one resource as kustomize 5.5 does (kyaml's merge2 with list prepend):
 * mappings merge field by field, `null` deletes, lists with a merge key in kustomize's built-in schema merge
 * element by element (patch elements first, then the untouched ones), every other list is replaced;
 * `$patch: delete|replace|merge` on mappings and lists. `$retainKeys` and `$setElementOrder/…` are plain
 * fields to kustomize, so they are kept as such. Returns undefined when the patch deletes the resource.
 * Throws {@link UnsupportedStrategicMergeError} for inputs whose result kyaml computes in ways not reproduced.
 */
export function mergeStrategicPatch(options: { target: ManifestObject; patch: ManifestObject; apiVersion: string; kind: string }): ManifestObject | undefined {
  const lists = mergeLists.get(`${options.apiVersion}/${options.kind}`) ?? {};
  const patch = cloneManifest(options.patch);
  const result = mergeValue({ lists }, options.target, patch, '');
  if (result === CLEAR || result === undefined || result === null) return undefined;
  return result as ManifestObject;
}
