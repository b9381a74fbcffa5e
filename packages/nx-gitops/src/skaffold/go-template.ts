import { GitopsError } from '../lib/errors';

/**
 * The subset of Go `text/template` that skaffold tag templates use in practice: literal text, `{{.FIELD}}`
 * (with `{{-` / `-}}` trim markers and `{{/* comments *\/}}`), string literals, and the functions
 * `default`, `lower`, `upper` and `trim` (sprig semantics), alone or in a `|` pipeline. Everything else
 * (`if`, `range`, `with`, variables, other functions such as sprig's `cmd`) is refused with an error naming
 * the template and the construct, so a config never renders differently here than under skaffold.
 */

/** An argument of a command: a field of the data (`.FOO`) or a string literal. */
type Operand = { kind: 'field'; name: string } | { kind: 'string'; value: string };

/** One command of a pipeline: a bare operand, or a function applied to operands. */
type Command = { kind: 'operand'; operand: Operand } | { kind: 'call'; fn: SupportedFunction; args: Operand[] };

type TemplateNode = { kind: 'text'; text: string } | { kind: 'action'; pipeline: Command[]; source: string };

const supportedFunctions = ['default', 'lower', 'upper', 'trim'] as const;
type SupportedFunction = (typeof supportedFunctions)[number];

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

const hint = 'Use only "{{.NAME}}" fields, string literals and the functions default, lower, upper, trim in tag templates.';

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

type Token = { kind: 'field' | 'dot' | 'string' | 'ident' | 'pipe' | 'other'; text: string; value?: string };

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
    if (!(supportedFunctions as readonly string[]).includes(head.text)) {
      throw templateError(where, `the function "${head.text}" is not supported in tag templates.`);
    }
    const fn = head.text as SupportedFunction;
    const args = rest.map((token) => parseOperand(where, token));
    const expected = fn === 'default' ? 2 : 1;
    if (args.length + (piped ? 1 : 0) !== expected) {
      throw templateError(where, `wrong number of arguments for ${fn}: want ${expected}.`);
    }
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
  const args = command.args.map(evaluate);
  if (piped !== null) args.push(piped);
  const asText = (value: Value): string => value ?? '';
  switch (command.fn) {
    case 'default': {
      const [fallback, given] = args;
      const empty = given === undefined || given === '';
      return empty ? fallback : given;
    }
    case 'lower':
      return asText(args[0]).toLowerCase();
    case 'upper':
      return asText(args[0]).toUpperCase();
    case 'trim':
      return asText(args[0]).trim();
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
