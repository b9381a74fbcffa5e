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

/** A request to a registry or token endpoint, retried a bounded number of times. */
export interface RegistryRequest {
  url: string;
  method: 'GET' | 'HEAD' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** Abort one attempt after this many milliseconds. */
  timeoutMs: number;
  /** Attempts after the first on 408/429/5xx answers and network errors. */
  retries: number;
  /** Names the registry in errors, e.g. `registry localhost:5000`. */
  target: string;
}

/**
 * Sends `request` with Node's `fetch`, retrying with exponential backoff (or the server's `Retry-After`, capped)
 * on rate limiting, server errors and network errors; a timeout is not retried, since a registry that hung once
 * tends to hang again. Returns the last response, whatever its status; throws a {@link GitopsError} when no
 * response came. URLs passed here never carry credentials, so they are safe to quote.
 */
export async function sendRegistryRequest(request: RegistryRequest): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= request.retries;
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        redirect: 'follow',
        signal: AbortSignal.timeout(request.timeoutMs),
      });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new GitopsError(`No answer from ${request.target} within ${request.timeoutMs} ms (${request.method} ${request.url}).`, {
          hint: 'Check that the registry is reachable from here, or raise the registry timeout (timeoutMs).',
        });
      }
      if (!last) {
        await delay(BASE_BACKOFF_MS * 2 ** attempt);
        continue;
      }
      const https = request.url.startsWith('https://');
      throw new GitopsError(`Cannot reach ${request.target} (${request.method} ${request.url}): ${describeNetworkError(error)}.`, {
        hint: https
          ? 'Check the registry host name and network access; a registry that serves plain HTTP must be listed in insecureRegistries.'
          : 'Check that the registry is running and the host name and port are right.',
        cause: error,
      });
    }
    if (last || !RETRY_STATUSES.has(response.status)) return response;
    const wait = retryAfterMs(response, attempt);
    await response.body?.cancel();
    await delay(wait);
  }
}
