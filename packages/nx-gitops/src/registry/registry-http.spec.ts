import { createServer } from 'node:http';
import { describeError } from '../lib/errors';
import { allowsPlainHttp, registryBaseUrl, sendRegistryRequest } from './registry-http';

describe('registryBaseUrl', () => {
  it.each([
    ['localhost:5000', [], 'http://localhost:5000'],
    ['localhost', [], 'http://localhost'],
    ['127.0.0.1:5000', [], 'http://127.0.0.1:5000'],
    ['[::1]:5000', [], 'http://[::1]:5000'],
    ['registry.internal:5000', [], 'https://registry.internal:5000'],
    ['registry.internal:5000', ['registry.internal:5000'], 'http://registry.internal:5000'],
    ['registry.internal:5000', ['http://registry.internal:5000/'], 'http://registry.internal:5000'],
    ['registry.internal:5000', ['registry.internal'], 'http://registry.internal:5000'],
    ['registry.internal:5001', ['registry.internal:5000'], 'https://registry.internal:5001'],
    ['registry.internal.evil.com', ['registry.internal'], 'https://registry.internal.evil.com'],
    ['127.0.0.1.nip.io', [], 'https://127.0.0.1.nip.io'],
    ['gcr.io', [], 'https://gcr.io'],
    ['registry-1.docker.io', [], 'https://registry-1.docker.io'],
  ])('%s with insecureRegistries %j -> %s', (registry, insecureRegistries, expected) => {
    expect(registryBaseUrl({ registry, insecureRegistries })).toBe(expected);
    expect(allowsPlainHttp({ host: registry, insecureRegistries })).toBe(expected.startsWith('http://'));
  });
});

describe('sendRegistryRequest against a test server on 127.0.0.1', () => {
  it('names the timeout option when the server never answers', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const error = await sendRegistryRequest({
        url: `http://127.0.0.1:${port}/v2/`,
        method: 'GET',
        headers: {},
        timeoutMs: 200,
        retries: 2,
        target: `registry 127.0.0.1:${port}`,
      }).catch((caught: unknown) => caught);
      expect(describeError(error)).toMatch(
        new RegExp(
          `^No answer from registry 127\\.0\\.0\\.1:${port} within 200 ms \\(GET http://127\\.0\\.0\\.1:${port}/v2/; 3 attempts in \\d+ ms\\)\\.\\n` +
            'Hint: Check that the registry is reachable from here, or raise the per-request timeout with the environment variable NX_GITOPS_REGISTRY_TIMEOUT_SECONDS',
        ),
      );
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('retries a refused connection and then says where it could not connect', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const error = await sendRegistryRequest({
      url: `http://127.0.0.1:${port}/v2/`,
      method: 'GET',
      headers: {},
      timeoutMs: 5_000,
      retries: 1,
      target: `registry 127.0.0.1:${port}`,
    }).catch((caught: unknown) => caught);
    expect(describeError(error)).toContain(`Cannot reach registry 127.0.0.1:${port} (GET http://127.0.0.1:${port}/v2/; 2 attempts): ECONNREFUSED`);
  });

  it('retries 429 and 503 answers, then returns the success', async () => {
    const statuses = [429, 503, 200];
    const server = createServer((_request, response) => {
      response.writeHead(statuses.shift() ?? 500, { 'retry-after': '0' });
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const response = await sendRegistryRequest({
        url: `http://127.0.0.1:${port}/v2/`,
        method: 'GET',
        headers: {},
        timeoutMs: 5_000,
        retries: 2,
        target: 'test server',
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('ok');
      expect(statuses).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
