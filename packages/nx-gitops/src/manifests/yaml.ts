import { Alias, Document, LineCounter, Scalar, YAMLMap, YAMLSeq, isAlias, isMap, isNode, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import { GitopsError } from '../lib/errors';
import { type BudgetRefusal, DecodeBudget, checkInputSize, isStackOverflow, safeSyntaxReason, stackOverflowRefusal } from './yaml-limits';

/**
 * A timestamp scalar (`2001-12-14`, `2001-12-14T21:59:43.10-05:00`): yaml.v3 decodes it into a Go `time.Time`
 * and writes it back unquoted in RFC 3339 form, which `text` holds (`2001-12-14T00:00:00Z`).
 */
export class YamlTimestamp {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }

  toJSON(): string {
    return this.text;
  }
}

/** A scalar of a manifest, as gopkg.in/yaml.v3 decodes it into `interface{}`. Integers beyond 2^53 are bigints. */
export type ManifestScalar = string | number | bigint | boolean | null | YamlTimestamp;
/** Any value inside a manifest document. */
export type ManifestValue = ManifestScalar | ManifestValue[] | ManifestObject;
/** A YAML mapping with string keys. */
export interface ManifestObject {
  [key: string]: ManifestValue;
}
/** One Kubernetes manifest (one YAML document), a plain JS object. */
export type ManifestDocument = ManifestObject;

/** True for a YAML mapping (a plain object), false for scalars, timestamps and sequences. */
export function isManifestObject(value: ManifestValue | undefined): value is ManifestObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof YamlTimestamp);
}

/**
 * Floats whose value is a whole number that Go prints differently from an integer (`1e6` → `1e+06`).
 * A JS number cannot carry that, so the parser records it per container and key, with the value, and the
 * serialiser honours the record while the value is unchanged. {@link cloneManifest} keeps the records.
 */
const integralFloats = new WeakMap<object, Map<string, number>>();

function markIntegralFloat(container: object, key: string, value: number): void {
  if (!Number.isSafeInteger(value) || formatGoFloat(value) === String(value)) return;
  let marks = integralFloats.get(container);
  if (!marks) integralFloats.set(container, (marks = new Map()));
  marks.set(key, value);
}

function isIntegralFloat(container: object, key: string, value: ManifestValue | undefined): boolean {
  return typeof value === 'number' && integralFloats.get(container)?.get(key) === value;
}

/**
 * Keys that yaml.v3 keeps typed (an int, a bool, null…) in nested maps, where Go writes them unquoted and sorts
 * them before string keys. A JS object holds the key's text; this records the typed value per container.
 */
const typedKeys = new WeakMap<object, Map<string, Resolved>>();

function markTypedKey(container: object, key: string, resolved: Resolved): void {
  let marks = typedKeys.get(container);
  if (!marks) typedKeys.set(container, (marks = new Map()));
  marks.set(key, resolved);
}

function copyMarks(from: object, to: object, key: string, value: ManifestValue | undefined): void {
  if (isIntegralFloat(from, key, value)) markIntegralFloat(to, key, value as number);
  const typed = typedKeys.get(from)?.get(key);
  if (typed) markTypedKey(to, key, typed);
}

/**
 * A deep copy of a manifest value that keeps keys such as `__proto__` as data, shares immutable scalars and
 * keeps what the serialiser needs to write Go floats back as Go does. Use it rather than `structuredClone`.
 */
export function cloneManifest<T extends ManifestValue>(value: T): T {
  if (Array.isArray(value)) {
    const copy = value.map((item) => cloneManifest(item));
    value.forEach((item, index) => copyMarks(value, copy, String(index), item));
    return copy as T;
  }
  if (!isManifestObject(value)) return value;
  const copy: ManifestObject = {};
  for (const key of Object.keys(value)) {
    setKey(copy, key, cloneManifest(value[key]));
    copyMarks(value, copy, key, value[key]);
  }
  return copy as T;
}

/**
 * Parses a multi-document YAML stream into plain objects, decoding scalars as gopkg.in/yaml.v3 does when
 * skaffold unmarshals a manifest into `map[string]interface{}` (YAML 1.2 booleans and nulls, Go integer
 * syntax, timestamps kept as strings, merge keys, each alias a fresh copy). Empty documents (`---` alone,
 * `~`, `{}`) are dropped, as skaffold drops them. Read within the limits of `yaml-limits.ts` (size, depth,
 * aliases). Throws a GitopsError naming `sourceName`, the line and the column for malformed YAML, a document
 * beyond the limits or one that is not a mapping; no message quotes the text.
 */
