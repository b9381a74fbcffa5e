import { GitopsError } from '../../lib/errors';
import { type ManifestObject, type ManifestValue, YamlTimestamp, isManifestObject } from '../../manifests/yaml';

/**
 * Serialises resources exactly as `kustomize build` prints them. kustomize turns each resource into JSON
 * (yaml.v3 values, Go's `encoding/json`) and that JSON into YAML with sigs.k8s.io/yaml (a yaml.v2 encoder):
 * keys sorted in yaml.v2's natural order, whole numbers written as integers, sequences not indented under
 * their key, yaml.v2's quoting, plain and quoted scalars folded after column 80, literal blocks for
 * multi-line strings; documents separated by `---`.
 */
export function serializeKustomizeOutput(resources: readonly ManifestObject[]): string {
  return resources
    .map((resource) => {
      const emitter = new V2Emitter();
      emitter.emitNode(resource, 'none');
      emitter.finish();
      return emitter.output;
    })
    .join('---\n');
}

type Context = 'none' | 'sequence' | 'mapping' | 'key';
type Style = 'plain' | 'single' | 'double' | 'literal';

const BEST_INDENT = 2;
const BEST_WIDTH = 80;
const MAX_SIMPLE_KEY_BYTES = 128;

class V2Emitter {
  output = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;

  finish(): void {
    if (this.column !== 0) this.putBreak();
  }

  emitNode(value: ManifestValue, context: Context): void {
    if (Array.isArray(value)) {
      if (value.length === 0) this.emitEmptyFlow('[]');
      else this.emitBlockSequence(value, context);
    } else if (isManifestObject(value)) {
      const keys = sortKeysV2(Object.keys(value).filter((key) => value[key] !== undefined));
      if (keys.length === 0) this.emitEmptyFlow('{}');
      else this.emitBlockMapping(value, keys);
    } else {
      const { text, style } = encodeScalar(value);
      this.emitScalar(text, style, context === 'key');
    }
  }

  private emitBlockSequence(items: ManifestValue[], context: Context): void {
    const saved = this.indent;
    this.increaseIndent(false, context === 'mapping' && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.emitNode(item, 'sequence');
    }
    this.indent = saved;
  }

