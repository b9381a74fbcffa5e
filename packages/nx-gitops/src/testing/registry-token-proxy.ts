import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { TestRegistry } from './oci-registry';

/** The `service` the test token endpoint names in its challenges. */
export const TEST_TOKEN_SERVICE = 'nx-gitops-test-token-service';

/** What the test proxy in front of a registry does. */
export interface TestTokenProxyOptions {
  /** The registry requests are forwarded to. */
  backend: TestRegistry;
  /**
   * `bearer`: manifest requests need a token from the proxy's own `/token` endpoint (the Docker token protocol);
   * `none`: requests pass straight through (for the fault options).
   */
  auth: 'bearer' | 'none';
  /** Whether `/token` hands out pull tokens without credentials. */
  allowAnonymous?: boolean;
  /** The one user `/token` accepts with basic auth. */
  user?: { username: string; password: string };
  /** The refresh token `/token` accepts in the OAuth2 POST. */
  identityToken?: string;
  /** The realm named in challenges instead of the proxy's own `/token` (to test where credentials may go). */
  realm?: string;
  /** Drop `Docker-Content-Digest` from every answer, as some registries and proxies do. */
  omitDigestHeader?: boolean;
  /** Answer this many manifest requests with 503 before forwarding any. */
  failManifestRequests?: number;
  /** Never answer manifest requests. */
  hang?: boolean;
}

/** One request the proxy saw on `/v2/`. */
export interface SeenRequest {
  method: string;
  path: string;
  authorization: 'none' | 'basic' | 'bearer';
  status: number;
}

/** One request the proxy's token endpoint saw. */
export interface SeenTokenRequest {
  method: string;
  scope: string | null;
  service: string | null;
  account: string | null;
  grantType: string | null;
  granted: boolean;
  /** Every header and body value it received, so tests can check no secret is sent to the wrong place. */
  raw: string;
}

/** A running test proxy with its own token endpoint, on 127.0.0.1. */
export interface TestTokenProxy {
  /** `127.0.0.1:<port>`, the registry part of image references. */
  host: string;
  requests: SeenRequest[];
  tokenRequests: SeenTokenRequest[];
  stop(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/**
 * Starts the tests' own token endpoint and proxy in front of a test registry, on a free port of 127.0.0.1: with
 * `auth: 'bearer'` every `/v2/` request without a valid token gets a `WWW-Authenticate: Bearer realm=…` challenge
 * pointing at the proxy's `/token`, which checks basic credentials or a refresh token as configured. It records
 * every request for the tests to inspect.
 */
export async function startTestTokenProxy(options: TestTokenProxyOptions): Promise<TestTokenProxy> {
  const requests: SeenRequest[] = [];
  const tokenRequests: SeenTokenRequest[] = [];
  const tokens = new Map<string, string>();
  let failuresLeft = options.failManifestRequests ?? 0;
  let host = '';

  const handleToken = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const body = await readBody(request);
    const form = new URLSearchParams(body);
    const param = (name: string) => (request.method === 'POST' ? form.get(name) : url.searchParams.get(name));
    const header = request.headers.authorization ?? '';
    let granted = false;
    if (request.method === 'POST') {
      granted = form.get('grant_type') === 'refresh_token' && !!options.identityToken && form.get('refresh_token') === options.identityToken;
    } else if (header.startsWith('Basic ')) {
      const [username, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
      granted = !!options.user && username === options.user.username && rest.join(':') === options.user.password;
    } else {
      granted = !!options.allowAnonymous;
    }
    const scope = param('scope');
    tokenRequests.push({
      method: request.method ?? '',
      scope,
      service: param('service'),
      account: param('account'),
      grantType: param('grant_type'),
      granted,
      raw: `${request.url} ${JSON.stringify(request.headers)} ${body}`,
    });
    if (!granted) return send(response, 401, { details: 'incorrect username or password' });
    const token = randomBytes(24).toString('hex');
    tokens.set(token, scope ?? '');
    return send(response, 200, request.method === 'POST' ? { access_token: token } : { token });
  };

  const forward = async (request: IncomingMessage, response: ServerResponse, url: URL, seen: SeenRequest) => {
    const headers: Record<string, string> = {};
    if (request.headers.accept) headers.accept = request.headers.accept;
    if (options.backend.authorization) headers.authorization = options.backend.authorization;
    const answer = await fetch(`${options.backend.url}${url.pathname}${url.search}`, { method: request.method, headers });
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (name === 'docker-content-digest' && options.omitDigestHeader) return;
      if (['content-type', 'docker-content-digest', 'content-length', 'docker-distribution-api-version'].includes(name)) out[name] = value;
    });
    const body = Buffer.from(await answer.arrayBuffer());
    seen.status = answer.status;
    response.writeHead(answer.status, out);
    response.end(request.method === 'HEAD' ? undefined : body);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${host}`);
    if (url.pathname === '/token') {
      handleToken(request, response, url).catch(() => send(response, 500, {}));
      return;
    }
    const header = request.headers.authorization ?? '';
    const seen: SeenRequest = {
      method: request.method ?? '',
      path: url.pathname,
      authorization: header.startsWith('Bearer ') ? 'bearer' : header.startsWith('Basic ') ? 'basic' : 'none',
      status: 0,
    };
    requests.push(seen);
    const name = /^\/v2\/(.+)\/(?:manifests|blobs|tags)\//.exec(url.pathname)?.[1];
    if (options.auth === 'bearer') {
      const scope = name ? `repository:${name}:pull` : '';
      const granted = tokens.get(header.slice('Bearer '.length));
      if (!header.startsWith('Bearer ') || granted === undefined || (scope && granted !== scope)) {
        seen.status = 401;
        const challenge = `Bearer realm="${options.realm ?? `http://${host}/token`}",service="${TEST_TOKEN_SERVICE}"${scope ? `,scope="${scope}"` : ''}`;
        return send(response, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': challenge });
      }
    }
    if (url.pathname.includes('/manifests/')) {
      if (options.hang) return;
      if (failuresLeft > 0) {
        failuresLeft--;
        seen.status = 503;
        return send(response, 503, { errors: [{ code: 'UNAVAILABLE', message: 'service unavailable' }] });
      }
    }
    forward(request, response, url, seen).catch(() => send(response, 502, {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  host = `127.0.0.1:${address.port}`;
  return {
    host,
    requests,
    tokenRequests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
