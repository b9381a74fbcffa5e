import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { TextDecoder } from 'node:util';
import { GitopsError } from '../../lib/errors';
import { type ManifestObject, type ManifestValue, isManifestObject } from '../../manifests/yaml';
import type { LoadedKustomization } from './kustomization';
import { Resource, describeId } from './resource';

interface GeneratorOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  disableNameSuffixHash?: boolean;
  immutable?: boolean;
}

/** kustomize's `MergeGlobalOptionsIntoLocal`: local labels and annotations win; either flag set sets it. */
function mergeOptions(local: GeneratorOptions | undefined, global: GeneratorOptions | undefined): GeneratorOptions {
  const merged: GeneratorOptions = { ...(local ?? {}) };
  if (!global) return merged;
  if (global.labels) merged.labels = { ...global.labels, ...(merged.labels ?? {}) };
  if (global.annotations) merged.annotations = { ...global.annotations, ...(merged.annotations ?? {}) };
  if (global.disableNameSuffixHash) merged.disableNameSuffixHash = true;
  if (global.immutable) merged.immutable = true;
  return merged;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function removeQuotes(value: string): string {
  if (value.length < 2 || value[0] !== value[value.length - 1]) return value;
  return value[0] === '"' || value[0] === "'" ? value.slice(1, -1) : value;
}

interface Pair {
  key: string;
  value: Buffer;
}

function envPairs(file: string): Pair[] {
  const text = readFileSync(file);
  if (!isUtf8(text)) throw new GitopsError(`${file} has invalid UTF-8.`, { hint: 'Env files must be UTF-8 text.' });
  const pairs: Pair[] = [];
  text
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw) => {
      const line = raw.replace(/^\s+/u, '');
      if (line === '' || line.startsWith('#')) return;
      const equals = line.indexOf('=');
      const key = equals < 0 ? line : line.slice(0, equals);
      if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key)) {
        throw new GitopsError(`${file}: "${key}" is not a valid environment variable name.`, { hint: 'Use letters, digits, "_", "-" and "."; not starting with a digit.' });
      }
      pairs.push({ key, value: Buffer.from(equals < 0 ? '' : line.slice(equals + 1), 'utf8') });
    });
  return pairs;
}

function collectPairs(k: LoadedKustomization, generator: ManifestObject): Pair[] {
  const pairs: Pair[] = [];
  const envs = [...(Array.isArray(generator.envs) ? (generator.envs as string[]) : []), ...(typeof generator.env === 'string' ? [generator.env] : [])];
  for (const env of envs) pairs.push(...envPairs(resolve(k.dir, env)));
  for (const literal of Array.isArray(generator.literals) ? (generator.literals as string[]) : []) {
    const equals = literal.indexOf('=');
    if (equals <= 0) throw new GitopsError(`${k.file}: invalid literal source ${literal}, expected key=value.`, { hint: 'Write literals as KEY=VALUE.' });
    pairs.push({ key: literal.slice(0, equals), value: Buffer.from(removeQuotes(literal.slice(equals + 1)), 'utf8') });
  }
  for (const source of Array.isArray(generator.files) ? (generator.files as string[]) : []) {
    const separators = source.split('=').length - 1;
    if (separators > 1 || source.startsWith('=') || (separators === 1 && source.endsWith('='))) {
      throw new GitopsError(`${k.file}: invalid file source ${JSON.stringify(source)}.`, { hint: 'Write files as PATH or KEY=PATH.' });
    }
    const [key, path] = separators === 0 ? [basename(source), source] : source.split('=');
    pairs.push({ key, value: readFileSync(resolve(k.dir, path)) });
  }
  const seen = new Set<string>();
  for (const { key } of pairs) {
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw new GitopsError(`${k.file}: "${key}" is not a valid ConfigMap/Secret key.`, { hint: 'Keys may contain letters, digits, "-", "_" and ".".' });
    if (seen.has(key)) throw new GitopsError(`${k.file}: ${String(generator.name)} illegally repeats the key \`${key}\`.`, { hint: 'Each key may appear once per generator.' });
    seen.add(key);
  }
  return pairs;
}

/**
 * Base64 as kustomize writes generated values: one line up to 69 characters; from 70 on, lines of 70 characters,
 * each ending in a newline (so the YAML shows a literal block).
 */
function wrappedBase64(value: Buffer): string {
  const encoded = value.toString('base64');
  if (encoded.length < 70) return encoded;
  let wrapped = '';
  for (let start = 0; start < encoded.length; start += 70) wrapped += `${encoded.slice(start, start + 70)}\n`;
  return wrapped;
}

