/**
 * Strict field checking of skaffold configs, as skaffold decodes them (yaml.v3 with `KnownFields`): every
 * mapping key must be a field of its struct in the config's own `apiVersion`, and a value must have the
 * shape its field expects (mapping, list or single value). The field tables come from skaffold's JSON
 * schemas, through `skaffold-fields.json` (see `scripts/generate-skaffold-fields.ts`); each version's table
 * is built on first use and kept.
 */

/** The path of a node in a config: mapping keys and list indexes. */
export type FieldPath = ReadonlyArray<string | number>;

/** The first thing strict decoding would reject in a config document. */
export interface FieldProblem {
  /** Where: the offending key (`atKey`) or value. */
  path: FieldPath;
  /** True when `path` ends with a key that should be pointed at rather than its value. */
  atKey: boolean;
  message: string;
  hint: string;
}

type Shape =
  | { kind: 'scalar' }
  | { kind: 'any' }
  | { kind: 'list'; of: Shape }
  | { kind: 'map'; of: Shape }
  | { kind: 'struct'; name: string; fields: Map<string, Shape>; required: string[] };

type StructShape = Extract<Shape, { kind: 'struct' }>;
type Definition = Record<string, string> | 's';

interface FieldData {
  root: string;
  defs: Record<string, Definition>;
  versions: Array<{ apiVersion: string; defs: string[]; removed?: string[] }>;
}

/** Which layout a document is in: as written, or after nx-gitops moved a v2 config's sources to `manifests`. */
export type ConfigLayout = 'written' | 'upgraded';

let fieldData: FieldData | undefined;
let definitionsByVersion: Map<string, Map<string, Definition>> | undefined;
const compiledRoots = new Map<string, StructShape>();

function loadFieldData(): FieldData {
  fieldData ??= require('./skaffold-fields.json') as FieldData;
  return fieldData;
}

/** name -> definition for each version, replaying the per-version changes of the data file. */
function versionDefinitions(): Map<string, Map<string, Definition>> {
  if (definitionsByVersion) return definitionsByVersion;
  const data = loadFieldData();
  const byVersion = new Map<string, Map<string, Definition>>();
  let current = new Map<string, Definition>();
  for (const version of data.versions) {
    current = new Map(current);
    for (const name of version.removed ?? []) current.delete(name);
    for (const id of version.defs) current.set(id.split('~')[0], data.defs[id]);
    byVersion.set(version.apiVersion, current);
  }
  definitionsByVersion = byVersion;
  return byVersion;
}

/** The apiVersions the field tables cover, oldest first. */
export function knownFieldVersions(): string[] {
  return [...versionDefinitions().keys()];
}

/**
 * nx-gitops moves a v2 config's `deploy.kubectl.manifests`, `deploy.kustomize`, `deploy.helm` and
 * `deploy.kpt` to a `manifests` section (as skaffold's v2beta29 upgrade does); in that layout the config
 * and its profiles also have a `manifests` field holding those sections as v2 wrote them.
 */
function withUpgradedManifests(definitions: Map<string, Definition>): Map<string, Definition> {
  const upgraded = new Map(definitions);
  upgraded.set('UpgradedManifests', { rawYaml: '[s', kustomize: '@KustomizeDeploy', helm: '@HelmDeploy', kpt: '@KptDeploy' });
  for (const name of ['SkaffoldConfig', 'Profile']) {
    const definition = definitions.get(name);
    if (definition && definition !== 's') upgraded.set(name, { ...definition, manifests: '@UpgradedManifests' });
  }
  return upgraded;
}

