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

/** kyaml's text of a scalar field (`ElementValuesList`): empty when the element or the field is missing or null. */
function fieldText(item: ManifestValue, key: string, path: string): string {
  if (!isManifestObject(item)) return '';
  const value = item[key];
  if (value === undefined || value === null || value === '') return '';
  if (typeof value === 'object') throw new UnsupportedStrategicMergeError(`an element of ${path} whose merge key ${key} is not a scalar`);
  return String(value);
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** kyaml's `match`: equal length, one equal value at least, and no two different non-empty values. */
function matchValues(a: string[], b: string[]): string[] | undefined {
  if (a.length !== b.length) return undefined;
  let common = false;
  const result: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) {
      common = true;
      result.push(a[i]);
      continue;
    }
    if (a[i] !== '' && b[i] !== '') return undefined;
    result.push(a[i] !== '' ? a[i] : b[i]);
  }
  return common ? result : undefined;
}

/** kyaml's `validateKeys`: the keys some tuple of the list fills, and this tuple's values for them. */
function validateKeys(valuesList: string[][], values: string[], keys: readonly string[]): [string[], string[]] {
  const valid = new Set<string>();
  for (const tuple of valuesList) tuple.forEach((value, i) => value !== '' && valid.add(keys[i]));
  if (valid.size === 0) return [[...keys], [...values]];
  return [keys.filter((key) => valid.has(key)), values.filter((value, i) => value !== '' || valid.has(keys[i]))];
}

/** True when `item` has every key (an empty value matches any value of a present field), as kyaml's `FieldMatcher`. */
function fieldsMatch(item: ManifestObject, keys: readonly string[], values: readonly string[], path: string): boolean {
  return keys.every((key, i) => {
    if (item[key] === undefined) return false;
    return values[i] === '' || fieldText(item, key, path) === values[i];
  });
}

/** kyaml's `ElementSetter`: replaces (or, with no element, removes) every element matching the keys; appends when none does. */
function setElement(list: ManifestValue[], options: { element?: ManifestValue; keys: string[]; values: string[]; path: string }): ManifestValue[] {
  const keys = options.keys.length === 0 ? [''] : options.keys;
  const { element, values, path } = options;
  const mappingSetter = keys[0] !== '' && values.length > 0 && values[0] !== '';
  const result: ManifestValue[] = [];
  let found = false;
  for (const item of list) {
    if (item === null || item === undefined || (isManifestObject(item) && Object.keys(item).length === 0)) continue;
    if (!isManifestObject(item) && mappingSetter) {
      result.push(item);
      continue;
    }
    if (!isManifestObject(item)) throw new UnsupportedStrategicMergeError(`a non-mapping element in the list ${path}`);
    let matched = true;
    let last = true;
    for (let j = 0; j < keys.length; j++) {
      if (j < values.length) last = item[keys[j]] !== undefined && (values[j] === '' || fieldText(item, keys[j], path) === values[j]);
      if (!last) {
        matched = false;
        break;
      }
    }
    if (!matched) {
      if (values.length > 0) result.push(item);
      continue;
    }
    found = true;
    if (element === undefined) continue;
    result.push(element);
  }
  if (element !== undefined && element !== null && !found) result.push(element);
  return result;
}

/**
 * kyaml's `setAssociativeSequenceElements` with list prepend, step by step: key tuples from the patch then the
 * target, partially filled tuples merged, each element walked, emptied ones removed from the target, the
 * others collected, then every element left in the target written over the collected ones.
 */
function mergeKeyedList(walk: Walk, dest: ManifestValue[], patch: ManifestValue[], path: string, keys: readonly string[]): ManifestValue[] {
  for (const item of [...dest, ...patch]) if (!isManifestObject(item)) throw new UnsupportedStrategicMergeError(`a non-mapping element in the list ${path}`);
  const valuesList: string[][] = [];
  for (const source of [patch, dest]) {
    for (const item of source) {
      const tuple = keys.map((key) => fieldText(item, key, path));
      if (!valuesList.some((seen) => sameStrings(seen, tuple))) valuesList.push(tuple);
    }
  }
  if (keys.length > 1) {
    for (let i = 0; i < valuesList.length; i++) {
      for (let j = 0; j < valuesList.length; j++) {
        const matched = matchValues(valuesList[i], valuesList[j]);
        if (matched) {
          valuesList[i] = matched;
          valuesList[j] = matched;
        }
      }
    }
  }
  let target = dest;
  let items: ManifestValue[] = [];
  let validKeys: string[] = [...keys];
  for (const values of valuesList) {
    if (values.length === 0) continue;
    let validValues: string[];
    [validKeys, validValues] = validateKeys(valuesList, values, keys);
    const [lookupKeys, lookupValues] = validateKeys([validValues], validValues, validKeys);
    const find = (list: ManifestValue[]) => list.find((item) => isManifestObject(item) && fieldsMatch(item, lookupKeys, lookupValues, path));
    const value = mergeValue(walk, find(target), find(patch), `${path}[]`);
    if (value === CLEAR || value === undefined || value === null || (isManifestObject(value) && Object.keys(value).length === 0)) {
      target = setElement(target, { keys: validKeys, values: validValues, path });
      continue;
    }
    if (!isManifestObject(value)) throw new UnsupportedStrategicMergeError(`a non-mapping element in the list ${path}`);
    validKeys.forEach((key, i) => {
      if (value[key] === undefined && validValues[i] !== '') value[key] = validValues[i];
    });
    items = setElement(items, { element: value, keys: validKeys, values: validValues, path });
  }
  if (valuesList.length === 0) return target;
  for (const item of target) {
    const values: string[] = [];
    for (const key of validKeys) {
      if ((item as ManifestObject)[key] === undefined) {
        items.push(item);
        continue;
      }
      values.push(fieldText(item, key, path));
    }
    if (validKeys.length > 1) items = setElement(items, { keys: validKeys, values, path });
    items = setElement(items, { element: item, keys: validKeys, values, path });
  }
  return items;
}

function mergeAssociative(walk: Walk, dest: ManifestValue[], patch: ManifestValue[], path: string, keys: readonly string[]): ManifestValue[] {
  if (keys.length > 0) return mergeKeyedList(walk, dest, patch, path, keys);
  for (const item of [...dest, ...patch]) if (kindOf(item) !== 'scalar') throw new UnsupportedStrategicMergeError(`a non-scalar element in the list ${path}`);
  const seen = new Set<string>();
  const result: ManifestValue[] = [];
  for (const item of [...patch, ...dest]) {
    const text = String(item);
    if (seen.has(text)) continue;
    seen.add(text);
    result.push(item);
  }
  return result;
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