export function parseManifests(text: string, sourceName: string, options: ParseOptions = {}): ManifestDocument[] {
  checkInputSize({ text, file: sourceName });
  const lineCounter = new LineCounter();
  const parsed = (() => {
    try {
      return parseAllDocuments(text, { schema: 'failsafe', lineCounter, uniqueKeys: false, prettyErrors: true });
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      const refusal = stackOverflowRefusal();
      throw yamlError(sourceName, undefined, undefined, refusal.reason, refusal.hint);
    }
  })();
  const documents = Array.isArray(parsed) ? parsed : [];
  const result: ManifestDocument[] = [];
  for (const document of documents) {
    const [error] = document.errors;
    if (error) {
      const position = error.linePos?.[0];
      const reason = safeSyntaxReason(error.message);
      throw yamlError(sourceName, position?.line, position?.col, reason, isStackOverflow(error) ? stackOverflowRefusal().hint : undefined);
    }
    const decoder = new Decoder(document, sourceName, lineCounter, /[\n\r]$/.test(text) ? -1 : text.length, options.onFoldedScalar);
    let value: ManifestValue;
    try {
      value = decoder.decodeDocument(document.contents);
    } catch (error) {
      if (!isStackOverflow(error)) throw error;
      const refusal = stackOverflowRefusal();
      throw yamlError(sourceName, undefined, undefined, refusal.reason, refusal.hint);
    }
    if (value === null) continue;
    if (!isManifestObject(value)) {
      const offset = document.contents?.range?.[0] ?? 0;
      const { line, col } = lineCounter.linePos(offset);
      throw yamlError(sourceName, line, col, `a manifest must be a mapping, found ${describeKind(value)}`, 'Point manifests.rawYaml at Kubernetes manifests (YAML mappings), or fix the kustomization or chart that produces this.');
    }
    if (Object.keys(value).length === 0) continue;
    result.push(value);
  }
  return result;
}

/** What {@link parseManifests} reports besides the documents. */
export interface ParseOptions {
  /** Called with the value and the 1-based line of every folded block scalar (`>`), before decoding goes on. */
  onFoldedScalar?: (value: string, line: number) => void;
}

/**
 * Serialises documents to the exact bytes `skaffold render` writes: each document marshalled like
 * gopkg.in/yaml.v3 with indent 2 (keys in yaml.v3's natural order, sequences indented under their key,
 * yaml.v3's quoting, literal blocks for multi-line strings, no line wrapping), trimmed, joined with
 * `\n---\n`, with one trailing newline.
 */
export function serializeManifests(documents: readonly ManifestDocument[]): string {
  return `${documents.map((document) => goTrimSpace(marshalYaml(document))).join('\n---\n')}\n`;
}

/** One value marshalled like skaffold's `yaml.Marshal` (a yaml.v3 encoder with indent 2), untrimmed. */
export function marshalYaml(value: ManifestValue): string {
  const emitter = new Emitter();
  emitter.emitNode(value, { sequence: false, simpleKey: false });
  emitter.writeIndent();
  return emitter.output;
}

function yamlError(sourceName: string, line: number | undefined, col: number | undefined, reason: string, hint?: string): GitopsError {
  const where = line === undefined ? sourceName : `${sourceName}:${line}:${col ?? 1}`;
  const fix = line === undefined ? `Fix ${sourceName}` : `Fix ${sourceName} at line ${line}, column ${col ?? 1}`;
  return new GitopsError(`Invalid YAML in ${where}: ${reason}.`, {
    hint: hint ? `${hint} (${fix}, or what produces it.)` : `${fix}, or the kustomization that produces it.`,
  });
}

/** What a non-mapping document is, without its value: the file may be one that must not be printed. */
function describeKind(value: ManifestValue): string {
  if (Array.isArray(value)) return 'a sequence';
  return typeof value === 'string' ? 'a string' : 'a scalar';
}

// ---------------------------------------------------------------------------------------------------------
// Decoding (gopkg.in/yaml.v3 decode.go + resolve.go, for a target of interface{})

type ParsedNode = Scalar | YAMLMap | YAMLSeq | Alias | null | undefined;

const YAML_TAG_PREFIX = 'tag:yaml.org,2002:';
/** Guards against alias loops. */
const maxAliasExpansionDepth = 100;

class Decoder {
  private aliasDepth = 0;
  /** Bounds nodes, aliases and depth (billion-laughs documents, deep nesting): see yaml-limits.ts. */
  private readonly budget = new DecodeBudget();
  private targets: Map<Alias, ParsedNode> | undefined;

  constructor(
    private readonly document: Document.Parsed,
    private readonly sourceName: string,
    private readonly lineCounter: LineCounter,
    /** Where the text ends when it ends without a line break (-1 otherwise): see {@link Decoder.blockScalarText}. */
    private readonly unterminatedEnd = -1,
    private readonly onFoldedScalar?: (value: string, line: number) => void,
  ) {}

  /**
   * A block scalar's value. A block scalar that runs to the end of a text without a final line break has
   * none in yaml.v3 (`a: |` then `x` at the very end is `x`); the parser reads the text as if it ended in one.
   */
  private blockScalarText(node: Scalar, text: string): string {
    const ends = node.range?.[1] ?? -1;
    return this.unterminatedEnd >= 0 && ends >= this.unterminatedEnd && text.endsWith('\n') ? text.slice(0, -1) : text;
  }

