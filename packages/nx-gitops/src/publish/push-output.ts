/**
 * What happened to one ref in a push: `pushed` (created or moved), `up-to-date`, `retry` (rejected
 * because the branch moved or was locked by a concurrent push: fetch, rebuild and push again), or
 * `failed` (anything else: a hook, a protected branch, permissions).
 */
export type RefPushOutcome = 'pushed' | 'up-to-date' | 'retry' | 'failed';

/** One ref's line of `git push --porcelain` output. */
export interface RefPushResult {
  ref: string;
  outcome: RefPushOutcome;
  /** Git's summary, such as `[rejected] (fetch first)`. */
  summary: string;
  /** For a `failed` ref: what the server said about it (a hook's output, the reason a ref cannot be created). */
  detail?: string;
  /** For a `failed` ref: its name clashes with a branch of the server (`foo` blocks `foo/production`). */
  nameConflict?: boolean;
}

/**
 * Rejections that mean "someone else moved or was moving the branch": a rebuilt commit on the new tip
 * will go through. `atomic push failed` (client side) and `atomic push failure` (server side) mark refs
 * that were fine themselves but shared an atomic push with a rejected one.
 */
const RETRYABLE_REASONS = [
  'fetch first',
  'non-fast-forward',
  'stale info',
  'cannot lock ref',
  'failed to update ref',
  'failed to lock',
  'incorrect old value',
  'atomic push fail',
  'atomic transaction failed',
];

/** Parses `git push --porcelain` standard output into one result per destination ref. */
export function parsePushPorcelain(stdout: string): Map<string, RefPushResult> {
  const results = new Map<string, RefPushResult>();
  for (const line of stdout.split('\n')) {
    const match = /^([ +\-*=!])\t[^\t]*:([^\t]+)\t(.*)$/.exec(line);
    if (!match) continue;
    const [, flag, ref, summary] = match;
    let outcome: RefPushOutcome;
    if (flag === '=') outcome = 'up-to-date';
    else if (flag !== '!') outcome = 'pushed';
    else outcome = RETRYABLE_REASONS.some((reason) => summary.includes(reason)) ? 'retry' : 'failed';
    results.set(ref, { ref, outcome, summary });
  }
  return results;
}

/**
 * Refs the server could not create because of their name, from `remote: error: cannot lock ref` lines:
 * a branch `foo` blocks `foo/production` and the other way round. Unlike a lock held by a concurrent
 * push, no retry can get past that, so those refs fail at once. Returns the ref and the server's reason.
 */
export function refNameConflicts(stderr: string): Map<string, string> {
  const conflicts = new Map<string, string>();
  for (const line of stderr.split('\n')) {
    const match = /cannot lock ref '([^']+)': (.*?)\s*$/.exec(line);
    if (match && /exists; cannot create|cannot process .* at the same time/.test(match[2])) conflicts.set(match[1], match[2]);
  }
  return conflicts;
}

/**
 * The server's own lines (`remote: …`) of a push: what a hook or a protection rule said. Progress
 * and blank lines are dropped, and at most `limit` lines (the last ones) are kept.
 */
export function remoteMessages(stderr: string, limit = 5): string[] {
  return stderr
    .split(/\r?\n|\r/)
    .filter((line) => line.startsWith('remote: '))
    .map((line) => line.slice('remote: '.length).trim())
    .filter((line) => line.length > 0 && !/^(Resolving deltas|Counting objects|Compressing objects|Total \d)/.test(line))
    .slice(-limit);
}

/** True when git refused `--atomic` because the server does not offer atomic pushes. */
export function isAtomicUnsupported(stderr: string): boolean {
  return /does not support --atomic/i.test(stderr);
}

/** True when git's error output says the server refused the credentials (or asked for some and got none). */
export function isAuthenticationFailure(stderr: string): boolean {
  return /Authentication failed|could not read (Username|Password)|terminal prompts disabled|The requested URL returned error: 40[13]|HTTP 40[13]|Invalid username or password/i.test(
    stderr,
  );
}
