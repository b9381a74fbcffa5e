import { GitopsError } from '../lib/errors';

/**
 * The subset of Go `text/template` that skaffold env templates use in practice: literal text, `{{.FIELD}}`
 * (with `{{-` / `-}}` trim markers and `{{/* comments *\/}}`), string, integer and boolean literals,
 * parenthesised pipelines (also `(split "-" .A)._0`), `|` pipelines, `{{if}}`/`{{else if}}`/`{{else}}`/`{{end}}`,
 * the sprig functions of {@link SPRIG_FUNCTIONS} (sprig semantics) and Go's built-ins of
 * {@link GO_BUILTIN_FUNCTIONS}. Values are printed as Go's fmt prints them (`true`, `[a b]`, `map[_0:a]`).
 * Everything else (`range`, `with`, variables, `nil`, `env`, `cmd`) is refused with an error naming the
 * template and the construct, so a config never renders differently here than under skaffold.
 */

/** An argument of a command: a field of the data, a literal, or a parenthesised pipeline with optional `.F` fields after it. */
type Operand =
  | { kind: 'field'; name: string; text: string }
  | { kind: 'string'; value: string; text: string }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'bool'; value: boolean; text: string }
  | { kind: 'pipeline'; pipeline: Command[]; fields: string[]; text: string };

/** One command of a pipeline: a bare operand, or a function applied to operands. */
type Command = { kind: 'operand'; operand: Operand } | { kind: 'call'; fn: TemplateFunction; args: Operand[] };

type IfBranch = { pipeline: Command[]; source: string; body: TemplateNode[] };

type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipeline: Command[]; source: string }
  | { kind: 'if'; branches: IfBranch[]; otherwise: TemplateNode[] | undefined };

/** A parameter type, as the Go function declares it: string (`s`), int (`n`), bool (`b`) or `interface{}` (`a`). */
type Parameter = 's' | 'n' | 'b' | 'a';

/** A function's parameters; `rest` is the type of a variadic tail (`...interface{}`). */
type Signature = { readonly params: readonly Parameter[]; readonly rest?: Parameter };

/**
 * The sprig functions templates may call (those of sprig's `TxtFuncMap` that skaffold's env templates
 * offer), with the parameters their Go declarations take. `env`/`expandenv` are left out on purpose: they
 * read variables the Nx inputs do not declare, so a cached tag could be wrong; `cmd`-like functions would
 * run host commands.
 */
export const SPRIG_FUNCTIONS = {
  default: { params: ['a', 'a'] },
  lower: { params: ['s'] },
  upper: { params: ['s'] },
  trim: { params: ['s'] },
  trimAll: { params: ['s', 's'] },
  trimPrefix: { params: ['s', 's'] },
  trimSuffix: { params: ['s', 's'] },
  replace: { params: ['s', 's', 's'] },
  quote: { params: [], rest: 'a' },
  squote: { params: [], rest: 'a' },
  cat: { params: [], rest: 'a' },
  coalesce: { params: [], rest: 'a' },
  required: { params: ['s', 'a'] },
  title: { params: ['s'] },
  substr: { params: ['n', 'n', 's'] },
  trunc: { params: ['n', 's'] },
  repeat: { params: ['n', 's'] },
  nospace: { params: ['s'] },
  contains: { params: ['s', 's'] },
  hasPrefix: { params: ['s', 's'] },
  hasSuffix: { params: ['s', 's'] },
  ternary: { params: ['a', 'a', 'b'] },
  empty: { params: ['a'] },
  list: { params: [], rest: 'a' },
  join: { params: ['s', 'a'] },
  split: { params: ['s', 's'] },
  splitList: { params: ['s', 's'] },
  first: { params: ['a'] },
  last: { params: ['a'] },
} as const satisfies Record<string, Signature>;

/** Go text/template's built-in functions templates may call (`eq` compares its first argument with each of the others). */
export const GO_BUILTIN_FUNCTIONS = {
  eq: { params: ['a'], rest: 'a' },
  ne: { params: ['a', 'a'] },
  not: { params: ['a'] },
  and: { params: ['a'], rest: 'a' },
  or: { params: ['a'], rest: 'a' },
  len: { params: ['a'] },
} as const satisfies Record<string, Signature>;

