import { GitopsError } from '../lib/errors';

/**
 * The subset of Go `text/template` that skaffold tag templates use in practice: literal text, `{{.FIELD}}`
 * (with `{{-` / `-}}` trim markers and `{{/* comments *\/}}`), string literals, and the functions
 * sprig's string functions listed in {@link SPRIG_FUNCTIONS} (sprig semantics), alone or in a `|` pipeline,
 * with string and integer literals. Everything else (`if`, `range`, `with`, variables, functions that
 * return lists or booleans, `env`, `cmd`) is refused with an error naming the template and the construct,
 * so a config never renders differently here than under skaffold.
 */

/** An argument of a command: a field of the data (`.FOO`), a string literal or an integer literal. */
type Operand = { kind: 'field'; name: string } | { kind: 'string'; value: string } | { kind: 'number'; value: number };

/** One command of a pipeline: a bare operand, or a function applied to operands. */
type Command = { kind: 'operand'; operand: Operand } | { kind: 'call'; fn: SupportedFunction; args: Operand[] };

type TemplateNode = { kind: 'text'; text: string } | { kind: 'action'; pipeline: Command[]; source: string };

/** A parameter type: a string (`s`) or an int (`n`). */
type Parameter = 's' | 'n';

/**
 * The sprig functions templates may call, with their parameters (`variadic`: any number of strings, at
 * least one). Only functions of strings and ints that return a string are offered: the rest need
 * constructs this engine refuses, and `env`/`expandenv` would read variables the Nx inputs do not declare.
 */
export const SPRIG_FUNCTIONS = {
  default: ['s', 's'],
  lower: ['s'],
  upper: ['s'],
  trim: ['s'],
  trimAll: ['s', 's'],
  trimPrefix: ['s', 's'],
  trimSuffix: ['s', 's'],
  replace: ['s', 's', 's'],
  quote: 'variadic',
  squote: 'variadic',
  cat: 'variadic',
  coalesce: 'variadic',
  required: ['s', 's'],
  title: ['s'],
  substr: ['n', 'n', 's'],
  trunc: ['n', 's'],
  repeat: ['n', 's'],
  nospace: ['s'],
} as const satisfies Record<string, readonly Parameter[] | 'variadic'>;
type SupportedFunction = keyof typeof SPRIG_FUNCTIONS;

const controlKeywords = new Set(['if', 'else', 'end', 'range', 'with', 'template', 'block', 'define', 'break', 'continue', 'nil']);

/** A parsed template, ready to execute many times. */
export interface GoTemplate {
  /** Where the template comes from, quoted in errors (e.g. `envTemplate`, `customTemplate`). */
  readonly name: string;
  readonly source: string;
  readonly nodes: readonly TemplateNode[];
}

/** How a field missing from the data is handled, as Go's `Option("missingkey=…")`. */
export type MissingKeyMode = 'invalid' | 'error';

/** Go prints this for a missing map key under `missingkey=default|invalid`. */
export const NO_VALUE = '<no value>';

const hint = `Use only "{{.NAME}}" fields, string and integer literals and the functions ${Object.keys(SPRIG_FUNCTIONS).join(', ')} in templates.`;

function templateError(template: { name: string; source: string }, message: string): GitopsError {
  return new GitopsError(`Template ${template.name} ${JSON.stringify(template.source)}: ${message}`, { hint });
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

/** Parses `source` (named `name` in errors). Throws a {@link GitopsError} on syntax errors and unsupported constructs. */
export function parseGoTemplate(name: string, source: string): GoTemplate {
  const where = { name, source };
  const nodes: TemplateNode[] = [];
  let pos = 0;
  let trimNextText = false;
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    let text = open < 0 ? source.slice(pos) : source.slice(pos, open);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, '');
    if (open < 0) {
      if (text) nodes.push({ kind: 'text', text });
      break;
    }
    let bodyStart = open + 2;
    // Go only reads "{{-" as a trim marker when whitespace follows; "{{-3}}" is a number.
    if (source[bodyStart] === '-' && isSpace(source[bodyStart + 1])) {
      text = text.replace(/[ \t\r\n]+$/, '');
      bodyStart += 2;
    }
    if (text) nodes.push({ kind: 'text', text });
    const close = findActionEnd(source, bodyStart);
    if (close < 0) throw templateError(where, `unclosed action starting at offset ${open}.`);
    let bodyEnd = close;
    trimNextText = false;
    if (source[close - 1] === '-' && isSpace(source[close - 2])) {
      trimNextText = true;
      bodyEnd = close - 2;
    }
    const body = source.slice(bodyStart, bodyEnd).trim();
    pos = close + 2;
    if (body.startsWith('/*')) {
      if (!body.endsWith('*/')) throw templateError(where, `unclosed comment at offset ${open}.`);
      continue;
    }
    nodes.push({ kind: 'action', pipeline: parsePipeline(where, body), source: source.slice(open, pos) });
  }
  return { name, source, nodes };
}