  /** The root is decoded into Go's `map[string]interface{}`: its keys are always strings. */
  decodeDocument(node: ParsedNode): ManifestValue {
    return isMap(node) ? this.decodeMap(node, true) : this.decode(node);
  }

  decode(node: ParsedNode): ManifestValue {
    if (node === null || node === undefined) return null;
    this.check(node, this.budget.node());
    if (isAlias(node)) return this.decodeAlias(node);
    if (isScalar(node)) return this.resolveScalar(node).value;
    if (isSeq(node)) {
      this.check(node, this.budget.enterCollection());
      const items: ManifestValue[] = [];
      node.items.forEach((item, index) => items.push(this.decodeChild(items, String(index), item as ParsedNode)));
      this.budget.leaveCollection();
      return items;
    }
    if (isMap(node)) {
      this.check(node, this.budget.enterCollection());
      const result = this.decodeMap(node);
      this.budget.leaveCollection();
      return result;
    }
    return null;
  }

  /**
   * The node an alias points at: the closest anchor of that name before it. Found through one walk of the
   * document (`Alias.resolve` walks it for every alias, quadratic in a file with many aliases).
   */
  private target(alias: Alias): ParsedNode {
    if (!this.targets) {
      const targets = new Map<Alias, ParsedNode>();
      const anchors = new Map<string, ParsedNode>();
      visit(this.document, {
        Node: (_key, node) => {
          if (isAlias(node)) {
            const target = anchors.get(node.source);
            if (target) targets.set(node, target);
          } else if (isNode(node) && node.anchor) {
            anchors.set(node.anchor, node as ParsedNode);
          }
        },
      });
      this.targets = targets;
    }
    return this.targets.get(alias);
  }

  /** Throws a refusal of the budget at `node`. */
  private check(node: ParsedNode, refusal: BudgetRefusal | undefined): void {
    if (refusal) throw this.error(node, refusal.reason, refusal.hint);
  }

  /** Decodes a value that will live at `container[key]`, recording Go floats that read as integers. */
  private decodeChild(container: object, key: string, node: ParsedNode): ManifestValue {
    const value = this.decode(node);
    if (typeof value === 'number' && this.isFloat(node)) markIntegralFloat(container, key, value);
    return value;
  }

  private isFloat(node: ParsedNode): boolean {
    const target = isAlias(node) ? this.target(node) : node;
    return isScalar(target) && this.resolveScalar(target).tag === 'float';
  }

  private decodeAlias(alias: Alias): ManifestValue {
    const target = this.target(alias);
    if (!target) throw this.error(alias, 'an alias to an anchor not defined before it');
    if (this.aliasDepth >= maxAliasExpansionDepth) throw this.error(alias, 'aliases nest too deeply');
    this.check(alias, this.budget.enterAlias());
    this.aliasDepth++;
    try {
      // A fresh copy for every alias, as yaml.v3 decodes one: editing one place must not edit another.
      return this.decode(target);
    } finally {
      this.aliasDepth--;
      this.budget.leaveAlias();
    }
  }

  private resolveScalar(node: Scalar): Resolved {
    const value = String(node.value ?? '');
    const text = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED' ? this.blockScalarText(node, value) : value;
    if (node.type === 'BLOCK_FOLDED' && this.onFoldedScalar) this.onFoldedScalar(text, this.lineCounter.linePos(node.range?.[0] ?? 0).line);
    const tag = node.tag === '!' ? undefined : node.tag;
    if (tag === undefined) {
      return node.type === 'PLAIN' || node.type === undefined ? resolvePlain(text) : str(text);
    }
    if (!tag.startsWith(YAML_TAG_PREFIX)) return str(text);
    const expected = tag.slice(YAML_TAG_PREFIX.length);
    if (expected === 'str') return str(text);
    if (expected === 'binary') return str(this.decodeBinary(node, text));
    if (!['null', 'bool', 'int', 'float', 'timestamp'].includes(expected)) return str(text);
    const resolved = resolvePlain(text);
    if (resolved.tag === expected) return resolved;
    if (expected === 'float' && resolved.tag === 'int') return { tag: 'float', value: Number(resolved.value as number | bigint) };
    throw this.error(node, `cannot decode a !!${resolved.tag} as a !!${expected}`);
  }

  private decodeBinary(node: Scalar, text: string): string {
    const bytes = Buffer.from(text.replace(/\s+/g, ''), 'base64');
    const decoded = bytes.toString('utf8');
    if (!Buffer.from(decoded, 'utf8').equals(bytes)) {
      throw this.error(node, '!!binary data that is not UTF-8 text is not supported');
    }
    return decoded;
  }