  private emitBlockMapping(object: ManifestObject, keys: string[]): void {
    const saved = this.indent;
    this.increaseIndent(false, false);
    for (const key of keys) {
      this.writeIndent();
      const encoded = encodeScalar(key);
      if (!analyzeScalar(encoded.text).multiline && Buffer.byteLength(encoded.text, 'utf8') <= MAX_SIMPLE_KEY_BYTES) {
        this.emitScalar(encoded.text, encoded.style, true);
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.emitScalar(encoded.text, encoded.style, false);
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.emitNode(object[key], 'mapping');
    }
    this.indent = saved;
  }

  private emitEmptyFlow(text: '[]' | '{}'): void {
    this.writeIndicator(text[0], true, true, false);
    this.writeIndicator(text[1], false, false, false);
  }

  private emitScalar(text: string, requested: Style, simpleKey: boolean): void {
    const analysis = analyzeScalar(text);
    let style = requested;
    if (simpleKey && analysis.multiline) style = 'double';
    if (style === 'plain') {
      if (!analysis.blockPlainAllowed) style = 'single';
      if (text.length === 0 && simpleKey) style = 'single';
    }
    if (style === 'single' && !analysis.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!analysis.blockAllowed || simpleKey)) style = 'double';
    const saved = this.indent;
    this.increaseIndent(true, false);
    const chars = Array.from(text);
    const allowBreaks = !simpleKey;
    if (style === 'plain') this.writePlain(chars, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(chars, allowBreaks);
    else if (style === 'double') this.writeDoubleQuoted(chars, allowBreaks);
    else this.writeLiteral(chars);
    this.indent = saved;
  }

  /** libyaml's `yaml_emitter_increase_indent` as yaml.v2 has it. */
  private increaseIndent(flow: boolean, indentless: boolean): void {
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private put(char: string): void {
    this.output += char;
    this.column++;
  }

  private putBreak(): void {
    this.output += '\n';
    this.column = 0;
  }

  private writeBreak(char: string): void {
    if (char === '\n') this.putBreak();
    else {
      this.output += char;
      this.column = 0;
    }
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const char of indicator) this.put(char);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  private writePlain(chars: string[], allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    let spaces = false;
    let breaks = false;
    chars.forEach((char, index) => {
      if (char === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && chars[index + 1] !== ' ') this.writeIndent();
        else this.put(char);
        spaces = true;
      } else if (isBreak(char)) {
        if (!breaks && char === '\n') this.putBreak();
        this.writeBreak(char);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(char);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    });
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(chars: string[], allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    chars.forEach((char, index) => {
      if (char === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && index !== 0 && index !== chars.length - 1 && chars[index + 1] !== ' ') this.writeIndent();
        else this.put(char);
        spaces = true;
      } else if (isBreak(char)) {
        if (!breaks && char === '\n') this.putBreak();
        this.writeBreak(char);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (char === "'") this.put("'");
        this.put(char);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    });
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(chars: string[], allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    let spaces = false;
    chars.forEach((char, index) => {
      const code = char.codePointAt(0) as number;
      if (!isPrintable(code) || code === 0xfeff || isBreak(char) || char === '"' || char === '\\') {
        this.put('\\');
        const short = doubleQuotedEscapes.get(code);
        if (short !== undefined) this.put(short);
        else {
          const [letter, width] = code <= 0xff ? ['x', 2] : code <= 0xffff ? ['u', 4] : ['U', 8];
          this.put(letter);
          for (const digit of code.toString(16).toUpperCase().padStart(width, '0')) this.put(digit);
        }
        spaces = false;
      } else if (char === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && index !== 0 && index !== chars.length - 1) {
          this.writeIndent();
          if (chars[index + 1] === ' ') this.put('\\');
        } else this.put(char);
        spaces = true;
      } else {
        this.put(char);
        spaces = false;
      }
    });
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(chars: string[]): void {
    this.writeIndicator('|', true, false, false);
    if (chars.length > 0 && (chars[0] === ' ' || isBreak(chars[0]))) this.writeIndicator(String(BEST_INDENT), false, false, false);
    const chomp = literalChompIndicator(chars);
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const char of chars) {
      if (isBreak(char)) {
        this.writeBreak(char);
        this.indention = true;
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

function isBreak(char: string | undefined): boolean {
  return char === '\r' || char === '\n' || char === '\u0085' || char === '\u2028' || char === '\u2029';
}

function isPrintable(code: number): boolean {
  return code === 0x0a || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd && code !== 0xfeff) || (code >= 0x10000 && code <= 0x10ffff);
}

interface ScalarAnalysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

/** libyaml's `yaml_emitter_analyze_scalar` for block context. */
function analyzeScalar(text: string): ScalarAnalysis {
  if (text.length === 0) return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  const chars = Array.from(text);
  let blockIndicators = text.startsWith('---') || text.startsWith('...');
  let lineBreaks = false;
  let specialCharacters = false;
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
    const followedByWhitespace = next === undefined || next === ' ' || next === '\t' || isBreak(next);
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(char)) blockIndicators = true;
      if ((char === '?' || char === ':') && followedByWhitespace) blockIndicators = true;
      if (char === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (char === ':' && followedByWhitespace) blockIndicators = true;
      if (char === '#' && precededByWhitespace) blockIndicators = true;
    }
    const code = char.codePointAt(0) as number;
    if (!isPrintable(code) || code === 0xfeff) specialCharacters = true;
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
    precededByWhitespace = char === ' ' || char === '\t' || isBreak(char);
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
  if (spaceBreak || specialCharacters) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
    blockAllowed = false;
  }
  if (lineBreaks || blockIndicators) blockPlainAllowed = false;
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

function encodeScalar(value: ManifestValue): { text: string; style: Style } {
  if (value === null) return { text: 'null', style: 'plain' };
  if (typeof value === 'boolean') return { text: String(value), style: 'plain' };
  if (typeof value === 'bigint') return { text: value.toString(), style: 'plain' };
  if (typeof value === 'number') return { text: formatJsonNumberAsV2(value), style: 'plain' };
  if (value instanceof YamlTimestamp) return encodeScalar(value.text);
  if (typeof value !== 'string') throw new GitopsError('Cannot write this value as kustomize would.', { hint: 'Manifest values must be scalars, sequences or mappings.' });
  if (value.includes('\n')) return { text: value, style: 'literal' };
  return { text: value, style: resolvesToStringV2(value) && !isBase60Float(value) ? 'plain' : 'double' };
}

/**
 * A float64 written by Go's `encoding/json` and read back by yaml.v2: whole numbers below 2^63 become
 * integers, others keep Go's shortest `%g` form.
 */
function formatJsonNumberAsV2(value: number): string {
  if (!Number.isFinite(value)) {
    throw new GitopsError(`kustomize cannot write the number ${value} (JSON has no such value).`, { hint: 'Quote the value or remove it.' });
  }
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 63) return BigInt(value).toString();
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 64 && value > 0) return BigInt(value).toString();
  return formatGoFloat(value);
}

/** Go's `strconv.FormatFloat(f, 'g', -1, 64)`. */
export function formatGoFloat(value: number): string {
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = value < 0 ? '-' : '';
  if (exponent < -4 || exponent >= 6) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const point = exponent + 1;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const v2Nulls = new Set(['', '~', 'null', 'Null', 'NULL']);
const v2Bools = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const v2SpecialFloats = new Set(['.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF']);
const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** True when yaml.v2's `resolve("", text)` gives `!!str`, so the text may be written unquoted. */
export function resolvesToStringV2(text: string): boolean {
  if (v2Nulls.has(text) || v2Bools.has(text) || v2SpecialFloats.has(text) || text === '<<') return false;
  const first = text[0];
  if (first === '.') return !isGoFloat(text);
  if (first === '+' || first === '-' || (first >= '0' && first <= '9')) {
    if (isTimestampV2(text)) return false;
    const plain = text.replace(/_/g, '');
    if (isGoInt(plain)) return false;
    if (yamlStyleFloat.test(plain)) return false;
    if (/^-?0b[01]+$/.test(plain)) return false;
  }
  return true;
}

/** Go's `strconv.ParseFloat(s, 64)` succeeds (decimal forms; `.`-led texts only reach here). */
function isGoFloat(text: string): boolean {
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) || /^[-+]?(inf|infinity|nan)$/i.test(text);
}

/** `strconv.ParseInt(s, 0, 64)` or `ParseUint(s, 0, 64)` succeeds. */
function isGoInt(text: string): boolean {
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return false;
  let body = match[2];
  let value: bigint;
  if (/^0[oO]/.test(body)) body = `0o${body.slice(2)}`;
  else if (/^0[0-7]+$/.test(body)) body = `0o${body.slice(1)}`;
  try {
    value = BigInt(body);
  } catch {
    return false;
  }
  if (match[1] === '-') return value <= 2n ** 63n;
  if (match[1] === '+') return value < 2n ** 63n;
  return value < 2n ** 64n;
}

/** yaml.v2's `parseTimestamp`: `YYYY-M-D` alone or followed by a time, as Go's `time.Parse` accepts them. */
function isTimestampV2(text: string): boolean {
  const match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]| +)(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?: *(?:Z|[-+]\d{1,2}(?::?\d{2})?))?)?$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return false;
  if (match[4] !== undefined && (Number(match[4]) > 23 || Number(match[5]) > 59 || Number(match[6]) > 59)) return false;
  return true;
}

