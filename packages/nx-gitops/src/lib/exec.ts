import { execa } from 'execa';
import { GitopsError } from './errors';
import { redact } from './redact';

/** How to run one process. */
export interface RunOptions {
  /** Working directory; defaults to the current one. */
  cwd?: string;
  /** Variables added to (or, with `extendEnv: false`, replacing) the inherited environment. */
  env?: Record<string, string | undefined>;
  /** Inherit `process.env` (default true). */
  extendEnv?: boolean;
  /** Data written to the process's standard input. */
  input?: string | Uint8Array;
  /** Extra secret values to mask in errors (the token variables are always masked). */
  secrets?: readonly string[];
  /** Resolve with the exit code instead of throwing when the process fails. */
  allowFailure?: boolean;
  /** Kill the process after this many milliseconds. */
  timeoutMs?: number;
  /** Option or setting that chooses this binary, named in the error when it is missing. */
  binaryOption?: string;
}

/** What a finished process left behind. Output keeps its text; only the final newline is stripped. */
export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A process that exited non-zero: the command (redacted), its exit code and the tail of its stderr. */
export class CommandError extends GitopsError {
  readonly exitCode: number;
  readonly stderr: string;
  readonly stdout: string;

  constructor(details: { command: string; exitCode: number; stderr: string; stdout: string; hint?: string }) {
    const tail = details.stderr.trim().split('\n').slice(-15).join('\n');
    super(`Command failed with exit code ${details.exitCode}: ${details.command}${tail ? `\n${tail}` : ''}`, {
      hint: details.hint,
    });
    this.name = 'CommandError';
    this.exitCode = details.exitCode;
    this.stderr = details.stderr;
    this.stdout = details.stdout;
  }
}

/** A process killed because it outlived its `timeoutMs`; the command is quoted redacted. */
export class CommandTimeoutError extends GitopsError {
  readonly timeoutMs: number;

  constructor(details: { command: string; timeoutMs: number; stderr: string }) {
    const tail = details.stderr.trim().split('\n').slice(-5).join('\n');
    super(`Command timed out after ${details.timeoutMs} ms: ${details.command}${tail ? `\n${tail}` : ''}`);
    this.name = 'CommandTimeoutError';
    this.timeoutMs = details.timeoutMs;
  }
}

/** Quotes an argument for display only (nothing is ever run through a shell). */
function quoteForDisplay(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `file` with `args` (no shell), capturing stdout and stderr as text. A non-zero exit throws a
 * {@link CommandError} quoting the command and the tail of stderr, with every secret redacted; a missing
 * binary throws a {@link GitopsError} naming `binaryOption` when given. This is the only module that
 * starts processes.
 */
export async function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const secrets = options.secrets ?? [];
  const command = redact([file, ...args].map(quoteForDisplay).join(' '), secrets);
  const result = await execa(file, [...args], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: options.extendEnv ?? true,
    input: options.input,
    reject: false,
    stripFinalNewline: true,
    timeout: options.timeoutMs,
    maxBuffer: 512 * 1024 * 1024,
  });
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  const code = (result as { code?: string }).code;
  if (code === 'ENOENT' && result.exitCode === undefined) {
    throw new GitopsError(`Cannot run "${file}": the executable was not found on PATH.`, {
      hint: options.binaryOption
        ? `Install it, or point the "${options.binaryOption}" option at it.`
        : `Install "${file}" and make sure it is on PATH.`,
    });
  }
  if (result.timedOut) {
    throw new CommandTimeoutError({ command, timeoutMs: options.timeoutMs ?? 0, stderr: redact(stderr, secrets) });
  }
  const exitCode = result.exitCode ?? 1;
  if (exitCode !== 0 && !options.allowFailure) {
    throw new CommandError({ command, exitCode, stderr: redact(stderr, secrets), stdout: redact(stdout, secrets) });
  }
  return { stdout, stderr, exitCode };
}

/**
 * Runs at most `limit` of `tasks` at once and returns their results in order. Used to keep one
 * kustomize or git process per core busy without flooding the machine.
 */
export async function runWithConcurrency<T>(limit: number, tasks: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  });
  await Promise.all(workers);
  return results;
}
