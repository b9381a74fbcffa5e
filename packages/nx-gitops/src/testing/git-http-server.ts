import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A smart-HTTP git server for tests: `git http-backend` behind basic auth, on 127.0.0.1. */
export interface GitHttpServer {
  /** `http://127.0.0.1:<port>`; repositories are below it by their folder name (`/manifests.git`). */
  baseUrl: string;
  /** Requests refused for missing or wrong credentials. */
  refusedRequests(): number;
  /** Requests let through to git. */
  acceptedRequests(): number;
  /** Stops listening and waits for open connections to end. */
  close(): Promise<void>;
}

function sendUnauthorized(response: ServerResponse): void {
  response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
  response.end('Unauthorized\n');
}

/** Splits CGI output into its header block and body (CGI allows LF or CRLF line ends). */
function parseCgiOutput(output: Buffer): { status: number; headers: Record<string, string>; body: Buffer } {
  let end = output.indexOf('\r\n\r\n');
  let separatorLength = 4;
  const lfEnd = output.indexOf('\n\n');
  if (end === -1 || (lfEnd !== -1 && lfEnd < end)) {
    end = lfEnd;
    separatorLength = 2;
  }
  const headers: Record<string, string> = {};
  let status = 200;
  for (const line of output.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
    else headers[name] = value;
  }
  return { status, headers, body: output.subarray(end + separatorLength) };
}

/**
 * Starts the server. Every request must carry `Authorization: Basic` with `password` (any user name);
 * others get 401. Accepted requests run `git http-backend` as a CGI program with `projectRoot` as
 * `GIT_PROJECT_ROOT`, pushing enabled. `delayMs` holds every response back, so that tests can watch the
 * git processes while they run. This test helper streams binary pack data in and out of the CGI
 * process, which the text-only `runCommand` cannot, hence `child_process` here.
 */
export async function startGitHttpServer(options: {
  projectRoot: string;
  password: string;
  delayMs?: number;
  /**
   * Fault injection: called for every request (numbered from 0) before anything else; a status returned
   * is answered instead (a 5xx, say), `undefined` lets the request through.
   */
  fault?: (request: { method: string; path: string; index: number }) => number | undefined;
}): Promise<GitHttpServer> {
  let refused = 0;
  let accepted = 0;
  let seen = 0;
  const expected = options.password;
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const status = options.fault?.({ method: request.method ?? 'GET', path: request.url ?? '/', index: seen++ });
    if (status !== undefined) {
      request.resume();
      response.writeHead(status, { 'Content-Type': 'text/plain' });
      response.end('Injected fault\n');
      return;
    }
    const header = request.headers.authorization ?? '';
    const decoded = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : '';
    const password = decoded.slice(decoded.indexOf(':') + 1);
    if (!decoded.includes(':') || password !== expected) {
      refused++;
      request.resume();
      sendUnauthorized(response);
      return;
    }
    accepted++;
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: options.projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_PROTOCOL: String(request.headers['git-protocol'] ?? ''),
        REQUEST_METHOD: request.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: String(request.headers['content-type'] ?? ''),
        ...(request.headers['content-length'] ? { CONTENT_LENGTH: String(request.headers['content-length']) } : {}),
        HTTP_CONTENT_ENCODING: String(request.headers['content-encoding'] ?? ''),
        REMOTE_USER: decoded.slice(0, decoded.indexOf(':')) || 'git',
        REMOTE_ADDR: '127.0.0.1',
        GATEWAY_INTERFACE: 'CGI/1.1',
        SERVER_PROTOCOL: 'HTTP/1.1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.resume();
    request.pipe(child.stdin);
    // A request cut short (the client or a proxy dropped it) ends git with it, as a web server would: on
    // a short body git http-backend 2.39 spins instead of exiting. Its own process group takes receive-pack along.
    request.on('close', () => {
      if (!request.complete && child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    });
    child.stdin.on('error', () => undefined);
    child.on('close', () => {
      const { status, headers, body } = parseCgiOutput(Buffer.concat(chunks));
      setTimeout(() => {
        response.writeHead(status, headers);
        response.end(body);
      }, options.delayMs ?? 0);
    });
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    refusedRequests: () => refused,
    acceptedRequests: () => accepted,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
