import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One request as the proxy sees it (its whole body read), numbered from 0 in arrival order. */
export interface ProxiedRequest {
  method: string;
  /** Path and query, as sent (`/manifests.git/git-receive-pack`). */
  path: string;
  index: number;
  /** The body as sent (de-chunked, still compressed when it was). */
  body: Buffer;
  /** The body as text, decompressed when git sent it gzipped: for matching a command (`command=fetch`). */
  bodyText: string;
  /** True once the client has closed its connection (git was killed, say). */
  clientGone(): boolean;
  /** Settles when the client closes its connection before the answer is complete. */
  clientClosed: Promise<void>;
}

/**
 * What the proxy does with a request instead of forwarding it as it is:
 * - `status`: answers that HTTP status itself; the server never sees the request.
 * - `cutRequestAfterBytes`: forwards the headers and that many bytes of the body, then closes both
 *   connections (the server gets a truncated request, the client no answer).
 * - `stallResponse`: forwards the request, then sends nothing back (or the headers and `afterBytes` of the
 *   answer's body, when given), holding the connection open.
 */
export type Fault = { status: number } | { cutRequestAfterBytes: number } | { stallResponse: { afterBytes?: number } };

/** A fault-injecting HTTP proxy in front of a smart-HTTP git server, on 127.0.0.1. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: use it in place of the server's base URL. */
  baseUrl: string;
  /** Every request seen so far: method and path. */
  requests(): Array<{ method: string; path: string }>;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function textOf(body: Buffer, encoding: string | undefined): string {
  try {
    return (encoding === 'gzip' ? gunzipSync(body) : body).toString('latin1');
  } catch {
    return body.toString('latin1');
  }
}

/**
 * Starts a {@link FaultProxy} forwarding to `upstream` (`http://127.0.0.1:<port>`). Each request's body is
 * read whole, then `onRequest` is awaited before anything reaches the server, so a test can hold a push
 * while it acts (moves a branch, signals a process) and then decide: a {@link Fault}, or `undefined` to
 * forward. A request whose client went away meanwhile is never forwarded.
 */
export async function startFaultProxy(options: {
  upstream: string;
  onRequest?: (request: ProxiedRequest) => Fault | undefined | Promise<Fault | undefined>;
}): Promise<FaultProxy> {
  const target = new URL(options.upstream);
  const seen: Array<{ method: string; path: string }> = [];
  const sockets = new Set<Socket>();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    const index = seen.push({ method, path }) - 1;
    let gone = false;
    let markClosed: () => void = () => undefined;
    const clientClosed = new Promise<void>((resolve) => (markClosed = resolve));
    // Closed before the answer was complete: the client went away.
    response.once('close', () => {
      gone = !response.writableFinished;
      if (gone) markClosed();
    });
    const body = await readBody(request);
    const encoding = request.headers['content-encoding'];
    const fault = await options.onRequest?.({ method, path, index, body, bodyText: textOf(body, typeof encoding === 'string' ? encoding : undefined), clientGone: () => gone, clientClosed });
    if (gone) return;
    if (fault && 'status' in fault) {
      response.writeHead(fault.status, { 'Content-Type': 'text/plain' });
      response.end('Injected fault\n');
      return;
    }
    const upstream = forward({ host: target.hostname, port: target.port, method, path, headers: request.headers });
    // A client that goes away takes the upstream request with it, as a real proxy's would.
    response.once('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    upstream.on('error', () => response.destroy());
    upstream.on('response', (answer) => {
      if (fault && 'stallResponse' in fault) {
        const limit = fault.stallResponse.afterBytes;
        answer.resume();
        if (limit === undefined) return;
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          const part = chunk.subarray(0, Math.max(0, limit - sent));
          sent += part.length;
          if (part.length > 0) response.write(part);
        });
        return;
      }
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    if (fault && 'cutRequestAfterBytes' in fault) {
      upstream.write(body.subarray(0, fault.cutRequestAfterBytes), () => {
        upstream.destroy();
        response.socket?.destroy();
      });
      return;
    }
    upstream.end(body);
  };

  const server: Server = createServer((request, response) => void handle(request, response));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests: () => [...seen],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
