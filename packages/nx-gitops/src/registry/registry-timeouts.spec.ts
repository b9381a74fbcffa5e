import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { describeError } from '../lib/errors';
import { startStallingServer } from '../testing/stalling-server';
import { REGISTRY_TIMEOUT_VARIABLE, registryTimeoutMs, sendRegistryRequest, urlWithoutCredentials } from './registry-http';
import { resolveImageDigest } from './resolve-digest';

async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('registry requests: timeouts, deadline and retries', () => {
  it('gives up on a server that accepts and never answers: every attempt bounded, the URL without credentials, the setting named', async () => {
    const stalling = await startStallingServer();
    try {
      const url = `${stalling.baseUrl}/token?account=robot&scope=repository:app:pull&refresh_token=hunter2`;
      const started = Date.now();
      const error = await sendRegistryRequest({ url, method: 'GET', headers: {}, timeoutMs: 300, retries: 2, target: 'the token endpoint' }).catch((caught: unknown) => caught);
      const text = describeError(error);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(stalling.connections()).toBe(3);
      expect(text).toContain(`No answer from the token endpoint within 300 ms (GET ${stalling.baseUrl}/token?account=…&scope=…&refresh_token=…; 3 attempts in`);
      expect(text).toContain(REGISTRY_TIMEOUT_VARIABLE);
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('robot');
    } finally {
      await stalling.close();
    }
  });

  it('cuts off a body that stalls after the headers, and retries it', async () => {
    let requests = 0;
    const { server, port } = await listen((_request, response) => {
      requests++;
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"schemaVersion"');
    });
    try {
      const error = await sendRegistryRequest({ url: `http://127.0.0.1:${port}/v2/app/manifests/1`, method: 'GET', headers: {}, timeoutMs: 300, retries: 1, target: 'registry test' }).catch(
        (caught: unknown) => caught,
      );
      expect(describeError(error)).toMatch(/^No answer from registry test within 300 ms \(GET http:\/\/127\.0\.0\.1:\d+\/v2\/app\/manifests\/1; 2 attempts in \d+ ms\)/);
      expect(requests).toBe(2);
    } finally {
      await close(server);
    }
  });

  it('retries a 503 and returns the 200 that follows, body intact', async () => {
    const statuses = [503, 200];
    const { server, port } = await listen((_request, response) => {
      const status = statuses.shift() ?? 500;
      response.writeHead(status);
      response.end(status === 200 ? 'manifest' : 'busy');
    });
    try {
      const response = await sendRegistryRequest({ url: `http://127.0.0.1:${port}/v2/`, method: 'GET', headers: {}, timeoutMs: 2_000, retries: 2, target: 'registry test' });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('manifest');
      expect(statuses).toEqual([]);
    } finally {
      await close(server);
    }
  });

  it('stops retrying at the overall deadline', async () => {
    const stalling = await startStallingServer();
    try {
      const started = Date.now();
      const error = await sendRegistryRequest({ url: `${stalling.baseUrl}/v2/`, method: 'GET', headers: {}, timeoutMs: 400, retries: 10, deadlineMs: 1_000, target: 'registry test' }).catch(
        (caught: unknown) => caught,
      );
      expect(describeError(error)).toMatch(/^No answer from registry test/);
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(stalling.connections()).toBeLessThanOrEqual(3);
    } finally {
      await stalling.close();
    }
  });

  it('a digest lookup against a stalling registry fails naming the registry and the setting', async () => {
    const stalling = await startStallingServer();
    try {
      const host = stalling.baseUrl.replace('http://', '');
      const error = await resolveImageDigest({ reference: `${host}/app:1.0`, timeoutMs: 200, retries: 1, env: {}, dockerConfigDir: '/nonexistent-docker-config' }).catch((caught: unknown) => caught);
      const text = describeError(error);
      expect(text).toContain(`No answer from registry ${host}`);
      expect(text).toContain(REGISTRY_TIMEOUT_VARIABLE);
    } finally {
      await stalling.close();
    }
  });

  it.each([
    [{ [REGISTRY_TIMEOUT_VARIABLE]: '90' }, 90_000],
    [{ [REGISTRY_TIMEOUT_VARIABLE]: 'soon' }, 30_000],
    [{}, 30_000],
  ])('registryTimeoutMs(%j) is %d', (env, expected) => {
    expect(registryTimeoutMs({ env, fallbackMs: 30_000 })).toBe(expected);
  });

  it('urlWithoutCredentials drops user, password and query values', () => {
    expect(urlWithoutCredentials('https://u:p@auth.example/token?account=u&service=s')).toBe('https://auth.example/token?account=…&service=…');
    expect(urlWithoutCredentials('not a url')).toBe('(an invalid URL)');
  });
});
