import { pushTestImage, sha256Digest, startTestRegistry, type TestRegistry } from '../testing/oci-registry';
import { pinDigests } from './pin-digests';

jest.setTimeout(60_000);

describe('pinDigests against docker-registry on 127.0.0.1', () => {
  let registry: TestRegistry;
  let image: Buffer;

  beforeAll(async () => {
    registry = await startTestRegistry();
    image = (await pushTestImage({ registry, repository: 'foo', tag: 'production-e3a42e0', format: 'oci' })).bytes;
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('appends the registry digest to each reference as written, and leaves pinned references alone', async () => {
    const reference = `${registry.host}/foo:production-e3a42e0`;
    const alreadyPinned = `unreachable.invalid/foo:1.0@${sha256Digest('other bytes')}`;
    const pinned = await pinDigests({ references: [reference, alreadyPinned, reference] });
    expect([...pinned.entries()]).toEqual([
      [reference, `${reference}@${sha256Digest(image)}`],
      [alreadyPinned, alreadyPinned],
    ]);
  });

  it('returns an empty map for no references without contacting anything', async () => {
    expect((await pinDigests({ references: [] })).size).toBe(0);
  });
});