/** Finds the `}}` that closes an action, skipping string literals that may contain braces. */
function findActionEnd(source: string, from: number): number {
  let i = from;
  while (i < source.length) {
    const ch = source[i];
    if (ch === '"' || ch === '`') {
      const quote = ch;
      i++;
      while (i < source.length && source[i] !== quote) {
        if (quote === '"' && source[i] === '\\') i++;
        if (quote === '"' && source[i] === '\n') return -1;
        i++;
      }
      i++;
      continue;
    }
    if (ch === '}' && source[i + 1] === '}') return i;
    i++;
  }
  return -1;
}

type Token = { kind: 'field' | 'dot' | 'string' | 'number' | 'ident' | 'pipe' | 'other'; text: string; value?: string };

function tokenize(where: { name: string; source: string }, body: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < body.length) {
    const ch = body[i];
    if (isSpace(ch)) {
      i++;
      continue;
    }
    if (ch === '|') {
      tokens.push({ kind: 'pipe', text: '|' });
      i++;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      while (j < body.length && body[j] !== '"') j += body[j] === '\\' ? 2 : 1;
      const literal = body.slice(i, j + 1);
      let value: string;
      try {
        value = JSON.parse(literal) as string;
      } catch {
        throw templateError(where, `cannot read the string literal ${literal}.`);
      }
      tokens.push({ kind: 'string', text: literal, value });
      i = j + 1;
      continue;
    }
    if (ch === '`') {
      const j = body.indexOf('`', i + 1);
      tokens.push({ kind: 'string', text: body.slice(i, j + 1), value: body.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    const word = /^[^\s|()"`]+/.exec(body.slice(i));
    const text = word ? word[0] : ch;
    if (text === '.') tokens.push({ kind: 'dot', text });
    else if (/^\.[A-Za-z_][A-Za-z0-9_]*$/.test(text)) tokens.push({ kind: 'field', text, value: text.slice(1) });
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(text)) tokens.push({ kind: 'ident', text });
    else if (/^[-+]?\d+$/.test(text)) tokens.push({ kind: 'number', text, value: text });
    else tokens.push({ kind: 'other', text });
    i += text.length;
  }
  return tokens;
}

function parsePipeline(where: { name: string; source: string }, body: string): Command[] {
  if (!body) throw templateError(where, 'missing value for command "{{}}".');
  const tokens = tokenize(where, body);
  const commands: Command[] = [];
  let current: Token[] = [];
  const flush = () => {
    if (current.length === 0) throw templateError(where, `missing command in pipeline "{{${body}}}".`);
    commands.push(parseCommand(where, current, commands.length > 0));
    current = [];
  };
  for (const token of tokens) {
    if (token.kind === 'pipe') flush();
    else current.push(token);
  }
  flush();
  return commands;
}

function parseCommand(where: { name: string; source: string }, tokens: Token[], piped: boolean): Command {
  const [head, ...rest] = tokens;
  if (head.kind === 'ident') {
    if (controlKeywords.has(head.text)) {
      throw templateError(where, `"{{${head.text} …}}" is not supported in tag templates.`);
    }
    if (!Object.prototype.hasOwnProperty.call(SPRIG_FUNCTIONS, head.text)) {
      throw templateError(where, `the function "${head.text}" is not supported in tag templates.`);
    }
    const fn = head.text as SupportedFunction;
    const args = rest.map((token) => parseOperand(where, token));
    const signature: readonly Parameter[] | 'variadic' = SPRIG_FUNCTIONS[fn];
    const count = args.length + (piped ? 1 : 0);
    if (signature === 'variadic' ? count === 0 : count !== signature.length) {
      throw templateError(where, `wrong number of arguments for ${fn}: want ${signature === 'variadic' ? 'at least 1' : signature.length}.`);
    }
    args.forEach((operand, index) => {
      const expected = signature === 'variadic' ? 's' : signature[index];
      const given = operand.kind === 'number' ? 'n' : 's';
      if (expected !== given) {
        throw templateError(where, `wrong type for value; expected ${expected === 'n' ? 'int' : 'string'}; got ${given === 'n' ? 'int' : 'string'} (argument ${index + 1} of ${fn}).`);
      }
    });
    return { kind: 'call', fn, args };
  }
  if (rest.length > 0) {
    throw templateError(where, `"${tokens.map((t) => t.text).join(' ')}" is not supported in tag templates (can't give arguments to a non-function).`);
  }
  if (piped) throw templateError(where, `"${head.text}" cannot take a piped value.`);
  return { kind: 'operand', operand: parseOperand(where, head) };
}

function parseOperand(where: { name: string; source: string }, token: Token): Operand {
  switch (token.kind) {
    case 'field':
      return { kind: 'field', name: token.value as string };
    case 'string':
      return { kind: 'string', value: token.value as string };
    case 'number':
      return { kind: 'number', value: Number(token.value) };
    case 'dot':
      // Printing the whole map would put every environment variable, secrets included, into a tag.
      throw templateError(where, '"." (the whole data map) is not supported in tag templates; name a field such as {{.NAME}}.');
    default:
      throw templateError(where, `"${token.text}" is not supported in tag templates.`);
  }
}

/** The value of an operand: a string, or `undefined` for a missing field under `missingkey=invalid`. */
type Value = string | undefined;

/**
 * Executes a parsed template against `data`. With `missingKey: 'invalid'` a missing field prints
 * {@link NO_VALUE} (and counts as empty for `default`), as Go does; with `'error'` it throws.
 */
export function executeGoTemplate(
  template: GoTemplate,
  data: Readonly<Record<string, string>>,
  options: { missingKey: MissingKeyMode },
): string {
  let out = '';
  for (const node of template.nodes) {
    if (node.kind === 'text') {
      out += node.text;
      continue;
    }
    let piped: Value | null = null;
    for (const command of node.pipeline) {
      piped = runCommand(template, node.source, command, piped, data, options.missingKey);
    }
    out += printValue(piped);
  }
  return out;
}

function printValue(value: Value | null): string {
  return value === undefined || value === null ? NO_VALUE : value;
}

function runCommand(
  template: GoTemplate,
  action: string,
  command: Command,
  piped: Value | null,
  data: Readonly<Record<string, string>>,
  missingKey: MissingKeyMode,
): Value {
  const evaluate = (operand: Operand): Value => {
    if (operand.kind === 'string') return operand.value;
    if (operand.kind === 'number') return String(operand.value);
    if (Object.prototype.hasOwnProperty.call(data, operand.name)) return data[operand.name];
    if (missingKey === 'error') {
      throw new GitopsError(
        `Template ${template.name} ${JSON.stringify(template.source)}: executing ${action}: map has no entry for key "${operand.name}".`,
        { hint: `Define "${operand.name}" (a component of the customTemplate, or one of GIT, DATE, SHA, INPUT_DIGEST).` },
      );
    }
    return undefined;
  };
  if (command.kind === 'operand') return evaluate(command.operand);
  const numbers = command.args.map((operand) => (operand.kind === 'number' ? operand.value : 0));
  const args = command.args.map((operand) => (operand.kind === 'number' ? undefined : evaluate(operand)));
  if (piped !== null) args.push(piped);
  const fail = (message: string): never => {
    throw new GitopsError(`Template ${template.name} ${JSON.stringify(template.source)}: executing ${action}: error calling ${command.fn}: ${message}`, { hint });
  };
  return callSprig({ fn: command.fn, args, numbers, fail });
}

/** Go's unicode.IsSpace. */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/gu;

/** Go's `%q` (strconv.Quote) of a string. */
function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const escapes: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
    if (escapes[char]) out += escapes[char];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (char !== ' ' && /[\p{C}\p{Z}]/u.test(char)) out += code < 0x10000 ? `\\u${code.toString(16).padStart(4, '0')}` : `\\U${code.toString(16).padStart(8, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** Go's strings.Title: the first letter of each word upper-cased, words separated as Go's isSeparator says. */
function goTitle(text: string): string {
  let previous = ' ';
  let out = '';
  for (const char of text) {
    const separator = /^[\x00-\x7f]$/.test(previous) ? !/[A-Za-z0-9_]/.test(previous) : /\p{Z}/u.test(previous) || (GO_SPACE.lastIndex = 0, GO_SPACE.test(previous));
    out += separator ? char.toUpperCase() : char;
    previous = char;
  }
  return out;
}

/** A Go byte slice `s[start:end]` of a UTF-8 string (sprig's substr and trunc slice bytes). */
function byteSlice(text: string, start: number, end?: number): string {
  return Buffer.from(text, 'utf8').subarray(start, end).toString('utf8');
}

/** Runs one sprig function on evaluated arguments (`undefined` for a missing field, read as ""). */
function callSprig(options: { fn: SupportedFunction; args: Value[]; numbers: number[]; fail: (message: string) => never }): Value {
  const { fn, args, numbers, fail } = options;
  const text = (index: number): string => args[index] ?? '';
  switch (fn) {
    case 'default':
      return args[1] === undefined || args[1] === '' ? args[0] : args[1];
    case 'lower':
      return text(0).toLowerCase();
    case 'upper':
      return text(0).toUpperCase();
    case 'trim':
      return text(0).replace(new RegExp(`^${GO_SPACE.source}+|${GO_SPACE.source}+$`, 'gu'), '');
    case 'trimAll': {
      const cutset = new Set(text(0));
      const chars = [...text(1)];
      let start = 0;
      let end = chars.length;
      while (start < end && cutset.has(chars[start])) start++;
      while (end > start && cutset.has(chars[end - 1])) end--;
      return chars.slice(start, end).join('');
    }
    case 'trimPrefix':
      return text(1).startsWith(text(0)) ? text(1).slice(text(0).length) : text(1);
    case 'trimSuffix':
      return text(0) !== '' && text(1).endsWith(text(0)) ? text(1).slice(0, -text(0).length) : text(1);
    case 'replace': {
      const [old, replacement, source] = [text(0), text(1), text(2)];
      if (old === '') return [...source].reduce((out, char) => `${out}${char}${replacement}`, replacement);
      return source.split(old).join(replacement);
    }
    case 'quote':
      return args.filter((arg) => arg !== undefined).map((arg) => goQuote(arg ?? '')).join(' ');
    case 'squote':
      return args.filter((arg) => arg !== undefined).map((arg) => `'${arg}'`).join(' ');
    case 'cat':
      return args.filter((arg) => arg !== undefined).join(' ');
    case 'coalesce':
      return args.find((arg) => arg !== undefined && arg !== '') ?? '';
    case 'required':
      return args[1] === undefined || args[1] === '' ? fail(text(0)) : args[1];
    case 'title':
      return goTitle(text(0));
    case 'substr': {
      const [start, end] = numbers;
      const length = Buffer.byteLength(text(2));
      if (start < 0) return end > length ? fail(`slice bounds out of range [:${end}] with length ${length}`) : byteSlice(text(2), 0, end);
      if (end < 0 || end > length) return start > length ? fail(`slice bounds out of range [${start}:${length}]`) : byteSlice(text(2), start);
      return start > end ? fail(`slice bounds out of range [${start}:${end}]`) : byteSlice(text(2), start, end);
    }
    case 'trunc': {
      const [count] = numbers;
      const length = Buffer.byteLength(text(1));
      if (count < 0 && length + count > 0) return byteSlice(text(1), length + count);
      if (count >= 0 && length > count) return byteSlice(text(1), 0, count);
      return text(1);
    }
    case 'repeat':
      return numbers[0] < 0 ? fail('strings: negative Repeat count') : text(1).repeat(numbers[0]);
    case 'nospace':
      return text(0).replace(GO_SPACE, '');
  }
}

/**
 * The field names a template reads, in order of first use, like skaffold's `GetTemplateFields`: the
 * customTemplate tagger evaluates only these components, and the Nx plugin declares them as inputs.
 */
export function templateFields(template: GoTemplate): string[] {
  const seen = new Set<string>();
  for (const node of template.nodes) {
    if (node.kind !== 'action') continue;
    for (const command of node.pipeline) {
      const operands = command.kind === 'operand' ? [command.operand] : command.args;
      for (const operand of operands) if (operand.kind === 'field') seen.add(operand.name);
    }
  }
  return [...seen];
}
