import { describeError } from '../lib/errors';
import { pushTestImage, pushTestIndex, sha256Digest, startTestRegistry, type TestRegistry } from '../testing/oci-registry';
import { resolveImageDigest, resolveImageDigests } from './resolve-digest';

jest.setTimeout(60_000);

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
});
