/** Environment variables whose values are secrets and must never be shown. */
export const SECRET_ENV_VARS = ['NX_GITOPS_TOKEN', 'GITHUB_TOKEN'] as const;

const MASK = '***';

/** The secret values currently set in `env` (those of {@link SECRET_ENV_VARS}), longest first. */
export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return SECRET_ENV_VARS.map((name) => env[name])
    .filter((value): value is string => typeof value === 'string' && value.length > 0)
    .sort((a, b) => b.length - a.length);
}

/** Removes user information (`user:password@`) from every URL in `text`. */
export function stripUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, `$1${MASK}@`);
}

/**
 * Masks every secret in `text`: the given values, the values of the secret environment variables, their
 * base64 forms (as they appear in HTTP basic auth headers) and URL credentials.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  const values = [...secrets, ...secretsFromEnv()].filter((value) => value.length >= 4);
  let result = text;
  for (const value of values) {
    for (const form of [value, Buffer.from(value).toString('base64'), Buffer.from(`x-access-token:${value}`).toString('base64')]) {
      result = result.split(form).join(MASK);
    }
  }
  return stripUrlCredentials(result);
}
