import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A TCP server on 127.0.0.1 that accepts every connection and never answers, as a hung forge does. */
export interface StallingServer {
  /** `http://127.0.0.1:<port>`. */
  baseUrl: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a {@link StallingServer}: it reads and discards what clients send, and sends nothing back. */
export async function startStallingServer(): Promise<StallingServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