type TemplateFunction = keyof typeof SPRIG_FUNCTIONS | keyof typeof GO_BUILTIN_FUNCTIONS;

const FUNCTIONS: Readonly<Record<TemplateFunction, Signature>> = { ...SPRIG_FUNCTIONS, ...GO_BUILTIN_FUNCTIONS };

/** Actions this engine refuses; `if`, `else` and `end` are parsed as actions of their own. */
const refusedKeywords = new Set(['range', 'with', 'template', 'block', 'define', 'break', 'continue', 'nil']);

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

const hint = `Use only "{{.NAME}}" fields, string, integer and boolean literals, "{{if}}"/"{{else}}"/"{{end}}" and the functions ${Object.keys(FUNCTIONS).join(', ')} in templates.`;

type Where = { name: string; source: string };

function templateError(template: Where, message: string): GitopsError {
  return new GitopsError(`Template ${template.name} ${JSON.stringify(template.source)}: ${message}`, { hint });
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

/** An `{{if}}` being parsed, with the node list its current branch appends to. */
type OpenIf = { node: Extract<TemplateNode, { kind: 'if' }>; body: TemplateNode[]; source: string };

/** Parses `source` (named `name` in errors). Throws a {@link GitopsError} on syntax errors and unsupported constructs. */
export function parseGoTemplate(name: string, source: string): GoTemplate {
  const where = { name, source };
  const nodes: TemplateNode[] = [];
  const open: OpenIf[] = [];
  const current = (): TemplateNode[] => (open.length > 0 ? open[open.length - 1].body : nodes);
  let pos = 0;
  let trimNextText = false;
  while (pos < source.length) {
    const start = source.indexOf('{{', pos);
    let text = start < 0 ? source.slice(pos) : source.slice(pos, start);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, '');
    if (start < 0) {
      if (text) current().push({ kind: 'text', text });
      break;
    }
    let bodyStart = start + 2;
    // Go only reads "{{-" as a trim marker when whitespace follows; "{{-3}}" is a number.
    if (source[bodyStart] === '-' && isSpace(source[bodyStart + 1])) {
      text = text.replace(/[ \t\r\n]+$/, '');
      bodyStart += 2;
    }
    if (text) current().push({ kind: 'text', text });
    const close = findActionEnd(source, bodyStart);
    if (close < 0) throw templateError(where, `unclosed action starting at offset ${start}.`);
    let bodyEnd = close;
    trimNextText = false;
    if (source[close - 1] === '-' && isSpace(source[close - 2])) {
      trimNextText = true;
      bodyEnd = close - 2;
    }
    const body = source.slice(bodyStart, bodyEnd).trim();
    pos = close + 2;
    const action = source.slice(start, pos);
    if (body.startsWith('/*')) {
      if (!body.endsWith('*/')) throw templateError(where, `unclosed comment at offset ${start}.`);
      continue;
    }
    const tokens = tokenize(where, body);
    const keyword = tokens[0]?.kind === 'ident' ? tokens[0].text : '';
    if (keyword === 'if') {
      const branch: IfBranch = { pipeline: parseIfPipeline(where, tokens.slice(1), body), source: action, body: [] };
      const node: OpenIf['node'] = { kind: 'if', branches: [branch], otherwise: undefined };
      current().push(node);
      open.push({ node, body: branch.body, source: action });
    } else if (keyword === 'else') {
      const top = open[open.length - 1];
      if (!top) throw templateError(where, `unexpected ${action}.`);
      if (top.node.otherwise) throw templateError(where, `expected {{end}}; found ${action}.`);
      if (tokens.length === 1) {
        top.node.otherwise = [];
        top.body = top.node.otherwise;
      } else if (tokens[1].kind === 'ident' && tokens[1].text === 'if') {
        const branch: IfBranch = { pipeline: parseIfPipeline(where, tokens.slice(2), body), source: action, body: [] };
        top.node.branches.push(branch);
        top.body = branch.body;
      } else {
        throw templateError(where, `"${action}" is not supported in tag templates (only {{else}} and {{else if …}}).`);
      }
    } else if (keyword === 'end') {
      if (tokens.length > 1) throw templateError(where, `unexpected "${tokens[1].text}" in {{end}}.`);
      if (!open.pop()) throw templateError(where, `unexpected ${action}.`);
    } else {
      current().push({ kind: 'action', pipeline: new PipelineParser(where, tokens, body).parseAll(), source: action });
    }
  }
  const unclosed = open[open.length - 1];
  if (unclosed) throw templateError(where, `unexpected end of template: ${unclosed.source} has no {{end}}.`);
  return { name, source, nodes };
}

