import { describeError, GitopsError } from '../../lib/errors';

/**
 * Runs a generator body so that a {@link GitopsError}'s hint reaches the user: Nx prints only the message of
 * an error a generator throws, so the hint is appended to the message (and kept as `hint`).
 */
export async function surfaceHints<T>(run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof GitopsError && error.hint && !error.message.includes(error.hint)) {
      throw new GitopsError(describeError(error), { hint: error.hint, cause: error.cause });
    }
    throw error;
  }
}