function compileVersion(apiVersion: string, layout: ConfigLayout): StructShape | undefined {
  const key = `${apiVersion}#${layout}`;
  const cached = compiledRoots.get(key);
  if (cached) return cached;
  const written = versionDefinitions().get(apiVersion);
  if (!written) return undefined;
  const definitions = layout === 'upgraded' && apiVersion.startsWith('skaffold/v2') ? withUpgradedManifests(written) : written;
  const structs = new Map<string, Shape>();
  const definitionShape = (name: string): Shape => {
    const existing = structs.get(name);
    if (existing) return existing;
    const definition = definitions.get(name);
    if (definition === undefined) throw new Error(`skaffold-fields.json: ${apiVersion} has no definition ${name}`);
    if (definition === 's') {
      structs.set(name, { kind: 'scalar' });
      return { kind: 'scalar' };
    }
    const shape: StructShape = { kind: 'struct', name, fields: new Map(), required: [] };
    structs.set(name, shape);
    for (const [field, code] of Object.entries(definition)) {
      if (code.startsWith('!')) shape.required.push(field);
      shape.fields.set(field, codeShape(code.replace(/^!/, '')));
    }
    return shape;
  };
  const codeShape = (code: string): Shape => {
    if (code === 's') return { kind: 'scalar' };
    if (code === '*') return { kind: 'any' };
    if (code.startsWith('@')) return definitionShape(code.slice(1));
    if (code.startsWith('[')) return { kind: 'list', of: codeShape(code.slice(1)) };
    if (code.startsWith('{')) return { kind: 'map', of: codeShape(code.slice(1)) };
    throw new Error(`skaffold-fields.json: unknown field code ${code}`);
  };
  const root = definitionShape(loadFieldData().root) as StructShape;
  compiledRoots.set(key, root);
  return root;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describePath(path: FieldPath): string {
  return path.map(String).join('.');
}

function inWhere(path: FieldPath): string {
  return path.length === 0 ? '' : ` in ${describePath(path)}`;
}

/** Optimal string alignment distance, so that a swapped pair of letters counts as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}

/** The allowed field closest to a misspelt one, when it is close enough to be the likely intent. */
export function nearestField(field: string, allowed: Iterable<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of allowed) {
    const distance = name.toLowerCase() === field.toLowerCase() ? 0.5 : editDistance(field, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.min(2, Math.max(1, Math.floor(field.length / 3))) ? best.name : undefined;
}

/** The oldest version (after `apiVersion`) whose schema has a field at the named path, for a hint. */
function firstVersionWithField(names: readonly string[], apiVersion: string): string | undefined {
  const versions = knownFieldVersions();
  for (const version of versions.slice(versions.indexOf(apiVersion) + 1)) {
    let shape: Shape | undefined = compileVersion(version, 'written');
    for (const name of names) {
      while (shape && (shape.kind === 'list' || shape.kind === 'map')) shape = shape.of;
      shape = shape?.kind === 'struct' ? shape.fields.get(name) : undefined;
    }
    if (shape) return version;
  }
  return undefined;
}

function unknownField(options: { path: FieldPath; field: string; shape: StructShape; apiVersion: string }): FieldProblem {
  const { path, field, shape, apiVersion } = options;
  const allowed = [...shape.fields.keys()];
  const nearest = nearestField(field, allowed);
  const later = nearest ? undefined : firstVersionWithField([...path.filter((segment): segment is string => typeof segment === 'string'), field], apiVersion);
  const suggestion = nearest ? ` (did you mean "${nearest}"?)` : later ? ` (it exists from ${later} on)` : '';
  const allowedText = allowed.length ? `Fields allowed${inWhere(path)} in ${apiVersion}: ${allowed.join(', ')}.` : `${describePath(path)} takes no fields in ${apiVersion}.`;
  return {
    path: [...path, field],
    atKey: true,
    message: `unknown field "${field}"${inWhere(path)}${suggestion}`,
    hint: later ? `${allowedText} Raise apiVersion (skaffold fix upgrades a config) or remove the field.` : `${allowedText} Fix the spelling or remove the field.`,
  };
}

function checkValue(value: unknown, shape: Shape, path: FieldPath, apiVersion: string): FieldProblem | undefined {
  if (value === null || value === undefined || shape.kind === 'any') return undefined;
  switch (shape.kind) {
    case 'scalar':
      if (typeof value !== 'object') return undefined;
      return { path, atKey: false, message: `${describePath(path)} must be a single value, not ${Array.isArray(value) ? 'array' : 'object'}`, hint: 'See the skaffold.yaml reference for this field.' };
    case 'list':
      if (!Array.isArray(value)) return { path, atKey: false, message: `${describePath(path)} must be array`, hint: 'Write the value as a YAML list ("- item").' };
      for (const [index, item] of value.entries()) {
        const problem = checkValue(item, shape.of, [...path, index], apiVersion);
        if (problem) return problem;
      }
      return undefined;
    case 'map':
      if (!isMapping(value)) return { path, atKey: false, message: `${describePath(path)} must be object`, hint: 'Write the value as "key: value" entries.' };
      for (const [key, item] of Object.entries(value)) {
        const problem = checkValue(item, shape.of, [...path, key], apiVersion);
        if (problem) return problem;
      }
      return undefined;
    case 'struct':
      return checkStruct(value, shape, path, apiVersion);
  }
}

function checkStruct(value: unknown, shape: StructShape, path: FieldPath, apiVersion: string): FieldProblem | undefined {
  if (!isMapping(value)) {
    const where = path.length ? describePath(path) : 'a skaffold config';
    return { path, atKey: false, message: `${where} must be object`, hint: 'See the skaffold.yaml reference for this field.' };
  }
  for (const [field, item] of Object.entries(value)) {
    const fieldShape = shape.fields.get(field);
    if (!fieldShape) return unknownField({ path, field, shape, apiVersion });
    const problem = checkValue(item, fieldShape, [...path, field], apiVersion);
    if (problem) return problem;
  }
  for (const field of shape.required) {
    if (value[field] === undefined || value[field] === null || value[field] === '') {
      return { path, atKey: false, message: `${path.length ? describePath(path) : 'the document'} is missing the required field "${field}"`, hint: `Add "${field}" to ${path.length ? describePath(path) : 'the document'}.` };
    }
  }
  return undefined;
}

/**
 * The first field a strict decoder of `apiVersion` would reject in `document` (an unknown field, a value
 * of the wrong shape, a missing required field), or undefined. `layout: 'upgraded'` checks a v2 config
 * after nx-gitops moved its manifest sources to `manifests` (profiles' patches are applied in that layout).
 * An apiVersion outside the tables is not checked here.
 */
export function findFieldProblem(document: unknown, apiVersion: string, layout: ConfigLayout = 'written'): FieldProblem | undefined {
  const root = compileVersion(apiVersion, layout);
  return root ? checkStruct(document, root, [], apiVersion) : undefined;
}

function pruneNullFields(value: unknown, shape: Shape): void {
  if (value === null || typeof value !== 'object') return;
  if (shape.kind === 'list' && Array.isArray(value)) {
    for (const item of value) pruneNullFields(item, shape.of);
  } else if (shape.kind === 'map' && isMapping(value)) {
    for (const item of Object.values(value)) pruneNullFields(item, shape.of);
  } else if (shape.kind === 'struct' && isMapping(value)) {
    for (const [field, item] of Object.entries(value)) {
      const fieldShape = shape.fields.get(field);
      if (!fieldShape) continue;
      if (item === null) delete value[field];
      else pruneNullFields(item, fieldShape);
    }
  }
}

/**
 * Removes, in place, every struct field of `document` whose value is null: yaml.v3 decodes a null into a Go
 * field as its zero value (a nil pointer, slice or map, an empty string), which is what an absent field
 * gives, so `deploy:\n  kubectl:` loads like no kubectl section. Null values of free-form maps and lists
 * stay. Unknown fields and an apiVersion outside the tables are left for the strict check.
 */
export function removeNullFields(document: Record<string, unknown>, apiVersion: string): void {
  const root = compileVersion(apiVersion, 'written');
  if (root) pruneNullFields(document, root);
}
