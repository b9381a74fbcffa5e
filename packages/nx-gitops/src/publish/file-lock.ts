import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { GitopsError } from '../lib/errors';

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeIfStale(path: string, staleMs: number): void {
  try {
    const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    const age = Date.now() - statSync(path).mtimeMs;
    if ((Number.isInteger(owner) && owner > 0 && !isProcessAlive(owner)) || age > staleMs) unlinkSync(path);
  } catch {
    // The owner released it between our attempts; the next attempt will tell.
  }
}

/**
 * Runs `task` while holding an exclusive lock file at `path` (created with `O_EXCL`, holding our pid),
 * so that processes sharing a cache repository take turns for the operations git itself does not make
 * safe to run at once (shallow fetches rewrite `.git/shallow`, ref deletion rewrites `packed-refs`).
 * A lock left by a dead process, or older than `staleMs`, is taken over.
 */
export async function withFileLock<T>(options: { path: string; timeoutMs?: number; staleMs?: number }, task: () => Promise<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const staleMs = options.staleMs ?? 10 * 60_000;
  const started = Date.now();
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(options.path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() - started > timeoutMs) {
        throw new GitopsError(`Timed out waiting for the lock ${options.path}.`, {
          hint: 'Another publish may be stuck; if no publish is running, delete that file.',
        });
      }
      removeIfStale(options.path, staleMs);
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
    }
  }
  try {
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return await task();
  } finally {
    try {
      unlinkSync(options.path);
    } catch {
      // Already taken over as stale; nothing left to release.
    }
  }
}
