import { GitopsError } from '../lib/errors';
import { readText, statPath } from '../lib/read-journal';

/**
 * The one reading policy for every YAML and JSON file nx-gitops parses (skaffold.yaml, kustomizations,
 * rawYaml manifests, kustomize and helm output, images.json, reports): a size limit checked before parsing,
 * a nesting depth limit, an alias count limit and yaml.v3's budget for what aliases expand to. Each refusal
 * names the file and, where there is one, the line and column; no message quotes the file's content.
 */
export interface ReadLimits {
  /** Largest file read, in bytes. */
  maxBytes: number;
  /** Deepest nesting of mappings and sequences in one document. */
  maxDepth: number;
  /** Most aliases followed while decoding one document (every expansion counts, also inside another). */
  maxAliases: number;
}

/** The environment variable that raises {@link ReadLimits.maxBytes}, in MiB. */
export const MAX_INPUT_MIB_VARIABLE = 'NX_GITOPS_MAX_INPUT_MIB';

const DEFAULT_MAX_MIB = 32;

/**
 * The limits in force. Far above what a service's files need (Kubernetes objects nest a few dozen levels,
 * rendered output is rarely beyond a few MiB), far below what exhausts memory: a 32 MiB limit, 256 levels
 * (the YAML parser's own recursion runs out near 900), 10,000 alias expansions.
 */
export function readLimits(): ReadLimits {
  return { maxBytes: maxInputBytes(), maxDepth: 256, maxAliases: 10_000 };
}

function maxInputBytes(): number {
  const raised = Number(process.env[MAX_INPUT_MIB_VARIABLE]);
  return (Number.isFinite(raised) && raised > 0 ? raised : DEFAULT_MAX_MIB) * 1024 * 1024;
}

function sizeError(file: string, bytes: number, limit: number): GitopsError {
  const mib = (value: number) => `${(value / 1024 / 1024).toFixed(1)} MiB`;
  return new GitopsError(`${file}: ${mib(bytes)} is larger than the ${mib(limit)} nx-gitops reads from one file; refused before parsing.`, {
    hint: `Split the file, or raise the limit with the environment variable ${MAX_INPUT_MIB_VARIABLE} (in MiB) if it really is that large.`,
  });
}

/**
 * Refuses text beyond the size limit, before any parser sees it. Costs nothing for the common case: the
 * byte length is only counted when the character count comes near the limit.
 */
export function checkInputSize(options: { text: string; file: string }): void {
  const limit = maxInputBytes();
  const { text } = options;
  if (text.length * 3 <= limit) return;
  const bytes = text.length > limit ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > limit) throw sizeError(options.file, bytes, limit);
}

/**
 * Reads a file as UTF-8 after checking its size against the limit (a larger file is never read); through the
 * graph computation's read journal when there is one (`lib/read-journal.ts`).
 */
export function readBoundedFile(file: string): string {
  const limit = maxInputBytes();
  const size = statPath(file)?.size;
  if (size !== undefined && size > limit) throw sizeError(file, size, limit);
  // A file that cannot be stated fails here, with the reader's own error.
  return readText(file);
}

/** yaml.v3's alias budget (decode.go allowedAliasRatio): 99% from aliases below 400k decodes, 10% above 4M. */
function allowedAliasRatio(decodeCount: number): number {
  const low = 400_000;
  const high = 4_000_000;
  if (decodeCount <= low) return 0.99;
  if (decodeCount >= high) return 0.1;
  return 0.99 - 0.89 * ((decodeCount - low) / (high - low));
}

/** Why a document was refused by a {@link DecodeBudget}, with the fix; the decoder adds file and position. */
export interface BudgetRefusal {
  reason: string;
  hint: string;
}

const ALIAS_HINT = 'Expand fewer aliases: an alias of an anchor that holds aliases multiplies the document (write the values out, or use fewer levels).';

/**
 * Counts what decoding one document costs and refuses it as soon as it goes beyond the limits: nodes decoded
 * (and those decoded inside an alias, within yaml.v3's budget, so that what skaffold accepts is accepted),
 * aliases followed and nesting depth. Every method is a few integer operations: the common path pays
 * nothing measurable.
 */
export class DecodeBudget {
  private decoded = 0;
  private decodedInAlias = 0;
  private aliases = 0;
  private aliasDepth = 0;
  private depth = 0;

  constructor(private readonly limits: ReadLimits = readLimits()) {}