function parseIfPipeline(where: Where, tokens: Token[], body: string): Command[] {
  if (tokens.length === 0) throw templateError(where, 'missing value for if.');
  return new PipelineParser(where, tokens, body).parseAll();
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

type Token = {
  kind: 'field' | 'fields' | 'dot' | 'string' | 'number' | 'ident' | 'pipe' | 'open' | 'close' | 'other';
  text: string;
  value?: string;
};

function tokenize(where: Where, body: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < body.length) {
    const ch = body[i];
    if (isSpace(ch)) {
      i++;
      continue;
    }
    if (ch === '|' || ch === '(' || ch === ')') {
      tokens.push({ kind: ch === '|' ? 'pipe' : ch === '(' ? 'open' : 'close', text: ch });
      i++;
      // Go reads "(…).A.B" as fields of the parenthesised value only when nothing separates them.
      const chain = ch === ')' ? /^(\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(body.slice(i)) : null;
      if (chain) {
        tokens.push({ kind: 'fields', text: chain[0], value: chain[0].slice(1) });
        i += chain[0].length;
      }
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

/** Recursive descent over the tokens of one action: pipelines of commands, with parenthesised pipelines as operands. */
class PipelineParser {
  private index = 0;

  constructor(
    private readonly where: Where,
    private readonly tokens: Token[],
    private readonly body: string,
  ) {}

  parseAll(): Command[] {
    if (this.tokens.length === 0) throw templateError(this.where, 'missing value for command "{{}}".');
    const pipeline = this.parsePipeline();
    const extra = this.tokens[this.index];
    if (extra) throw templateError(this.where, `unexpected "${extra.text}" in "{{${this.body}}}".`);
    return pipeline;
  }

  private parsePipeline(): Command[] {
    const commands: Command[] = [];
    for (;;) {
      commands.push(this.parseCommand(commands.length > 0));
      if (this.tokens[this.index]?.kind !== 'pipe') return commands;
      this.index++;
    }
  }

  private parseCommand(piped: boolean): Command {
    const head = this.tokens[this.index];
    if (!head || head.kind === 'pipe' || head.kind === 'close') {
      throw templateError(this.where, `missing command in pipeline "{{${this.body}}}".`);
    }
    const args: Operand[] = [];
    const collectArgs = () => {
      for (let token = this.tokens[this.index]; token && token.kind !== 'pipe' && token.kind !== 'close'; token = this.tokens[this.index]) {
        args.push(this.parseOperand());
      }
    };
    if (head.kind === 'ident' && head.text !== 'true' && head.text !== 'false') {
      this.index++;
      const fn = this.functionName(head.text);
      collectArgs();
      const { params, rest } = FUNCTIONS[fn];
      const count = args.length + (piped ? 1 : 0);
      if (rest ? count < params.length : count !== params.length) {
        throw templateError(this.where, `wrong number of arguments for ${fn}: want ${rest ? 'at least ' : ''}${params.length} got ${count}.`);
      }
      return { kind: 'call', fn, args };
    }
    const operand = this.parseOperand();
    collectArgs();
    if (args.length > 0) {
      throw templateError(this.where, `"${[operand, ...args].map((arg) => arg.text).join(' ')}" is not supported in tag templates (can't give arguments to a non-function).`);
    }
    if (piped) throw templateError(this.where, `"${operand.text}" cannot take a piped value.`);
    return { kind: 'operand', operand };
  }

  private functionName(name: string): TemplateFunction {
    if (name === 'if' || name === 'else' || name === 'end' || refusedKeywords.has(name)) {
      throw templateError(this.where, `"{{${name} …}}" is not supported in tag templates.`);
    }
    if (!Object.prototype.hasOwnProperty.call(FUNCTIONS, name)) {
      throw templateError(this.where, `the function "${name}" is not supported in tag templates.`);
    }
    return name as TemplateFunction;
  }

  private parseOperand(): Operand {
    const token = this.tokens[this.index++];
    switch (token.kind) {
      case 'field':
        return { kind: 'field', name: token.value as string, text: token.text };
      case 'string':
        return { kind: 'string', value: token.value as string, text: token.text };
      case 'number':
        return { kind: 'number', value: Number(token.value), text: token.text };
      case 'ident': {
        if (token.text === 'true' || token.text === 'false') return { kind: 'bool', value: token.text === 'true', text: token.text };
        // Go calls a function named as an argument with no arguments: `{{join "," list}}`.
        const fn = this.functionName(token.text);
        if (FUNCTIONS[fn].params.length > 0) {
          throw templateError(this.where, `wrong number of arguments for ${fn}: want ${FUNCTIONS[fn].params.length} got 0.`);
        }
        return { kind: 'pipeline', pipeline: [{ kind: 'call', fn, args: [] }], fields: [], text: token.text };
      }
      case 'open': {
        const first = this.index;
        const pipeline = this.parsePipeline();
        if (this.tokens[this.index]?.kind !== 'close') throw templateError(this.where, `unclosed left paren in "{{${this.body}}}".`);
        const inner = this.tokens.slice(first, this.index).map((t) => t.text).join(' ');
        this.index++;
        const chain = this.tokens[this.index]?.kind === 'fields' ? this.tokens[this.index++] : undefined;
        const fields = chain ? (chain.value as string).split('.') : [];
        return { kind: 'pipeline', pipeline, fields, text: `(${inner})${chain?.text ?? ''}` };
      }
      case 'dot':
        // Printing the whole map would put every environment variable, secrets included, into a tag.
        throw templateError(this.where, '"." (the whole data map) is not supported in tag templates; name a field such as {{.NAME}}.');
      case 'close':
        throw templateError(this.where, `unexpected right paren in "{{${this.body}}}".`);
      default:
        throw templateError(this.where, `"${token.text}" is not supported in tag templates.`);
    }
  }
}

/** A Go list: sprig's `list` gives `[]interface {}`, `splitList` gives `[]string`. */
type ListValue = { kind: 'list'; type: '[]interface {}' | '[]string'; items: readonly Value[] };
/** sprig's `split` gives a `map[string]string` with keys `_0`, `_1`… */
type MapValue = { kind: 'map'; entries: ReadonlyMap<string, string> };

/**
 * A value during execution. `undefined` is Go's invalid value (a missing field under `missingkey=invalid`)
 * and also a nil `interface{}` (`first` of an empty list): Go prints both as {@link NO_VALUE} in an action.
 */
type Value = string | number | boolean | ListValue | MapValue | undefined;

/** The Go type name of a value, as Go's errors spell it. */
function goTypeName(value: Value): string {
  if (value === undefined) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'int';
  if (typeof value === 'boolean') return 'bool';
  return value.kind === 'list' ? value.type : 'map[string]string';
}

/** Go's `fmt.Sprint` of a value (`<nil>` for nil inside a list; an action prints {@link NO_VALUE} instead). */
function goPrint(value: Value): string {
  if (value === undefined) return '<nil>';
  if (typeof value !== 'object') return String(value);
  if (value.kind === 'list') return `[${value.items.map(goPrint).join(' ')}]`;
  const keys = [...value.entries.keys()].sort();
  return `map[${keys.map((key) => `${key}:${value.entries.get(key)}`).join(' ')}]`;
}

/** Go's truth of a value (`if`, `and`, `or`, `not`); sprig's `empty` is its negation. */
function isTrue(value: Value): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string') return value !== '';
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  return value.kind === 'list' ? value.items.length > 0 : value.entries.size > 0;
}

type Scope = { template: GoTemplate; data: Readonly<Record<string, string>>; missingKey: MissingKeyMode };

/**
 * Executes a parsed template against `data`. With `missingKey: 'invalid'` a missing field prints
 * {@link NO_VALUE} (and counts as empty for `default`, `if`…), as Go does; with `'error'` it throws.
 */
export function executeGoTemplate(
  template: GoTemplate,
  data: Readonly<Record<string, string>>,
  options: { missingKey: MissingKeyMode },
): string {
  return executeNodes({ template, data, missingKey: options.missingKey }, template.nodes);
}

function executeNodes(scope: Scope, nodes: readonly TemplateNode[]): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'action') {
      const value = runPipeline(scope, node.source, node.pipeline);
      out += value === undefined ? NO_VALUE : goPrint(value);
    } else {
      const taken = node.branches.find((branch) => isTrue(runPipeline(scope, branch.source, branch.pipeline)));
      const body = taken ? taken.body : node.otherwise;
      if (body) out += executeNodes(scope, body);
    }
  }
  return out;
}

