import { spawn, type ChildProcess } from 'node:child_process';
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

/** The most output kept per stream; a process that writes more fails rather than filling memory. */
const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;
/** How long a process killed for its timeout has to exit after SIGTERM before SIGKILL. */
const FORCE_KILL_AFTER_MS = 5_000;

/** Processes still running; killed when this process exits, so none outlives a cancelled run. */
const running = new Set<ChildProcess>();
let killOnExitInstalled = false;

function killRunningOnExit(): void {
  if (killOnExitInstalled) return;
  killOnExitInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGTERM');
  });
}

/** The environment a process gets: the inherited one plus `env` (where a value is undefined, the variable is dropped). */
function processEnv(options: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...((options.extendEnv ?? true) ? process.env : {}), ...options.env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return env;
}

/** The text of a stream's output with one final newline (LF or CRLF) removed. */
function outputText(chunks: readonly Buffer[]): string {
  const text = Buffer.concat(chunks).toString('utf8');
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

interface Finished {
  stdout: string;
  stderr: string;
  /** `null` when the process was killed by a signal. */
  exitCode: number | null;
  timedOut: boolean;
  /** The spawn error (a missing binary: `ENOENT`), or too much output. */
  failure?: NodeJS.ErrnoException;
}

/** Starts `file` and waits for it to end, collecting its output; never rejects. */
function runToEnd(file: string, args: readonly string[], options: RunOptions): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(file, [...args], {
      cwd: options.cwd,
      env: processEnv(options),
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    running.add(child);
    killRunningOnExit();
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let timedOut = false;
    let failure: NodeJS.ErrnoException | undefined;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_OUTPUT_BYTES) {
        failure ??= Object.assign(new Error(`more than ${MAX_OUTPUT_BYTES} bytes of output`), { code: 'EMAXBUFFER' });
        child.kill('SIGKILL');
        return;
      }
      into.push(chunk);
    };
    child.stdout?.on('data', collect(stdout));
    child.stderr?.on('data', collect(stderr));
    let forceKill: NodeJS.Timeout | undefined;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
            forceKill = setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_AFTER_MS);
          }, options.timeoutMs);
    if (child.stdin) {
      // A process that exits without reading all of its input is not an error of ours.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
    let settled = false;
    const settle = (exitCode: number | null) => {
      if (settled) return;
      settled = true;
      running.delete(child);
      clearTimeout(timer);
      clearTimeout(forceKill);
      resolve({ stdout: outputText(stdout), stderr: outputText(stderr), exitCode, timedOut, failure });
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      failure ??= error;
      if (child.pid === undefined) settle(null);
    });
    child.on('close', (code) => settle(code));
  });
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
  const result = await runToEnd(file, args, options);
  const { stdout, stderr } = result;
  if (result.failure?.code === 'ENOENT' && result.exitCode === null) {
    throw new GitopsError(`Cannot run "${file}": the executable was not found on PATH.`, {
      hint: options.binaryOption
        ? `Install it, or point the "${options.binaryOption}" option at it.`
        : `Install "${file}" and make sure it is on PATH.`,
    });
  }
  if (result.timedOut) {
    throw new CommandTimeoutError({ command, timeoutMs: options.timeoutMs ?? 0, stderr: redact(stderr, secrets) });
  }
  if (result.failure && result.exitCode === null) {
    throw new CommandError({ command, exitCode: 1, stderr: redact(`${stderr}\n${result.failure.message}`, secrets), stdout: redact(stdout, secrets) });
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