  /** Counts one decoded node. */
  node(): BudgetRefusal | undefined {
    this.decoded++;
    if (this.aliasDepth === 0) return undefined;
    this.decodedInAlias++;
    if (this.decodedInAlias > 100 && this.decoded > 1000 && this.decodedInAlias / this.decoded > allowedAliasRatio(this.decoded)) {
      return {
        reason: `the document contains excessive aliasing (${this.decodedInAlias} of ${this.decoded} decoded nodes come from aliases; refused, as skaffold refuses it)`,
        hint: ALIAS_HINT,
      };
    }
    return undefined;
  }

  /** Enters an alias (pair with {@link leaveAlias}). */
  enterAlias(): BudgetRefusal | undefined {
    this.aliases++;
    this.aliasDepth++;
    if (this.aliases > this.limits.maxAliases) {
      return { reason: `more than ${this.limits.maxAliases} aliases are expanded`, hint: ALIAS_HINT };
    }
    return undefined;
  }

  /** Leaves the alias entered last. */
  leaveAlias(): void {
    this.aliasDepth--;
  }

  /** Enters a mapping or sequence (pair with {@link leaveCollection}). */
  enterCollection(): BudgetRefusal | undefined {
    this.depth++;
    if (this.depth > this.limits.maxDepth) return depthRefusal(this.limits.maxDepth);
    return undefined;
  }

  /** Leaves the collection entered last. */
  leaveCollection(): void {
    this.depth--;
  }
}

function depthRefusal(maxDepth: number): BudgetRefusal {
  return {
    reason: `mappings and sequences nest deeper than ${maxDepth} levels`,
    hint: 'Flatten the document: no Kubernetes object or skaffold config nests that deep.',
  };
}

/** True for the error a parser throws when it recurses past the stack (a very deep document). */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError || (error instanceof Error && /maximum call stack size exceeded/i.test(error.message));
}

/** What to say when a parser ran out of stack: the document nests too deeply. */
export function stackOverflowRefusal(): BudgetRefusal {
  return depthRefusal(readLimits().maxDepth);
}

/**
 * A parser's message reduced to what it says about the syntax, without the text it quotes: the part before a
 * quoted or interpolated fragment, no position suffix (the caller writes `file:line:column`), one line.
 */
export function safeSyntaxReason(message: string): string {
  if (/maximum call stack size exceeded/i.test(message)) return stackOverflowRefusal().reason;
  let reason = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '').replace(/\s*\(\d+:\d+\)$/, '');
  // Messages that go on to quote the text ("Unresolved tag: !x", "Invalid escape sequence \q") keep their subject.
  reason = reason.replace(/:\s.*$/, '').replace(/\s*(?:"[^"]*"|'[^']*'|`[^`]*`)/g, '');
  reason = reason.replace(/\b(cannot start with|Invalid escape sequence|Unknown directive|Unsupported YAML version) \S+/, (_, phrase: string) =>
    phrase === 'cannot start with' ? 'cannot start with this character' : phrase,
  );
  return reason.length > 120 ? `${reason.slice(0, 117)}...` : reason;
}

/** `line:column` (1-based) of a character offset in a text. */
export function linePosition(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) {
    line++;
    lineStart = index + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

/**
 * Reads and parses a JSON file that nx-gitops wrote or was pointed at (images.json, a report, a build
 * artifacts file) within the size limit. Malformed JSON fails naming the file, line and column, never quoting
 * its content (V8's own message quotes it). `hint` says what the file should be.
 */
export function readJsonFile(options: { file: string; hint: string }): unknown {
  let text: string;
  try {
    text = readBoundedFile(options.file);
  } catch (error) {
    if (error instanceof GitopsError) throw error;
    throw new GitopsError(`Cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}.`, { cause: error, hint: options.hint });
  }
  return parseJsonText({ text, file: options.file, hint: options.hint });
}

/** Parses JSON text within the size limit; errors as {@link readJsonFile}'s. */
export function parseJsonText(options: { text: string; file: string; hint: string }): unknown {
  checkInputSize(options);
  try {
    return JSON.parse(options.text);
  } catch (error) {
    const offset = /position (\d+)/.exec((error as Error).message)?.[1];
    const where = offset === undefined ? options.file : (() => {
      const { line, col } = linePosition(options.text, Number(offset));
      return `${options.file}:${line}:${col}`;
    })();
    const message = (error as Error).message;
    const reason = isStackOverflow(error)
      ? stackOverflowRefusal().reason
      : /end of JSON input|Unterminated/i.test(message)
        ? 'unexpected end of the text'
        : 'unexpected character';
    throw new GitopsError(`${where}: invalid JSON (${reason}).`, { hint: options.hint });
  }
}