  private decodeMap(node: YAMLMap, root = false): ManifestObject {
    this.checkUniqueKeys(node);
    const result: ManifestObject = {};
    const merges: ParsedNode[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as ParsedNode;
      if (isScalar(keyNode) && keyNode.type === 'PLAIN' && keyNode.value === '<<' && (keyNode.tag === undefined || keyNode.tag === '!')) {
        merges.push(pair.value as ParsedNode);
        continue;
      }
      const key = this.decodeKey(keyNode);
      setKey(result, key, this.decodeChild(result, key, pair.value as ParsedNode));
      const keyTarget = isAlias(keyNode) ? this.target(keyNode) : keyNode;
      if (!root && isScalar(keyTarget)) {
        const resolved = this.resolveScalar(keyTarget);
        if (resolved.tag !== 'str') markTypedKey(result, key, resolved);
      }
    }
    // Merged keys never override keys written in the mapping itself; an earlier source beats a later one.
    for (const merge of merges.slice(-1)) {
      const sources = isSeq(merge) ? (merge.items as ParsedNode[]) : [merge];
      for (const source of sources) {
        const value = this.decode(source);
        if (!isManifestObject(value)) {
          throw this.error(source ?? merge, 'map merge requires map or sequence of maps as the value');
        }
        for (const [key, entry] of Object.entries(value)) {
          if (Object.prototype.hasOwnProperty.call(result, key)) continue;
          setKey(result, key, entry);
          copyMarks(value, result, key, entry);
        }
      }
    }
    return result;
  }

  private decodeKey(node: ParsedNode): string {
    const key = this.decode(node);
    if (isManifestObject(key) || Array.isArray(key)) throw this.error(node, 'invalid map key: a mapping or sequence');
    if (typeof key === 'string') return key;
    // A JS object can only hold the text; nested maps record the typed key beside it (markTypedKey).
    return isScalar(node) ? String(node.value ?? '') : String(key);
  }

  private checkUniqueKeys(node: YAMLMap): void {
    const seen = new Map<string, Scalar>();
    for (const pair of node.items) {
      const key = pair.key as ParsedNode;
      if (!isScalar(key)) continue;
      const text = String(key.value ?? '');
      const first = seen.get(text);
      if (first) {
        const firstLine = this.lineCounter.linePos(first.range?.[0] ?? 0).line;
        throw this.error(key, `a mapping key already defined at line ${firstLine}`);
      }
      seen.set(text, key);
    }
  }

  private error(node: ParsedNode | Scalar, reason: string, hint?: string): GitopsError {
    const offset = node && 'range' in node && node.range ? node.range[0] : 0;
    const { line, col } = this.lineCounter.linePos(offset);
    return yamlError(this.sourceName, line, col, reason, hint);
  }
}