function runPipeline(scope: Scope, action: string, pipeline: readonly Command[]): Value {
  let piped: { value: Value } | undefined;
  for (const command of pipeline) piped = { value: runCommand(scope, action, command, piped) };
  return piped?.value;
}

function executionError(scope: Scope, action: string, message: string, extraHint?: string): GitopsError {
  const { name, source } = scope.template;
  return new GitopsError(`Template ${name} ${JSON.stringify(source)}: executing ${action}: ${message}`, { hint: extraHint ?? hint });
}

function evaluateOperand(scope: Scope, action: string, operand: Operand): Value {
  switch (operand.kind) {
    case 'string':
    case 'number':
    case 'bool':
      return operand.value;
    case 'field':
      return mapEntry(scope, action, scope.data, operand.name);
    case 'pipeline': {
      let value = runPipeline(scope, action, operand.pipeline);
      for (const field of operand.fields) {
        if (value === undefined) return undefined;
        if (typeof value !== 'object' || value.kind !== 'map') {
          throw executionError(scope, action, `at <${operand.text}>: can't evaluate field ${field} in type ${goTypeName(value)}.`);
        }
        value = mapEntry(scope, action, Object.fromEntries(value.entries), field);
      }
      return value;
    }
  }
}

function mapEntry(scope: Scope, action: string, map: Readonly<Record<string, string>>, key: string): Value {
  if (Object.prototype.hasOwnProperty.call(map, key)) return map[key];
  if (scope.missingKey === 'error') {
    throw executionError(
      scope,
      action,
      `map has no entry for key "${key}".`,
      `Define "${key}" (a component of the customTemplate, or one of GIT, DATE, SHA, INPUT_DIGEST).`,
    );
  }
  return undefined;
}

