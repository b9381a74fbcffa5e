/** How git reaches the manifest repository: the URL to use and the environment that authenticates it. */
export interface GitRemoteAccess {
  /** The URL handed to git, never carrying credentials. */
  url: string;
  /** Variables to add to git's environment (the auth header goes here, never into argv or files). */
  env: Record<string, string | undefined>;
  /** Values to mask in every message. */
  secrets: string[];
  /** Which credentials git sends and to which host (for the `--verbose` line); `null` when none are sent. */
  credentials: { source: CredentialSource; host: string } | null;
  /** Why credentials that are set are not sent to this repository, when that is so. */
  withheld?: string;
  /** True when `NX_GITOPS_TOKEN` or URL credentials were withheld because the transport is plain http. */
  withheldForTransport?: boolean;
}

/** Where the credentials sent to the manifest repository come from. */
export type CredentialSource = 'NX_GITOPS_TOKEN' | 'GITHUB_TOKEN' | 'the repository URL';

/** True for hosts that never leave the machine: `localhost`, `127.0.0.0/8` and `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The lower-cased host (with port) of `url`; `null` when it is unset, not a URL, or (with `httpsOnly`) not https. */
export function hostOf(url: string | undefined, options: { httpsOnly?: boolean } = {}): string | null {
  try {
    const parsed = url ? new URL(url) : null;
    return parsed && (!options.httpsOnly || parsed.protocol === 'https:') ? parsed.host.toLowerCase() : null;
  } catch {
    return null;
  }
}

/**
 * The hosts `GITHUB_TOKEN` may go to: github.com and the host of an https `GITHUB_SERVER_URL` (GitHub
 * Enterprise); with `api`, also api.github.com and the host of an https `GITHUB_API_URL`.
 */
export function githubHosts(env: Readonly<Record<string, string | undefined>>, options: { api?: boolean } = {}): string[] {
  const candidates = options.api ? ['api.github.com', hostOf(env.GITHUB_API_URL, { httpsOnly: true })] : ['github.com'];
  return [...candidates, hostOf(env.GITHUB_SERVER_URL, { httpsOnly: true })].filter((host): host is string => host !== null);
}

function splitCredentials(url: string): { url: string; username: string; password: string } | null {
  const match = /^(https?:\/\/)([^/@]*)@(.*)$/i.exec(url);
  if (!match) return null;
  const [user, ...rest] = match[2].split(':');
  return { url: `${match[1]}${match[3]}`, username: decodeURIComponent(user), password: decodeURIComponent(rest.join(':')) };
}

/** How many `GIT_CONFIG_KEY_n` entries `env` already passes to git (`GIT_CONFIG_COUNT`, 0 when unset or invalid). */
function existingConfigCount(env: Readonly<Record<string, string | undefined>>): number {
  const count = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10);
  return Number.isInteger(count) && count > 0 ? count : 0;
}

/**
 * The variables that add `entries` (setting and value, in order) to the git configuration `env` already
 * passes through `GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_n` / `GIT_CONFIG_VALUE_n`, after its own entries: merged
 * over `env`, they give git every setting of both. A value set this way reaches git without entering argv,
 * so a credential or a signing key given here must still be masked by the caller.
 */
export function appendGitConfig(env: Readonly<Record<string, string | undefined>>, entries: ReadonlyArray<readonly [key: string, value: string]>): Record<string, string> {
  const first = existingConfigCount(env);
  const added: Record<string, string> = { GIT_CONFIG_COUNT: String(first + entries.length) };
  entries.forEach(([key, value], index) => {
    added[`GIT_CONFIG_KEY_${first + index}`] = key;
    added[`GIT_CONFIG_VALUE_${first + index}`] = value;
  });
  return added;
}

