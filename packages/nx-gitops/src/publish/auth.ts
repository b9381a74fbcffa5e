/** How git reaches the manifest repository: the URL to use and the environment that authenticates it. */
export interface GitRemoteAccess {
  /** The URL handed to git, never carrying credentials. */
  url: string;
  /** Variables to add to git's environment (the auth header goes here, never into argv or files). */
  env: Record<string, string | undefined>;
  /** Values to mask in every message. */
  secrets: string[];
}

function splitCredentials(url: string): { url: string; username: string; password: string } | null {
  const match = /^(https?:\/\/)([^/@]*)@(.*)$/i.exec(url);
  if (!match) return null;
  const [user, ...rest] = match[2].split(':');
  return { url: `${match[1]}${match[3]}`, username: decodeURIComponent(user), password: decodeURIComponent(rest.join(':')) };
}

function existingConfigCount(env: Readonly<Record<string, string | undefined>>): number {
  const count = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10);
  return Number.isInteger(count) && count > 0 ? count : 0;
}

/**
 * Prepares access to `repository`. For http(s) remotes a token from `NX_GITOPS_TOKEN` (else
 * `GITHUB_TOKEN`) — or, failing that, credentials written into the URL, which are moved out of it — is
 * sent as an `Authorization: Basic` header configured through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/
 * `GIT_CONFIG_VALUE_n`, scoped to the repository's origin, so it reaches git without touching argv, the
 * cache's config or any log. Other remotes (ssh, file, local paths) use the user's git setup untouched.
 */
export function remoteAccess(options: { repository: string; env: Readonly<Record<string, string | undefined>> }): GitRemoteAccess {
  // Never let git ask on a terminal (it would hang CI), and never let git tracing print the header.
  const baseEnv: Record<string, string | undefined> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_TRACE_CURL: undefined,
    GIT_CURL_VERBOSE: undefined,
    GIT_TRACE_PACKET: undefined,
  };
  if (!/^https?:\/\//i.test(options.repository)) return { url: options.repository, env: baseEnv, secrets: [] };
  const embedded = splitCredentials(options.repository);
  const url = embedded?.url ?? options.repository;
  const token = options.env.NX_GITOPS_TOKEN || options.env.GITHUB_TOKEN;
  const pair = token ? `x-access-token:${token}` : embedded && embedded.password ? `${embedded.username}:${embedded.password}` : null;
  if (!pair) return { url, env: baseEnv, secrets: [] };
  const origin = new URL(url);
  const index = existingConfigCount(options.env);
  const header = `Authorization: Basic ${Buffer.from(pair).toString('base64')}`;
  const secret = token ?? embedded?.password ?? '';
  return {
    url,
    env: {
      ...baseEnv,
      GIT_CONFIG_COUNT: String(index + 1),
      [`GIT_CONFIG_KEY_${index}`]: `http.${origin.protocol}//${origin.host}/.extraHeader`,
      [`GIT_CONFIG_VALUE_${index}`]: header,
    },
    secrets: [secret, Buffer.from(pair).toString('base64'), header].filter((value) => value.length > 0),
  };
}