function setKey(target: ManifestObject, key: string, value: ManifestValue): void {
  // defineProperty, so that a key named "__proto__" stays data.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

type ResolvedTag = 'null' | 'bool' | 'int' | 'float' | 'timestamp' | 'str';

interface Resolved {
  tag: ResolvedTag;
  value: ManifestScalar;
}

const resolveMap = new Map<string, Resolved>();
for (const [tag, value, spellings] of [
  ['bool', true, ['true', 'True', 'TRUE']],
  ['bool', false, ['false', 'False', 'FALSE']],
  ['null', null, ['', '~', 'null', 'Null', 'NULL']],
  ['float', Number.NaN, ['.nan', '.NaN', '.NAN']],
  ['float', Number.POSITIVE_INFINITY, ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']],
  ['float', Number.NEGATIVE_INFINITY, ['-.inf', '-.Inf', '-.INF']],
] as Array<[ResolvedTag, ManifestScalar, string[]]>) {
  for (const spelling of spellings) resolveMap.set(spelling, { tag, value });
}

const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** yaml.v3's `resolve("", text)`: what an untagged plain scalar means. `<<` is handled by the caller. */
function resolvePlain(text: string): Resolved {
  const first = text.charAt(0);
  const known = resolveMap.get(text);
  if (known) return known;
  if (first === '.') {
    return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text) ? asFloat(text) ?? str(text) : str(text);
  }
  if (!/[-+0-9]/.test(first)) return str(text);
  const timestamp = parseGoTimestamp(text);
  if (timestamp) return { tag: 'timestamp', value: timestamp };
  const plain = text.replace(/_/g, '');
  const integer = parseGoInteger(plain, true) ?? parseGoInteger(plain, false);
  if (integer !== undefined) return { tag: 'int', value: toJsInteger(integer) };
  if (yamlStyleFloat.test(plain)) return asFloat(plain) ?? str(text);
  return str(text);
}

function str(text: string): Resolved {
  return { tag: 'str', value: text };
}

function asFloat(text: string): Resolved | undefined {
  const value = Number(text);
  // Go's ParseFloat fails on overflow, and the scalar then stays a string.
  return Number.isFinite(value) ? { tag: 'float', value } : undefined;
}

function toJsInteger(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Go's `strconv.ParseInt(s, 0, 64)` (signed) or `ParseUint(s, 0, 64)`, after underscores were removed. */
function parseGoInteger(text: string, signed: boolean): bigint | undefined {
  let body = text;
  let negative = false;
  if (signed && (body.startsWith('+') || body.startsWith('-'))) {
    negative = body.startsWith('-');
    body = body.slice(1);
  }
  if (body === '') return undefined;
  let base = 10;
  if (body.startsWith('0')) {
    const prefix = body.charAt(1).toLowerCase();
    if (body.length >= 3 && (prefix === 'b' || prefix === 'o' || prefix === 'x')) {
      base = prefix === 'b' ? 2 : prefix === 'o' ? 8 : 16;
      body = body.slice(2);
    } else {
      base = 8;
      body = body.slice(1);
    }
  }
  let value = 0n;
  for (const char of body) {
    const digit = parseInt(char, 36);
    if (Number.isNaN(digit) || digit >= base) return undefined;
    value = value * BigInt(base) + BigInt(digit);
  }
  if (negative) value = -value;
  if (signed) return value >= INT64_MIN && value <= INT64_MAX ? value : undefined;
  return value <= UINT64_MAX ? value : undefined;
}

/** yaml.v3's `parseTimestamp`: Go's `time.Parse` with the four layouts yaml.v3 accepts, then RFC3339Nano. */
function parseGoTimestamp(text: string): YamlTimestamp | undefined {
  if (!/^[0-9]{4}-/.test(text)) return undefined;
  for (const [separator, zone] of [['T', true], ['t', true], [' ', false], [undefined, false]] as const) {
    const parsed = matchTimestampLayout(text, separator, zone);
    if (parsed) return parsed;
  }
  return undefined;
}

function matchTimestampLayout(text: string, separator: string | undefined, zone: boolean): YamlTimestamp | undefined {
  const cursor = { rest: text.slice(5) };
  const year = Number(text.slice(0, 4));
  const month = takeNumber(cursor);
  if (month === undefined || month < 1 || month > 12 || !takeLiteral(cursor, '-')) return undefined;
  const day = takeNumber(cursor);
  if (day === undefined) return undefined;
  let [hour, minute, second, fraction, offset] = [0, 0, 0, '', 'Z'];
  if (separator !== undefined) {
    if (!takeLiteral(cursor, separator)) return undefined;
    const parts: number[] = [];
    for (const [limit, literal] of [[24, ':'], [60, ':'], [60, '']] as const) {
      const value = takeNumber(cursor);
      if (value === undefined || value >= limit || (literal && !takeLiteral(cursor, literal))) return undefined;
      parts.push(value);
    }
    [hour, minute, second] = parts;
    const digits = /^[.,]([0-9]+)/.exec(cursor.rest);
    if (digits) {
      cursor.rest = cursor.rest.slice(digits[0].length);
      fraction = digits[1].slice(0, 9).replace(/0+$/, '');
    }
    if (zone) {
      const parsedOffset = takeZone(cursor);
      if (parsedOffset === undefined) return undefined;
      offset = parsedOffset;
    }
  }
  if (cursor.rest !== '' || day < 1 || day > daysInMonth(year, month)) return undefined;
  const two = (value: number) => String(value).padStart(2, '0');
  const time = `${two(hour)}:${two(minute)}:${two(second)}${fraction ? `.${fraction}` : ''}`;
  return new YamlTimestamp(`${text.slice(0, 4)}-${two(month)}-${two(day)}T${time}${offset}`);
}

/** Go's `getnum(s, false)`: one or two digits. */
function takeNumber(cursor: { rest: string }): number | undefined {
  const match = /^[0-9]{1,2}/.exec(cursor.rest);
  if (!match) return undefined;
  cursor.rest = cursor.rest.slice(match[0].length);
  return Number(match[0]);
}

function takeLiteral(cursor: { rest: string }, literal: string): boolean {
  if (!cursor.rest.startsWith(literal)) return false;
  cursor.rest = cursor.rest.slice(literal.length);
  return true;
}

/** Go's `Z07:00` layout element: `Z`, or a sign, two hour digits, `:`, two minute digits; returned as Go formats it. */
function takeZone(cursor: { rest: string }): string | undefined {
  if (cursor.rest.startsWith('Z')) {
    cursor.rest = cursor.rest.slice(1);
    return 'Z';
  }
  const match = /^([+-])([0-9]{2}):([0-9]{2})/.exec(cursor.rest);
  if (!match || Number(match[2]) > 24 || Number(match[3]) > 60) return undefined;
  cursor.rest = cursor.rest.slice(6);
  return Number(match[2]) === 0 && Number(match[3]) === 0 ? 'Z' : match[0];
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// ---------------------------------------------------------------------------------------------------------
// Encoding (gopkg.in/yaml.v3 encode.go + emitterc.go, indent 2, unlimited width, no comments or tags)

type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

interface NodeContext {
  /** The node is an item of a block sequence (yaml.v3's BLOCK_SEQUENCE_ITEM state is on top). */
  sequence: boolean;
  /** The node is a mapping key written without `?`. */
  simpleKey: boolean;
}

interface ScalarAnalysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

const BEST_INDENT = 2;
/** yaml.v3 writes a key inline when it is at most this many bytes (`yaml_emitter_check_simple_key`). */
const maxSimpleKeyBytes = 128;

class Emitter {
  output = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;

  emitNode(value: ManifestValue, context: NodeContext, goFloat = false): void {
    if (Array.isArray(value)) {
      if (value.length === 0) this.emitEmptyFlow('[', ']', context);
      else this.emitBlockSequence(value, context);
    } else if (isManifestObject(value)) {
      const keys = Object.keys(value).filter((key) => value[key] !== undefined);
      if (keys.length === 0) this.emitEmptyFlow('{', '}', context);
      else this.emitBlockMapping(value, sortKeys(keys, typedKeys.get(value)), context);
    } else {
      const { text, style } = goFloat ? { text: formatGoFloat(value as number), style: 'plain' as const } : encodeScalar(value);
      this.emitScalar(text, style, context);
    }
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
  }

  private emitBlockSequence(items: ManifestValue[], context: NodeContext): void {
    const saved = this.increaseIndent(false, context.sequence);
    items.forEach((item, index) => {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.emitNode(item === undefined ? null : item, { sequence: true, simpleKey: false }, isIntegralFloat(items, String(index), item));
    });
    this.indent = saved;
  }

  private emitBlockMapping(object: ManifestObject, keys: string[], context: NodeContext): void {
    const saved = this.increaseIndent(false, context.sequence);
    const typed = typedKeys.get(object);
    for (const key of keys) {
      this.writeIndent();
      const keyScalar = encodeKey(key, typed?.get(key));
      const analysis = analyzeScalar(keyScalar.text);
      if (!analysis.multiline && Buffer.byteLength(keyScalar.text, 'utf8') <= maxSimpleKeyBytes) {
        this.emitScalar(keyScalar.text, keyScalar.style, { sequence: false, simpleKey: true });
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.emitScalar(keyScalar.text, keyScalar.style, { sequence: false, simpleKey: false });
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.emitNode(object[key], { sequence: false, simpleKey: false }, isIntegralFloat(object, key, object[key]));
    }
    this.indent = saved;
  }

  private emitEmptyFlow(open: string, close: string, context: NodeContext): void {
    this.writeIndicator(open, true, true, false);
    const saved = this.increaseIndent(true, context.sequence);
    this.indent = saved;
    if (this.column === 0) this.writeIndent();
    this.writeIndicator(close, false, false, false);
  }

  private emitScalar(text: string, requested: ScalarStyle, context: NodeContext): void {
    const analysis = analyzeScalar(text);
    let style = requested;
    if (context.simpleKey && analysis.multiline) style = 'double';
    if (style === 'plain') {
      if (!analysis.blockPlainAllowed) style = 'single';
      if (text.length === 0 && context.simpleKey) style = 'single';
    }
    if (style === 'single' && !analysis.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!analysis.blockAllowed || context.simpleKey)) style = 'double';

    const saved = this.increaseIndent(true, context.sequence);
    const chars = Array.from(text);
    if (style === 'plain') this.writePlain(chars);
    else if (style === 'single') this.writeSingleQuoted(chars);
    else if (style === 'double') this.writeDoubleQuoted(chars);
    else this.writeLiteral(chars);
    this.indent = saved;
  }

  /** `yaml_emitter_increase_indent` (yaml.v3's variant); returns the indent to restore afterwards. */
  private increaseIndent(flow: boolean, inSequenceItem: boolean): number {
    const saved = this.indent;
    if (this.indent < 0) {
      this.indent = flow ? BEST_INDENT : 0;
    } else if (inSequenceItem) {
      this.indent += 2;
    } else {
      this.indent = BEST_INDENT * Math.floor((this.indent + BEST_INDENT) / BEST_INDENT);
    }
    return saved;
  }

  private put(char: string): void {
    this.output += char;
    this.column++;
  }

  private putBreak(): void {
    this.output += '\n';
    this.column = 0;
    this.indention = true;
  }

  private writeBreak(char: string): void {
    if (char === '\n') {
      this.putBreak();
      return;
    }
    this.output += char;
    this.column = 0;
    this.indention = true;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const char of indicator) this.put(char);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  private writePlain(chars: string[]): void {
    if (chars.length > 0 && !this.whitespace) this.put(' ');
    let breaks = false;
    for (const char of chars) {
      if (isBreak(char)) {
        if (!breaks && char === '\n') this.putBreak();
        this.writeBreak(char);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(char);
        this.indention = false;
        breaks = false;
      }
    }
    if (chars.length > 0) this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(chars: string[]): void {
    this.writeIndicator("'", true, false, false);
    let breaks = false;
    for (const char of chars) {
      if (char === ' ') {
        this.put(char);
      } else if (isBreak(char)) {
        if (!breaks && char === '\n') this.putBreak();
        this.writeBreak(char);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (char === "'") this.put("'");
        this.put(char);
        this.indention = false;
        breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(chars: string[]): void {
    this.writeIndicator('"', true, false, false);
    // yaml.v3 tests for a byte order mark at the start of the value, not at each character.
    const startsWithBom = chars[0] === '\uFEFF';
    for (const char of chars) {
      const code = char.codePointAt(0) as number;
      if (!isPrintable(code) || startsWithBom || isBreak(char) || char === '"' || char === '\\') {
        this.put('\\');
        const short = doubleQuotedEscapes.get(code);
        if (short !== undefined) {
          this.put(short);
        } else {
          const [letter, width] = code <= 0xff ? ['x', 2] : code <= 0xffff ? ['u', 4] : ['U', 8];
          this.put(letter);
          for (const digit of code.toString(16).toUpperCase().padStart(width, '0')) this.put(digit);
        }
      } else {
        this.put(char);
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(chars: string[]): void {
    this.writeIndicator('|', true, false, false);
    if (chars.length > 0 && (chars[0] === ' ' || isBreak(chars[0]))) {
      this.writeIndicator(String(BEST_INDENT), false, false, false);
    }
    const chomp = literalChompIndicator(chars);
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.whitespace = true;
    let breaks = true;
    for (const char of chars) {
      if (isBreak(char)) {
        this.writeBreak(char);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(char);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

function literalChompIndicator(chars: string[]): string | undefined {
  if (chars.length === 0) return '-';
  const last = chars.length - 1;
  if (!isBreak(chars[last])) return '-';
  if (last === 0) return '+';
  return isBreak(chars[last - 1]) ? '+' : undefined;
}

const doubleQuotedEscapes = new Map<number, string>([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);

function isBreak(char: string): boolean {
  return char === '\r' || char === '\n' || char === '\u0085' || char === '\u2028' || char === '\u2029';
}

/** yaml.v3's `is_printable`: characters above U+FFFF count as not printable and get escaped. */
function isPrintable(code: number): boolean {
  return (
    code === 0x0a ||
    (code >= 0x20 && code <= 0x7e) ||
    (code >= 0xa0 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd && code !== 0xfeff)
  );
}

/** `yaml_emitter_analyze_scalar`, reduced to what block context (no flow collections) needs. */
function analyzeScalar(text: string): ScalarAnalysis {
  if (text.length === 0) {
    return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  }
  const chars = Array.from(text);
  let blockIndicators = text.startsWith('---') || text.startsWith('...');
  let lineBreaks = false;
  let specialCharacters = false;
  let tabCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;

  chars.forEach((char, index) => {
    const next = chars[index + 1];
    const followedByWhitespace = next === undefined || next === ' ' || next === '\t';
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(char)) blockIndicators = true;
      if ((char === '?' || char === ':') && followedByWhitespace) blockIndicators = true;
      if (char === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (char === ':' && followedByWhitespace) blockIndicators = true;
      if (char === '#' && precededByWhitespace) blockIndicators = true;
    }
    const code = char.codePointAt(0) as number;
    if (char === '\t') tabCharacters = true;
    else if (!isPrintable(code)) specialCharacters = true;
    const last = index === chars.length - 1;
    if (char === ' ') {
      if (index === 0) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(char)) {
      lineBreaks = true;
      if (index === 0) leadingBreak = true;
      if (last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = char === ' ' || char === '\t' || isBreak(char) || char === '\0';
  });

  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || tabCharacters || specialCharacters) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) blockAllowed = false;
  if (lineBreaks || blockIndicators) blockPlainAllowed = false;
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

/** The text and requested style of a scalar, as yaml.v3's encoder chooses them. */
function encodeScalar(value: ManifestScalar | undefined): { text: string; style: ScalarStyle } {
  if (value === null || value === undefined) return { text: 'null', style: 'plain' };
  if (typeof value === 'boolean') return { text: value ? 'true' : 'false', style: 'plain' };
  if (typeof value === 'bigint') return { text: value.toString(), style: 'plain' };
  if (typeof value === 'number') return { text: formatNumber(value), style: 'plain' };
  if (value instanceof YamlTimestamp) return { text: value.text, style: 'plain' };
  if (typeof value !== 'string') {
    throw new GitopsError(`Cannot write a ${typeof value} into a manifest.`, {
      hint: 'Manifest values must be strings, numbers, booleans, null, arrays or plain objects.',
    });
  }
  if (value.includes('\n')) return { text: value, style: 'literal' };
  const canUsePlain = resolvePlain(value).tag === 'str' && !isBase60Float(value) && !isOldBool(value);
  return { text: value, style: canUsePlain ? 'plain' : 'double' };
}

function encodeKey(key: string, typed: Resolved | undefined): { text: string; style: ScalarStyle } {
  if (!typed) return encodeScalar(key);
  if (typed.tag === 'float') return { text: formatGoFloat(typed.value as number), style: 'plain' };
  return encodeScalar(typed.value);
}

const base60Float = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function isBase60Float(text: string): boolean {
  return /^[-+0-9]/.test(text) && text.includes(':') && base60Float.test(text);
}

const oldBooleans = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

function isOldBool(text: string): boolean {
  return oldBooleans.has(text);
}

/**
 * Safe integers as Go prints an `int`; everything else as `strconv.FormatFloat(f, 'g', -1, 64)`.
 * (Whole-number floats from parsed YAML are recognised through `integralFloats`.)
 */
function formatNumber(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Number.POSITIVE_INFINITY) return '.inf';
  if (value === Number.NEGATIVE_INFINITY) return '-.inf';
  if (Object.is(value, -0)) return '-0';
  if (Number.isSafeInteger(value)) return String(value);
  return formatGoFloat(value);
}

function formatGoFloat(value: number): string {
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = value < 0 ? '-' : '';
  if (exponent < -4 || exponent >= 6) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  const pointPosition = exponent + 1;
  if (pointPosition <= 0) return `${sign}0.${'0'.repeat(-pointPosition)}${digits}`;
  if (pointPosition >= digits.length) return `${sign}${digits}${'0'.repeat(pointPosition - digits.length)}`;
  return `${sign}${digits.slice(0, pointPosition)}.${digits.slice(pointPosition)}`;
}

/** reflect.Kind numbers, which yaml.v3's `keyList.Less` compares when key types differ. */
const goKind = { bool: 1, int: 2, uint64: 11, float: 14, nil: 20, string: 24, time: 25 } as const;

interface GoKey {
  kind: number;
  /** yaml.v3's `keyFloat`: numbers and booleans as float64. */
  number?: number;
  exact?: bigint | number | boolean;
  runes?: string[];
}

function goKey(key: string, typed: Resolved | undefined): GoKey {
  if (!typed || typed.tag === 'str') return { kind: goKind.string, runes: Array.from(key) };
  const value = typed.value;
  if (typed.tag === 'bool') return { kind: goKind.bool, number: value ? 1 : 0, exact: value as boolean };
  if (typed.tag === 'float') return { kind: goKind.float, number: value as number, exact: value as number };
  if (typed.tag === 'int') {
    const exact = BigInt(value as number | bigint);
    return { kind: exact > INT64_MAX ? goKind.uint64 : goKind.int, number: Number(exact), exact };
  }
  return { kind: typed.tag === 'null' ? goKind.nil : goKind.time };
}

/** Map keys in yaml.v3's order (`keyList.Less`): numbers and booleans first, then natural order of strings. */
function sortKeys(keys: string[], typed: ReadonlyMap<string, Resolved> | undefined): string[] {
  const goKeys = new Map(keys.map((key) => [key, goKey(key, typed?.get(key))]));
  return [...keys].sort((a, b) => {
    const ak = goKeys.get(a) as GoKey;
    const bk = goKeys.get(b) as GoKey;
    if (goKeyLess(ak, bk)) return -1;
    if (goKeyLess(bk, ak)) return 1;
    return 0;
  });
}

function goKeyLess(a: GoKey, b: GoKey): boolean {
  if (a.number !== undefined && b.number !== undefined) {
    if (a.number !== b.number) return a.number < b.number;
    if (a.kind !== b.kind) return a.kind < b.kind;
    return (a.exact as number | bigint | boolean) < (b.exact as number | bigint | boolean);
  }
  if (a.runes === undefined || b.runes === undefined) return a.kind < b.kind;
  return keyLess(a.runes, b.runes);
}

function keyLess(ar: string[], br: string[]): boolean {
  let digits = false;
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) {
      digits = isUnicodeDigit(ar[i]);
      continue;
    }
    const aLetter = isUnicodeLetter(ar[i]);
    const bLetter = isUnicodeLetter(br[i]);
    if (aLetter && bLetter) return codePoint(ar[i]) < codePoint(br[i]);
    if (aLetter || bLetter) return digits ? aLetter : bLetter;
    let an = 0n;
    let bn = 0n;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isUnicodeDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isUnicodeDigit(ar[ai]); ai++) an = BigInt.asIntN(64, an * 10n + BigInt(codePoint(ar[ai]) - 48));
    let bi = i;
    for (; bi < br.length && isUnicodeDigit(br[bi]); bi++) bn = BigInt.asIntN(64, bn * 10n + BigInt(codePoint(br[bi]) - 48));
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return codePoint(ar[i]) < codePoint(br[i]);
  }
  return ar.length < br.length;
}

function codePoint(char: string): number {
  return char.codePointAt(0) as number;
}

function isUnicodeLetter(char: string): boolean {
  return /^\p{L}$/u.test(char);
}

function isUnicodeDigit(char: string): boolean {
  return /^\p{Nd}$/u.test(char);
}

/** Go's `bytes.TrimSpace`: strips Unicode white space (not U+FEFF, unlike `String.prototype.trim`). */
function goTrimSpace(text: string): string {
  const space = '[\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]';
  return text.replace(new RegExp(`^${space}+`), '').replace(new RegExp(`${space}+$`), '');
}
