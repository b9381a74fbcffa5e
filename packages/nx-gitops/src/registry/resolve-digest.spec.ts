import { describeError } from '../lib/errors';
import { pushTestImage, pushTestIndex, sha256Digest, startTestRegistry, type TestRegistry } from '../testing/oci-registry';
import { startTestTokenProxy, type TestTokenProxy } from '../testing/registry-token-proxy';
import { parseRegistryReference } from './registry-reference';
import { manifestUrl, resolveImageDigest, resolveImageDigests } from './resolve-digest';

jest.setTimeout(60_000);

describe('manifestUrl', () => {
  it.each([
    ['foo:1.0', [], 'https://registry-1.docker.io/v2/library/foo/manifests/1.0'],
    ['docker.io/team/foo', [], 'https://registry-1.docker.io/v2/team/foo/manifests/latest'],
    ['gcr.io/p/foo:tag', [], 'https://gcr.io/v2/p/foo/manifests/tag'],
    ['localhost:5000/foo:develop-abc1234', [], 'http://localhost:5000/v2/foo/manifests/develop-abc1234'],
    ['registry.internal:5000/foo:1', ['registry.internal:5000'], 'http://registry.internal:5000/v2/foo/manifests/1'],
  ])('%s with insecureRegistries %j -> %s', (reference, insecureRegistries, expected) => {
    expect(manifestUrl({ reference: parseRegistryReference(reference), insecureRegistries })).toBe(expected);
  });
});

describe('resolveImageDigests against docker-registry on 127.0.0.1 (anonymous)', () => {
  let registry: TestRegistry;
  const pushed: Record<string, Buffer> = {};

  beforeAll(async () => {
    registry = await startTestRegistry();
    pushed.oci = (await pushTestImage({ registry, repository: 'team/app', tag: 'develop-abc1234', format: 'oci' })).bytes;
    pushed.docker = (await pushTestImage({ registry, repository: 'team/app', tag: 'docker-v2', format: 'docker' })).bytes;
    pushed.index = (await pushTestIndex({ registry, repository: 'multi', tag: '1.0' })).bytes;
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('resolves an OCI manifest, a Docker v2 manifest and a multi-arch index to the sha256 of the pushed bytes', async () => {
    const references = [`${registry.host}/team/app:develop-abc1234`, `${registry.host}/team/app:docker-v2`, `${registry.host}/multi:1.0`];
    const digests = await resolveImageDigests({ references });
    expect(Object.fromEntries(digests)).toEqual({
      [references[0]]: sha256Digest(pushed.oci),
      [references[1]]: sha256Digest(pushed.docker),
      [references[2]]: sha256Digest(pushed.index),
    });
  });

  it('fails for a missing tag with the reference, the registry answer and the hint', async () => {
    const reference = `${registry.host}/team/app:not-pushed`;
    const error = await resolveImageDigest({ reference }).catch((caught: unknown) => caught);
    const text = describeError(error);
    expect(text).toContain(reference);
    expect(text).toContain('404 MANIFEST_UNKNOWN');
    expect(text).toContain('Build and push the image first, or use digestSource: tag.');
  });

  it('reports a repository that was never pushed in full: reference, registry answer, hint', async () => {
    const reference = `${registry.host}/never-pushed:1.0`;
    const text = describeError(await resolveImageDigest({ reference }).catch((caught: unknown) => caught));
    expect(text).toBe(
      `Image ${reference} was not found in registry ${registry.host}: 404 MANIFEST_UNKNOWN manifest unknown.\n` +
        'Hint: Build and push the image first, or use digestSource: tag.',
    );
  });

  it('reaches the same registry as localhost over plain HTTP', async () => {
    const port = registry.host.split(':')[1];
    expect(await resolveImageDigest({ reference: `localhost:${port}/team/app:develop-abc1234` })).toBe(sha256Digest(pushed.oci));
  });

  it('returns a digest the reference already carries without asking, and maps duplicates once', async () => {
    const pinned = `${registry.host}/not-there:1.0@${sha256Digest('anything')}`;
    const reference = `${registry.host}/team/app:docker-v2`;
    const digests = await resolveImageDigests({ references: [pinned, reference, reference] });
    expect([...digests.entries()]).toEqual([
      [pinned, sha256Digest('anything')],
      [reference, sha256Digest(pushed.docker)],
    ]);
  });
});

describe('resolveImageDigests through a test proxy of our own in front of docker-registry', () => {
  let registry: TestRegistry;
  let image: Buffer;
  const proxies: TestTokenProxy[] = [];
  const proxy = async (options: Omit<Parameters<typeof startTestTokenProxy>[0], 'backend' | 'auth'>) => {
    const started = await startTestTokenProxy({ backend: registry, auth: 'none', ...options });
    proxies.push(started);
    return started;
  };

  beforeAll(async () => {
    registry = await startTestRegistry();
    image = (await pushTestImage({ registry, repository: 'app', tag: '1.0', format: 'oci' })).bytes;
    await pushTestImage({ registry, repository: 'app', tag: '2.0', format: 'docker' });
  });

  afterAll(async () => {
    for (const started of proxies) await started.stop();
    await registry?.stop();
  });

  it('computes the digest from the manifest bytes when the registry omits Docker-Content-Digest', async () => {
    const omitting = await proxy({ omitDigestHeader: true });
    expect(await resolveImageDigest({ reference: `${omitting.host}/app:1.0` })).toBe(sha256Digest(image));
    expect(omitting.requests.map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([
      'HEAD /v2/app/manifests/1.0 200',
      'GET /v2/app/manifests/1.0 200',
    ]);
  });

  it('retries 503 answers and then resolves', async () => {
    const flaky = await proxy({ failManifestRequests: 2 });
    expect(await resolveImageDigest({ reference: `${flaky.host}/app:1.0`, retries: 2 })).toBe(sha256Digest(image));
    expect(flaky.requests.map((request) => request.status)).toEqual([503, 503, 200]);
  });

  it('gives up after the bounded retries with the registry answer', async () => {
    const down = await proxy({ failManifestRequests: 100 });
    const reference = `${down.host}/app:1.0`;
    const text = describeError(await resolveImageDigest({ reference, retries: 1 }).catch((caught: unknown) => caught));
    expect(text).toContain(`Registry ${down.host} answered 503 UNAVAILABLE service unavailable for ${reference}.`);
    expect(down.requests).toHaveLength(4);
  });

  it('fails with the timeout when the registry never answers', async () => {
    const hanging = await proxy({ hang: true });
    const text = describeError(await resolveImageDigest({ reference: `${hanging.host}/app:1.0`, timeoutMs: 300 }).catch((caught: unknown) => caught));
    expect(text).toContain(`No answer from registry ${hanging.host} within 300 ms`);
    expect(text).toContain('NX_GITOPS_REGISTRY_TIMEOUT_SECONDS');
  });

  it('looks each distinct reference up once per call', async () => {
    const counting = await proxy({});
    const references = [`${counting.host}/app:1.0`, `${counting.host}/app:2.0`, `${counting.host}/app:1.0`, `${counting.host}/app:2.0`];
    const digests = await resolveImageDigests({ references, concurrency: 4 });
    expect(digests.size).toBe(2);
    expect(counting.requests.map((request) => `${request.method} ${request.path}`).sort()).toEqual([
      'HEAD /v2/app/manifests/1.0',
      'HEAD /v2/app/manifests/2.0',
    ]);
  });
});
