import { GitopsError } from '../lib/errors';
import type { RegistryCredentials } from './docker-config';
import { allowsPlainHttp, sendRegistryRequest } from './registry-http';

/** One challenge of a `WWW-Authenticate` header: the scheme and its parameters (names lowercased). */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header into its challenges, e.g.
 * `Bearer realm="https://auth.example.com/token",service="registry",scope="repository:foo:pull"`.
 * Quoted values may contain commas and backslash escapes; the scheme is lowercased.
 */
export function parseAuthenticateHeader(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let rest = header.trim();
  let current: AuthChallenge | null = null;
  while (rest) {
    const param = /^([!#$%&'*+.^_`|~\w-]+)\s*=\s*/.exec(rest);
    if (param && current) {
      rest = rest.slice(param[0].length);
      let value: string;
      if (rest.startsWith('"')) {
        let index = 1;
        value = '';
        while (index < rest.length && rest[index] !== '"') {
          if (rest[index] === '\\' && index + 1 < rest.length) index++;
          value += rest[index++];
        }
        rest = rest.slice(index + 1);
      } else {
        const token = /^[^,\s]*/.exec(rest)?.[0] ?? '';
        value = token;
        rest = rest.slice(token.length);
      }
      current.params[param[1].toLowerCase()] = value;
    } else {
      const scheme = /^([!#$%&'*+.^_`|~\w-]+)/.exec(rest);
      if (!scheme) break;
      current = { scheme: scheme[1].toLowerCase(), params: {} };
      challenges.push(current);
      rest = rest.slice(scheme[0].length);
    }
    rest = rest.replace(/^[\s,]+/, '');
  }
  return challenges;
}

/** The `Authorization` value for HTTP basic auth. */
export function basicAuthorization(credentials: { username?: string; password?: string }): string {
  return `Basic ${Buffer.from(`${credentials.username ?? ''}:${credentials.password ?? ''}`).toString('base64')}`;
}

/** What a token request needs: the challenge, the scope to ask for, and who is asking. */
export interface TokenRequest {
  challenge: AuthChallenge;
  /** Used when the challenge names no scope: `repository:<name>:pull`. */
  defaultScope: string;
  credentials: RegistryCredentials | null;
  insecureRegistries: readonly string[];
  timeoutMs: number;
  retries: number;
  /** Names the registry in errors. */
  registry: string;
}

/** The outcome of a token request: a token, or the token endpoint's refusal (status and its words). */
export type TokenResult = { token: string } | { refused: string };

/**
 * Exchanges a bearer challenge for a token at its `realm` (the Docker token protocol): a GET with `service` and
 * `scope`, with basic auth when there are credentials, or the OAuth2 refresh-token POST when the credentials are
 * an identity token. Credentials are only sent to an `https://` realm, or to a plain-HTTP realm whose host may
 * be reached that way (see `insecureRegistries`).
 */
export async function requestBearerToken(request: TokenRequest): Promise<TokenResult> {
  const { realm, service } = request.challenge.params;
  if (!realm) {
    throw new GitopsError(`Registry ${request.registry} asked for a bearer token without naming a realm.`, {
      hint: 'The registry is misconfigured; check its token auth settings.',
    });
  }
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new GitopsError(`Registry ${request.registry} named an invalid token realm "${realm}".`, {
      hint: 'The registry is misconfigured; check its token auth settings.',
    });
  }
  const credentials = request.credentials;
  if (credentials && url.protocol !== 'https:' && !allowsPlainHttp({ host: url.host, insecureRegistries: request.insecureRegistries })) {
    throw new GitopsError(`Registry ${request.registry} sends token requests to plain-HTTP ${url.origin}; credentials are not sent there.`, {
      hint: `Add ${url.host} to insecureRegistries if that endpoint is trusted, or fix the registry's token realm.`,
    });
  }
  const scope = request.challenge.params.scope || request.defaultScope;
  const target = `the token endpoint of registry ${request.registry}`;
  let response: Response;
  if (credentials?.identityToken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.identityToken, client_id: 'nx-gitops', scope });
    if (service) form.set('service', service);
    response = await sendRegistryRequest({
      url: url.toString(),
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      timeoutMs: request.timeoutMs,
      retries: request.retries,
      target,
    });
  } else {
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (credentials?.password !== undefined) {
      url.searchParams.set('account', credentials.username ?? '');
      headers.authorization = basicAuthorization(credentials);
    }
    response = await sendRegistryRequest({ url: url.toString(), method: 'GET', headers, timeoutMs: request.timeoutMs, retries: request.retries, target });
  }
  const text = await response.text();
  if (!response.ok) return { refused: `${response.status} ${response.statusText}`.trim() };
  let body: { token?: unknown; access_token?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new GitopsError(`${target} answered ${response.status} without a JSON token.`, {
      hint: 'The registry is misconfigured; check its token auth settings.',
    });
  }
  const token = typeof body.token === 'string' && body.token ? body.token : body.access_token;
  if (typeof token !== 'string' || !token) {
    throw new GitopsError(`${target} answered without a token.`, { hint: 'The registry is misconfigured; check its token auth settings.' });
  }
  return { token };
}
