/** Details attached to a {@link GitopsError}. */
export interface GitopsErrorDetails {
  /** What the user can change to fix it: an option, a flag, a file. */
  hint?: string;
  /** The underlying error, kept for `--verbose` output. */
  cause?: unknown;
}

/**
 * The one error type of nx-gitops: a message that says what failed and where, and an optional hint that
 * names the option or file that fixes it. Executors print `message` and `hint` and exit non-zero.
 */
export class GitopsError extends Error {
  readonly hint?: string;

  constructor(message: string, details: GitopsErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'GitopsError';
    this.hint = details.hint;
  }
}

/** Renders any thrown value as the text a user reads: the message, then the hint on its own line. */
export function describeError(error: unknown): string {
  if (error instanceof GitopsError) {
    return error.hint ? `${error.message}\nHint: ${error.hint}` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
