import { GitopsError } from '../lib/errors';
import { redact } from '../lib/redact';
import { githubHosts, isLoopbackHost } from './auth';

/** The token sent to a GitHub API, and the variable it came from (named in errors, never its value). */
export interface GitHubApiToken {
  token: string;
  source: 'NX_GITOPS_TOKEN' | 'GITHUB_TOKEN';
}

/**
 * The token for the GitHub API at `apiUrl`, scoped as the publisher scopes git credentials:
 * `NX_GITOPS_TOKEN` over https (or plain http to a loopback host, or anywhere with `allowInsecureTransport`);
 * `GITHUB_TOKEN` only over https to api.github.com or the host of an https `GITHUB_API_URL` or `GITHUB_SERVER_URL`.
 * Throws a {@link GitopsError} naming the variables when none may be sent.
 */
export function githubApiToken(options: { apiUrl: string; env: Readonly<Record<string, string | undefined>>; allowInsecureTransport?: boolean }): GitHubApiToken {
  const { env } = options;
  const url = new URL(options.apiUrl);
  const host = url.host.toLowerCase();
  const https = url.protocol === 'https:';
  if (env.NX_GITOPS_TOKEN && (https || isLoopbackHost(url.hostname) || options.allowInsecureTransport === true)) {
    return { token: env.NX_GITOPS_TOKEN, source: 'NX_GITOPS_TOKEN' };
  }
  if (env.GITHUB_TOKEN && https && githubHosts(env, { api: true }).includes(host)) return { token: env.GITHUB_TOKEN, source: 'GITHUB_TOKEN' };
  const why = env.NX_GITOPS_TOKEN || env.GITHUB_TOKEN ? ` (the token that is set may not be sent to ${url.protocol}//${host})` : '';
  throw new GitopsError(`No token to open a pull request through the GitHub API at ${options.apiUrl}${why}.`, {
    hint: 'Set NX_GITOPS_TOKEN to a token that may write pull requests in the manifest repository (GITHUB_TOKEN is only sent over https to GitHub), or set the "pullRequest" option to false.',
  });
}

/** A pull request as the GitHub API returns it (the fields nx-gitops reads). */
export interface GitHubPullRequest {
  number: number;
  html_url: string;
  state: string;
  head: { ref: string; repo: { full_name: string } | null };
  base: { ref: string };
}

/** A GitHub API answer that is not 2xx: the status and GitHub's message (redacted). */
export class GitHubApiError extends GitopsError {
  readonly status: number;
  readonly apiMessage: string;

  constructor(details: { status: number; apiMessage: string; message: string; hint: string }) {
    super(details.message, { hint: details.hint });
    this.name = 'GitHubApiError';
    this.status = details.status;
    this.apiMessage = details.apiMessage;
  }
}

/** GitHub's message and the messages of its `errors` list, in one line. */
function apiMessageOf(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const { message, errors } = body as { message?: unknown; errors?: unknown };
  const details = Array.isArray(errors) ? errors.map((error) => (error && typeof error === 'object' ? (error as { message?: unknown }).message : error)).filter(Boolean) : [];
  return [typeof message === 'string' ? message : '', ...details.map(String)].filter(Boolean).join(': ');
}

/**
 * A client of the subset of GitHub's REST API that pull-request mode uses. The token goes only in the
 * `Authorization` header of Node's fetch: never in a URL, a file or a message, and every error is redacted.
 */
export class GitHubApi {
  private readonly apiUrl: string;
  private readonly token: GitHubApiToken;
  private readonly timeoutMs: number;

  constructor(options: { apiUrl: string; token: GitHubApiToken; timeoutSeconds: number }) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutSeconds * 1000;
  }

  /** Sends one request; a non-2xx answer throws a {@link GitHubApiError} naming what was tried and the token's variable. */
  async request<T>(options: { method: 'GET' | 'POST' | 'PATCH'; path: string; body?: unknown; what: string }): Promise<T> {
    return (await this.send<T>({ ...options, url: `${this.apiUrl}${options.path}` })).body;
  }

  /**
   * Every page of a listing (`GET`, 100 a page), following the `Link: <…>; rel="next"` headers GitHub sends,
   * up to `maxPages`. A next page on another origin or outside the API's path is refused: the token goes
   * to the API only.
   */
  async list<T>(options: { path: string; what: string; maxPages?: number }): Promise<T[]> {
    const maxPages = options.maxPages ?? 10;
    const separator = options.path.includes('?') ? '&' : '?';
    let url: string | undefined = `${this.apiUrl}${options.path}${/[?&]per_page=/.test(options.path) ? '' : `${separator}per_page=100`}`;
    const items: T[] = [];
    for (let page = 1; url !== undefined; page++) {
      if (page > maxPages) {
        throw new GitopsError(`The GitHub API at ${this.apiUrl} listed more than ${maxPages} pages while trying to ${options.what}.`, {
          hint: 'Close the stale pull requests of this branch, then publish again.',
        });
      }
      const { body, link } = await this.send<T[]>({ method: 'GET', url, what: options.what });
      items.push(...(Array.isArray(body) ? body : []));
      url = this.nextPage(link, options.what);
    }
    return items;
  }

  /** The `rel="next"` URL of a Link header, checked to be on the API itself. */
  private nextPage(link: string | null, what: string): string | undefined {
    const next = /<([^>]+)>;\s*rel="next"/.exec(link ?? '')?.[1];
    if (next === undefined) return undefined;
    const api = new URL(this.apiUrl);
    const parsed = URL.canParse(next) ? new URL(next) : undefined;
    const base = api.pathname.replace(/\/+$/, '');
    if (!parsed || parsed.origin !== api.origin || (parsed.pathname !== base && !parsed.pathname.startsWith(`${base}/`))) {
      throw new GitopsError(`The GitHub API at ${this.apiUrl} named a next page outside itself while trying to ${what}; it was not followed, so the token stays with the API.`, {
        hint: 'Check the "forgeApiUrl" option: it must be the API that serves the listing (GitHub Enterprise: https://<host>/api/v3).',
      });
    }
    return parsed.href;
  }

  private async send<T>(options: { method: 'GET' | 'POST' | 'PATCH'; url: string; body?: unknown; what: string }): Promise<{ body: T; link: string | null }> {
    const url = options.url;
    let response: Response;
    try {
      response = await fetch(url, {
        method: options.method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${this.token.token}`,
          'content-type': 'application/json',
          'user-agent': 'nx-gitops',
          'x-github-api-version': '2022-11-28',
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const reason = redact(error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error), [this.token.token]);
      throw new GitopsError(`The GitHub API at ${this.apiUrl} could not be reached while trying to ${options.what}: ${reason}.`, {
        hint: 'Check that the server is reachable, or set the "forgeApiUrl" option to its API (GitHub Enterprise: https://<host>/api/v3).',
      });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (response.ok) return { body: body as T, link: response.headers.get('link') };
    const apiMessage = redact(apiMessageOf(body) || response.statusText, [this.token.token]);
    const denied = response.status === 401 || response.status === 403;
    throw new GitHubApiError({
      status: response.status,
      apiMessage,
      message: denied
        ? `The GitHub API at ${this.apiUrl} refused the token from ${this.token.source} while trying to ${options.what} (${response.status}: ${apiMessage}).`
        : `The GitHub API at ${this.apiUrl} answered ${response.status} while trying to ${options.what}: ${apiMessage}.`,
      hint: denied
        ? `Set ${this.token.source} to a token that may write pull requests (and contents) in the manifest repository.`
        : 'Check the "forgeApiUrl" option and that the target branch exists in the manifest repository.',
    });
  }
}
