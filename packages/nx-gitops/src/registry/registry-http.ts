import { setTimeout as delay } from 'node:timers/promises';
import { GitopsError } from '../lib/errors';

/** Hosts that are always reached over plain HTTP: a registry on this machine has no certificate. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Statuses worth asking again: rate limiting and server-side trouble. */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** Longest wait a `Retry-After` header may impose before we give up waiting and try anyway. */
const MAX_RETRY_AFTER_MS = 5_000;
const BASE_BACKOFF_MS = 200;

/** Strips a scheme and trailing slash so `http://host:5000/` in `insecureRegistries` matches `host:5000`. */
function normaliseHostEntry(entry: string): string {
  return entry.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
}

function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

/**
 * Whether `host` (with port when it has one) may be spoken to over plain HTTP: loopback hosts, and hosts listed
 * in `insecureRegistries` (an entry without a port allows every port of that host).
 */
export function allowsPlainHttp(options: { host: string; insecureRegistries: readonly string[] }): boolean {
  const bare = hostWithoutPort(options.host);
  if (LOOPBACK_HOSTS.has(bare)) return true;
  return options.insecureRegistries.map(normaliseHostEntry).some((entry) => entry === options.host || entry === bare);
}

/** The base URL of a registry's API: `http://` only where {@link allowsPlainHttp} says so, TLS elsewhere. */
export function registryBaseUrl(options: { registry: string; insecureRegistries: readonly string[] }): string {
  const scheme = allowsPlainHttp({ host: options.registry, insecureRegistries: options.insecureRegistries }) ? 'http' : 'https';
  return `${scheme}://${options.registry}`;
}

/** Why a request failed before any answer came back, in words a user can act on. */
function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code && cause.message) return `${cause.code}: ${cause.message}`;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return (error as Error).message ?? String(error);
}

function retryAfterMs(response: Response, attempt: number): number {
  const header = response.headers.get('retry-after');
  const seconds = header && /^\d+$/.test(header.trim()) ? Number(header.trim()) : NaN;
  if (Number.isFinite(seconds)) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  return BASE_BACKOFF_MS * 2 ** attempt;
}

/** The environment variable that sets the per-request registry timeout, in seconds (default 30). */
export const REGISTRY_TIMEOUT_VARIABLE = 'NX_GITOPS_REGISTRY_TIMEOUT_SECONDS';

/** The per-request timeout `env` asks for through {@link REGISTRY_TIMEOUT_VARIABLE}, else `fallbackMs`. */
export function registryTimeoutMs(options: { env: NodeJS.ProcessEnv; fallbackMs: number }): number {
  const seconds = Number(options.env[REGISTRY_TIMEOUT_VARIABLE]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : options.fallbackMs;
}

/** `url` without user name, password or query values, safe to quote in an error. */
export function urlWithoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    for (const key of [...parsed.searchParams.keys()]) parsed.searchParams.set(key, '…');
    return parsed.toString().replace(/%E2%80%A6/g, '…');
  } catch {
    return '(an invalid URL)';
  }
}

/** A request to a registry or token endpoint, retried a bounded number of times. */
export interface RegistryRequest {
  url: string;
  method: 'GET' | 'HEAD' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /**
   * Abort one attempt after this many milliseconds without the whole answer (connection, headers and body:
   * a server that stalls mid-body is cut off too).
   */
  timeoutMs: number;
  /** Attempts after the first on 408/429/5xx answers, timeouts and network errors. */
  retries: number;
  /** No attempt starts or runs past this long after the first; default every attempt's timeout plus backoff. */
  deadlineMs?: number;
  /** Names the registry in errors, e.g. `registry localhost:5000`. */
  target: string;
}

const TIMEOUT_HINT = `Check that the registry is reachable from here, or raise the per-request timeout with the environment variable ${REGISTRY_TIMEOUT_VARIABLE} (seconds, default 30).`;

/**
 * Sends `request` with Node's `fetch` and reads the whole answer within the attempt's timeout, retrying with
 * exponential backoff (or the server's `Retry-After`, capped) on rate limiting, server errors, timeouts and
 * network errors, a bounded number of times and within an overall deadline. Returns the last response (its
 * body buffered), whatever its status; throws a {@link GitopsError} naming the URL without credentials and
 * the setting that raises the timeout when no answer came.
 */
export async function sendRegistryRequest(request: RegistryRequest): Promise<Response> {
  const started = Date.now();
  const deadlineMs = request.deadlineMs ?? request.timeoutMs * (request.retries + 1) + BASE_BACKOFF_MS * 2 ** (request.retries + 1);
  const where = `${request.method} ${urlWithoutCredentials(request.url)}`;
  for (let attempt = 0; ; attempt++) {
    const remaining = deadlineMs - (Date.now() - started);
    const last = attempt >= request.retries;
    const attemptMs = Math.max(1, Math.min(request.timeoutMs, remaining));
    const signal = AbortSignal.timeout(attemptMs);
    let response: Response;
    try {
      const answer = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, redirect: 'follow', signal });
      // Read under the same signal, so that a body that stalls is cut off as a silent server is.
      const bytes = request.method === 'HEAD' || [204, 304].includes(answer.status) ? null : new Uint8Array(await answer.arrayBuffer());
      response = new Response(bytes, { status: answer.status, statusText: answer.statusText, headers: answer.headers });
    } catch (error) {
      const name = (error as Error).name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError' || signal.aborted;
      const outOfTime = deadlineMs - (Date.now() - started) < BASE_BACKOFF_MS;
      if (!last && !outOfTime) {
        await delay(BASE_BACKOFF_MS * 2 ** attempt);
        continue;
      }
      const attempts = `${attempt + 1} attempt${attempt === 0 ? '' : 's'}`;
      if (timedOut) {
        throw new GitopsError(`No answer from ${request.target} within ${attemptMs} ms (${where}; ${attempts} in ${Date.now() - started} ms).`, {
          hint: TIMEOUT_HINT,
        });
      }
      const https = request.url.startsWith('https://');
      throw new GitopsError(`Cannot reach ${request.target} (${where}; ${attempts}): ${describeNetworkError(error)}.`, {
        hint: https
          ? 'Check the registry host name and network access; a registry that serves plain HTTP must be listed in insecureRegistries.'
          : 'Check that the registry is running and the host name and port are right.',
        cause: error,
      });
    }
    if (last || !RETRY_STATUSES.has(response.status)) return response;
    const wait = retryAfterMs(response, attempt);
    if (deadlineMs - (Date.now() - started) < wait + 1) return response;
    await delay(wait);
  }
}