function makeGenerated(options: { k: LoadedKustomization; generator: ManifestObject; kind: 'ConfigMap' | 'Secret'; global?: GeneratorOptions }): Resource {
  const { k, generator, kind } = options;
  if (typeof generator.name !== 'string' || generator.name === '') {
    throw new GitopsError(`${k.file}: a ${kind.toLowerCase()} generator has no name.`, { hint: 'Give every generator a name.' });
  }
  const generatorOptions = mergeOptions(generator.options as GeneratorOptions | undefined, options.global);
  const metadata: ManifestObject = { name: generator.name };
  if (typeof generator.namespace === 'string' && generator.namespace) metadata.namespace = generator.namespace;
  const object: ManifestObject = { apiVersion: 'v1', kind, metadata };
  const pairs = collectPairs(k, generator).sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  if (kind === 'ConfigMap') {
    const data: ManifestObject = {};
    const binaryData: ManifestObject = {};
    for (const { key, value } of pairs) {
      if (isUtf8(value)) data[key] = value.toString('utf8');
      else binaryData[key] = wrappedBase64(value);
    }
    if (Object.keys(data).length > 0) object.data = data;
    if (Object.keys(binaryData).length > 0) object.binaryData = binaryData;
  } else {
    object.type = typeof generator.type === 'string' && generator.type ? generator.type : 'Opaque';
    const data: ManifestObject = {};
    for (const { key, value } of pairs) data[key] = wrappedBase64(value);
    // A Secret always has data, if empty; a ConfigMap only when it holds a key.
    object.data = data;
  }
  if (generatorOptions.labels && Object.keys(generatorOptions.labels).length > 0) metadata.labels = { ...generatorOptions.labels };
  if (generatorOptions.annotations && Object.keys(generatorOptions.annotations).length > 0) metadata.annotations = { ...generatorOptions.annotations };
  if (generatorOptions.immutable) object.immutable = true;
  const resource = new Resource(object);
  resource.generated = { hash: !generatorOptions.disableNameSuffixHash, behavior: 'create' };
  return resource;
}

/** Runs `configMapGenerator` and `secretGenerator` of one kustomization, appending what they make. */
export function runGenerators(k: LoadedKustomization, resources: Resource[]): void {
  const global = isManifestObject(k.spec.generatorOptions) ? (k.spec.generatorOptions as GeneratorOptions) : undefined;
  const generated: Resource[] = [];
  for (const [field, kind] of [
    ['configMapGenerator', 'ConfigMap'],
    ['secretGenerator', 'Secret'],
  ] as const) {
    const generators = k.spec[field];
    if (!Array.isArray(generators)) continue;
    for (const generator of generators) generated.push(makeGenerated({ k, generator: generator as ManifestObject, kind, global }));
  }
  const ids = new Set(resources.map((resource) => describeId(resource.id)));
  for (const resource of generated) {
    const key = describeId(resource.id);
    if (ids.has(key)) throw new GitopsError(`${k.file}: may not add resource with an already registered id: ${key}.`, { hint: 'Rename the generator, or remove the resource it collides with.' });
    ids.add(key);
    resources.push(resource);
  }
}

/** Go's `encoding/json` string: HTML characters and line separators escaped. */
function goJsonString(value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${(char.codePointAt(0) as number).toString(16).padStart(4, '0')}`);
}

/** Go's `json.Marshal` of a decoded JSON value (maps with sorted keys). */
function goJson(value: ManifestValue | undefined): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (isManifestObject(value)) {
    const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((key) => `${goJsonString(key)}:${goJson(value[key])}`).join(',')}}`;
  }
  return goJsonString(String(value));
}

/** kustomize's name hash for a ConfigMap or Secret: sha256 of its JSON encoding (kind, data, type…), the first ten hex digits with some digits remapped to letters. */
export function contentHash(object: ManifestObject): string {
  const field = (key: string): ManifestValue => (object[key] === undefined ? '' : (object[key] as ManifestValue));
  // kustomize looks the name up as one field called "metadata/name", which never exists: the name is always empty.
  const name = '';
  const encoded: ManifestObject =
    object.kind === 'Secret' ? { data: field('data'), kind: 'Secret', name, type: field('type') } : { data: field('data'), kind: 'ConfigMap', name };
  if (object.kind === 'Secret' && isManifestObject(object.stringData)) encoded.stringData = object.stringData;
  if (object.kind !== 'Secret' && isManifestObject(object.binaryData)) encoded.binaryData = object.binaryData;
  const hex = createHash('sha256').update(goJson(encoded)).digest('hex');
  const map: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return Array.from(hex.slice(0, 10), (char) => map[char] ?? char).join('');
}

/** Appends the content hash to every generated ConfigMap and Secret that wants one (the last step of a build). */
export function addContentHashes(resources: readonly Resource[]): void {
  for (const resource of resources) {
    if (!resource.generated?.hash) continue;
    const hash = contentHash(resource.object);
    resource.storePreviousId();
    resource.name = `${resource.name}-${hash}`;
  }
}