/**
 * Prepares access to `repository`. For http(s) remotes the credentials are, in order: `NX_GITOPS_TOKEN`
 * (sent over https, or plain http to a loopback host, or anywhere with `allowInsecureTransport`);
 * `GITHUB_TOKEN` (sent only over https to github.com or to the host of `GITHUB_SERVER_URL`); credentials
 * written into the URL, which are moved out of it (same transport rule as `NX_GITOPS_TOKEN`). They are sent
 * as an `Authorization: Basic` header configured through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/
 * `GIT_CONFIG_VALUE_n`, scoped to the repository's origin, so they reach git without touching argv, the
 * cache's config or any log. Other remotes (ssh, file, local paths) use the user's git setup untouched.
 */
export function remoteAccess(options: {
  repository: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Send `NX_GITOPS_TOKEN` or URL credentials over plain http to a host that is not loopback. */
  allowInsecureTransport?: boolean;
}): GitRemoteAccess {
  // Never let git ask on a terminal (it would hang CI), and never let git tracing print the header.
  const baseEnv: Record<string, string | undefined> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_TRACE_CURL: undefined,
    GIT_CURL_VERBOSE: undefined,
    GIT_TRACE_PACKET: undefined,
  };
  if (!/^https?:\/\//i.test(options.repository)) return { url: options.repository, env: baseEnv, secrets: [], credentials: null };
  const { env } = options;
  const embedded = splitCredentials(options.repository);
  const url = embedded?.url ?? options.repository;
  const origin = new URL(url);
  const host = origin.host.toLowerCase();
  const secure = origin.protocol === 'https:' || isLoopbackHost(origin.hostname) || options.allowInsecureTransport === true;
  const insecure = `${origin.protocol}//${host} is plain http and not a loopback host (set the "allowInsecureTransport" option to send them anyway)`;
  const candidates: Array<{ source: CredentialSource; user: string; secret: string; allowed: boolean; why: string }> = [];
  if (env.NX_GITOPS_TOKEN) candidates.push({ source: 'NX_GITOPS_TOKEN', user: 'x-access-token', secret: env.NX_GITOPS_TOKEN, allowed: secure, why: insecure });
  if (env.GITHUB_TOKEN) {
    const allowed = origin.protocol === 'https:' && githubHosts(env).includes(host);
    candidates.push({ source: 'GITHUB_TOKEN', user: 'x-access-token', secret: env.GITHUB_TOKEN, allowed, why: 'it is only sent over https to github.com or the host of GITHUB_SERVER_URL' });
  }
  if (embedded && embedded.password) candidates.push({ source: 'the repository URL', user: embedded.username, secret: embedded.password, allowed: secure, why: insecure });
  const chosen = candidates.find((candidate) => candidate.allowed);
  const skipped = candidates.filter((candidate) => candidate !== chosen && !candidate.allowed && (!chosen || candidates.indexOf(candidate) < candidates.indexOf(chosen)));
  const withheld = skipped.length > 0 ? skipped.map((candidate) => `${candidate.source} was not sent to ${host}: ${candidate.why}`).join('; ') : undefined;
  const withheldInfo = withheld ? { withheld, ...(skipped.some((candidate) => candidate.why === insecure) ? { withheldForTransport: true } : {}) } : {};
  // Every value that is set stays masked, sent or not.
  const masked = candidates.flatMap((candidate) => [candidate.secret, Buffer.from(`${candidate.user}:${candidate.secret}`).toString('base64')]);
  if (!chosen) return { url, env: baseEnv, secrets: masked, credentials: null, ...withheldInfo };
  const pair = `${chosen.user}:${chosen.secret}`;
  const header = `Authorization: Basic ${Buffer.from(pair).toString('base64')}`;
  return {
    url,
    env: { ...baseEnv, ...appendGitConfig(env, [[`http.${origin.protocol}//${origin.host}/.extraHeader`, header]]) },
    secrets: [...masked, header].filter((value) => value.length > 0),
    credentials: { source: chosen.source, host },
    ...withheldInfo,
  };
}