const parameterTypeName: Record<Parameter, string> = { s: 'string', n: 'int', b: 'bool', a: 'interface {}' };

/** Go's check of an argument against a parameter type (`interface{}` takes anything, a missing value as nil). */
function checkArgument(options: { scope: Scope; action: string; where: string; value: Value; type: Parameter }): Value {
  const { scope, action, where, value, type } = options;
  if (type === 'a') return value;
  const expected = parameterTypeName[type];
  if (value === undefined) throw executionError(scope, action, `at <${where}>: invalid value; expected ${expected}.`);
  if (goTypeName(value) !== expected) {
    throw executionError(scope, action, `at <${where}>: wrong type for value; expected ${expected}; got ${goTypeName(value)}.`);
  }
  return value;
}

function runCommand(scope: Scope, action: string, command: Command, piped: { value: Value } | undefined): Value {
  if (command.kind === 'operand') return evaluateOperand(scope, action, command.operand);
  const { fn } = command;
  const { params, rest } = FUNCTIONS[fn];
  // Arguments are evaluated on demand so that `and`/`or` stop at the first deciding one, as Go does.
  const operands: Array<{ where: string; evaluate: () => Value }> = command.args.map((operand) => ({
    where: operand.text,
    evaluate: () => evaluateOperand(scope, action, operand),
  }));
  if (piped) operands.push({ where: fn, evaluate: () => piped.value });
  const arg = (index: number): Value =>
    checkArgument({ scope, action, where: operands[index].where, value: operands[index].evaluate(), type: params[index] ?? rest ?? 'a' });
  const fail = (message: string): never => {
    throw executionError(scope, action, `error calling ${fn}: ${message}`);
  };
  if (fn === 'and' || fn === 'or') {
    let value: Value;
    for (let index = 0; index < operands.length; index++) {
      value = arg(index);
      if (isTrue(value) === (fn === 'or')) return value;
    }
    return value;
  }
  return callFunction({ fn, args: operands.map((_operand, index) => arg(index)), fail });
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

/** Go's strings.Split: an empty separator splits after each UTF-8 sequence. */
function goSplit(text: string, separator: string): string[] {
  return separator === '' ? [...text] : text.split(separator);
}

/** sprig's strval: a string as it is, anything else as fmt prints it. */
function sprigString(value: Value): string {
  return typeof value === 'string' ? value : goPrint(value);
}

/** sprig's strslice: the items of a list (nil items dropped), or a lone value as a one-item list. */
function sprigStrings(value: Value): string[] {
  if (value === undefined) return [];
  if (typeof value === 'object' && value.kind === 'list') return value.items.filter((item) => item !== undefined).map(sprigString);
  return [sprigString(value)];
}

/** The kind Go's `eq` compares by: the basic kinds, `invalid` for a missing value or nil, `other` for lists and maps. */
function comparisonKind(value: Value): string {
  if (value === undefined) return 'invalid';
  return typeof value === 'object' ? 'other' : typeof value;
}

/** Go's built-in `eq`: whether the first value equals any of the others, with Go's errors for values of different types. */
function goEquals(options: { first: Value; others: Value[]; fail: (message: string) => never }): boolean {
  const { first, others, fail } = options;
  if (others.length === 0) return fail('missing argument for comparison');
  return others.some((other) => {
    const [kind, otherKind] = [comparisonKind(first), comparisonKind(other)];
    if (kind !== otherKind) {
      return kind === 'invalid' || otherKind === 'invalid' ? false : fail(`incompatible types for comparison: ${goTypeName(first)} and ${goTypeName(other)}`);
    }
    if (kind === 'other') return fail(`non-comparable type ${goPrint(first)}: ${goTypeName(first)}`);
    return first === other;
  });
}

/** sprig's `first`/`last`: an item of a list, nil for an empty one; Go's kind name in the error otherwise. */
function listEnd(options: { fn: 'first' | 'last'; value: Value; fail: (message: string) => never }): Value {
  const { fn, value, fail } = options;
  if (typeof value !== 'object' || value.kind !== 'list') {
    const kind = value === undefined ? '<nil>' : typeof value === 'object' ? 'map' : goTypeName(value);
    return fail(`Cannot find ${fn} on type ${kind}`);
  }
  return fn === 'first' ? value.items[0] : value.items[value.items.length - 1];
}

/** Runs one function on arguments already checked against its parameters. */
function callFunction(options: { fn: Exclude<TemplateFunction, 'and' | 'or'>; args: Value[]; fail: (message: string) => never }): Value {
  const { fn, args, fail } = options;
  const text = (index: number): string => args[index] as string;
  const int = (index: number): number => args[index] as number;
  switch (fn) {
    case 'default':
      return isTrue(args[1]) ? args[1] : args[0];
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
      return args.filter((arg) => arg !== undefined).map((arg) => goQuote(sprigString(arg))).join(' ');
    case 'squote':
      return args.filter((arg) => arg !== undefined).map((arg) => `'${sprigString(arg)}'`).join(' ');
    case 'cat':
      return args.filter((arg) => arg !== undefined).map(goPrint).join(' ');
    case 'coalesce':
      return args.find(isTrue);
    case 'required':
      return args[1] === undefined || args[1] === '' ? fail(text(0)) : args[1];
    case 'title':
      return goTitle(text(0));
    case 'substr': {
      const [start, end, source] = [int(0), int(1), text(2)];
      const length = Buffer.byteLength(source);
      if (start < 0) return end > length ? fail(`slice bounds out of range [:${end}] with length ${length}`) : byteSlice(source, 0, end);
      if (end < 0 || end > length) return start > length ? fail(`slice bounds out of range [${start}:${length}]`) : byteSlice(source, start);
      return start > end ? fail(`slice bounds out of range [${start}:${end}]`) : byteSlice(source, start, end);
    }
    case 'trunc': {
      const [count, source] = [int(0), text(1)];
      const length = Buffer.byteLength(source);
      if (count < 0 && length + count > 0) return byteSlice(source, length + count);
      if (count >= 0 && length > count) return byteSlice(source, 0, count);
      return source;
    }
    case 'repeat':
      return int(0) < 0 ? fail('strings: negative Repeat count') : text(1).repeat(int(0));
    case 'nospace':
      return text(0).replace(GO_SPACE, '');
    case 'contains':
      return text(1).includes(text(0));
    case 'hasPrefix':
      return text(1).startsWith(text(0));
    case 'hasSuffix':
      return text(1).endsWith(text(0));
    case 'ternary':
      return args[2] ? args[0] : args[1];
    case 'empty':
      return !isTrue(args[0]);
    case 'list':
      return { kind: 'list', type: '[]interface {}', items: args };
    case 'join':
      return sprigStrings(args[1]).join(text(0));
    case 'split':
      return { kind: 'map', entries: new Map(goSplit(text(1), text(0)).map((part, index) => [`_${index}`, part])) };
    case 'splitList':
      return { kind: 'list', type: '[]string', items: goSplit(text(1), text(0)) };
    case 'first':
    case 'last':
      return listEnd({ fn, value: args[0], fail });
    case 'eq':
      return goEquals({ first: args[0], others: args.slice(1), fail });
    case 'ne':
      return !goEquals({ first: args[0], others: args.slice(1), fail });
    case 'not':
      return !isTrue(args[0]);
    case 'len': {
      const value = args[0];
      if (typeof value === 'string') return Buffer.byteLength(value);
      if (typeof value === 'object') return value.kind === 'list' ? value.items.length : value.entries.size;
      return fail(value === undefined ? 'len of nil pointer' : `len of type ${goTypeName(value)}`);
    }
  }
}

/**
 * The field names a template reads, in order of first use, like skaffold's `GetTemplateFields`: the
 * customTemplate tagger evaluates only these components, and the Nx plugin declares them as inputs.
 * Fields in every `{{if}}` branch and condition and in parenthesised arguments count, taken or not.
 */
export function templateFields(template: GoTemplate): string[] {
  const seen = new Set<string>();
  const visitPipeline = (pipeline: readonly Command[]) => {
    for (const command of pipeline) {
      for (const operand of command.kind === 'operand' ? [command.operand] : command.args) {
        if (operand.kind === 'field') seen.add(operand.name);
        if (operand.kind === 'pipeline') visitPipeline(operand.pipeline);
      }
    }
  };
  const visitNodes = (nodes: readonly TemplateNode[]) => {
    for (const node of nodes) {
      if (node.kind === 'action') visitPipeline(node.pipeline);
      if (node.kind !== 'if') continue;
      for (const branch of node.branches) {
        visitPipeline(branch.pipeline);
        visitNodes(branch.body);
      }
      if (node.otherwise) visitNodes(node.otherwise);
    }
  };
  visitNodes(template.nodes);
  return [...seen];
}
