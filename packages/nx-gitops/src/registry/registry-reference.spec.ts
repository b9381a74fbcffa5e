import { describeError } from '../lib/errors';
import { parseRegistryReference } from './registry-reference';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseRegistryReference', () => {
  it.each([
    ['foo', 'registry-1.docker.io', 'library/foo', 'latest', false, null],
    ['foo:1.0', 'registry-1.docker.io', 'library/foo', '1.0', true, null],
    ['team/foo:1.0', 'registry-1.docker.io', 'team/foo', '1.0', true, null],
    ['docker.io/foo:1.0', 'registry-1.docker.io', 'library/foo', '1.0', true, null],
    ['index.docker.io/team/foo', 'registry-1.docker.io', 'team/foo', 'latest', false, null],
    ['localhost:5000/foo:develop-abc1234', 'localhost:5000', 'foo', 'develop-abc1234', true, null],
    ['localhost/foo:1', 'localhost', 'foo', '1', true, null],
    ['127.0.0.1:5000/a/b/c:v1', '127.0.0.1:5000', 'a/b/c', 'v1', true, null],
    ['[::1]:5000/foo:v1', '[::1]:5000', 'foo', 'v1', true, null],
    ['gcr.io/p/foo:tag', 'gcr.io', 'p/foo', 'tag', true, null],
    [`gcr.io/p/foo:tag@${DIGEST}`, 'gcr.io', 'p/foo', 'tag', true, DIGEST],
    [`gcr.io/p/foo@${DIGEST}`, 'gcr.io', 'p/foo', 'latest', false, DIGEST],
    ['my_org/foo.bar-baz:1.0', 'registry-1.docker.io', 'my_org/foo.bar-baz', '1.0', true, null],
  ])('%s', (reference, registry, repository, tag, hasTag, digest) => {
    expect(parseRegistryReference(reference)).toEqual({ reference, registry, repository, tag, hasTag, digest });
  });

  it.each([
    ['', 'it is empty'],
    ['Foo:1.0', 'the repository path component "Foo" must be lowercase'],
    ['foo:bad tag', '"bad tag" is not a valid tag'],
    ['foo@sha256:short', '"sha256:short" is not a digest'],
  ])('rejects %j', (reference, why) => {
    let thrown: unknown;
    try {
      parseRegistryReference(reference);
    } catch (error) {
      thrown = error;
    }
    expect(describeError(thrown)).toContain(why);
    expect(describeError(thrown)).toContain('Hint: Check the image name in skaffold.yaml');
  });
});