const base60Float = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function isBase60Float(text: string): boolean {
  return /^[-+0-9]/.test(text) && text.includes(':') && base60Float.test(text);
}

/** yaml.v2's `keyList.Less` on string keys: natural order, numbers inside keys compared by value. */
export function sortKeysV2(keys: string[]): string[] {
  const runes = new Map(keys.map((key) => [key, Array.from(key)]));
  return [...keys].sort((a, b) => {
    const ar = runes.get(a) as string[];
    const br = runes.get(b) as string[];
    if (keyLessV2(ar, br)) return -1;
    if (keyLessV2(br, ar)) return 1;
    return 0;
  });
}

function keyLessV2(ar: string[], br: string[]): boolean {
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const aLetter = /^\p{L}$/u.test(ar[i]);
    const bLetter = /^\p{L}$/u.test(br[i]);
    if (aLetter && bLetter) return (ar[i].codePointAt(0) as number) < (br[i].codePointAt(0) as number);
    if (aLetter || bLetter) return bLetter;
    let an = 0n;
    let bn = 0n;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = BigInt.asIntN(64, an * 10n + BigInt((ar[ai].codePointAt(0) as number) - 48));
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = BigInt.asIntN(64, bn * 10n + BigInt((br[bi].codePointAt(0) as number) - 48));
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return (ar[i].codePointAt(0) as number) < (br[i].codePointAt(0) as number);
  }
  return ar.length < br.length;
}

function isDigit(char: string): boolean {
  return /^\p{Nd}$/u.test(char);
}
