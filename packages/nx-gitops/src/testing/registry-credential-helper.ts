import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A test credential helper on disk, and the PATH that finds it. */
export interface TestCredentialHelper {
  /** Directory holding `docker-credential-<name>`. */
  binDir: string;
  /** File the helper appends `<argument> <server URL read from stdin>` to on every call. */
  callsLog: string;
  /** `process.env` with `binDir` first on PATH. */
  env: NodeJS.ProcessEnv;
}

/**
 * Writes `docker-credential-<name>`, a shell script that follows the docker credential helper protocol for
 * `get`: it reads a server URL on stdin and prints `{"ServerURL","Username","Secret"}` for the servers in
 * `credentials`, or "credentials not found in native keychain" with exit code 1 otherwise.
 */
export function writeTestCredentialHelper(options: {
  dir: string;
  name: string;
  credentials: Record<string, { username: string; secret: string }>;
}): TestCredentialHelper {
  const binDir = join(options.dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  const callsLog = join(options.dir, `docker-credential-${options.name}.calls`);
  const cases = Object.entries(options.credentials)
    .map(([server, { username, secret }]) => {
      const answer = JSON.stringify({ ServerURL: server, Username: username, Secret: secret }).replace(/'/g, `'\\''`);
      return `  '${server}') printf '%s' '${answer}' ;;`;
    })
    .join('\n');
  const script = [
    '#!/bin/sh',
    'read -r server',
    `printf '%s %s\\n' "$1" "$server" >> '${callsLog}'`,
    '[ "$1" = get ] || { echo "unsupported: $1" >&2; exit 2; }',
    'case "$server" in',
    cases,
    '  *) echo "credentials not found in native keychain"; exit 1 ;;',
    'esac',
    '',
  ].join('\n');
  const path = join(binDir, `docker-credential-${options.name}`);
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return { binDir, callsLog, env: { ...process.env, PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}` } };
}
