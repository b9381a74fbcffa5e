import { GitopsError } from '../lib/errors';
import { formatImageReference, parseImageReference, sanitizeImageName, tryParseImageReference } from './image-reference';

const digest = 'sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883';

describe('parseImageReference', () => {
  // The vectors of skaffold's pkg/skaffold/docker/reference_test.go.
  it.each([
    ['port and tag', 'host:1234/user/container:tag', 'host:1234/user/container', 'tag', '', true],
    ['port', 'host:1234/user/container', 'host:1234/user/container', '', '', false],
    ['tag', 'host/user/container:tag', 'host/user/container', 'tag', '', true],
    ['latest', 'host/user/container:latest', 'host/user/container', 'latest', '', false],
    ['digest', `gcr.io/k8s-skaffold/example@${digest}`, 'gcr.io/k8s-skaffold/example', '', digest, true],
    ['digest and tag', `gcr.io/k8s-skaffold/example:v1@${digest}`, 'gcr.io/k8s-skaffold/example', 'v1', digest, true],
    ['docker library', 'nginx:latest', 'nginx', 'latest', '', false],
    ['accept and remove ko prefix', 'ko://host/user/container', 'host/user/container', '', '', false],
    ['make name lowercase', 'ko://github.com/GoogleContainerTools/skaffold', 'github.com/googlecontainertools/skaffold', '', '', false],
    ['maintain tag case', 'gcr.io/k8s-skaffold/Example:Tag', 'gcr.io/k8s-skaffold/example', 'Tag', '', true],
    [
      'maintain tag case when digest is present',
      `us-central1-docker.pkg.dev/k8s-skaffold/Example:Tag@${digest}`,
      'us-central1-docker.pkg.dev/k8s-skaffold/example',
      'Tag',
      digest,
      true,
    ],
  ])('%s: %s', (_description, image, baseName, tag, expectedDigest, fullyQualified) => {
    const parsed = parseImageReference(image);
    expect(parsed).toMatchObject({ baseName, tag, digest: expectedDigest, fullyQualified });
  });

  it('rejects an invalid reference with a GitopsError naming the image', () => {
    const error = (() => {
      try {
        return parseImageReference('!!invalid!!');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(GitopsError);
    expect((error as GitopsError).message).toContain('"!!invalid!!"');
    expect((error as GitopsError).message).toContain('invalid reference format');
    expect((error as GitopsError).hint).toContain('skaffold.yaml');
  });

  it.each([
    ['', 'repository name must have at least one component'],
    ['not valid', 'invalid reference format'],
    [`img@sha256:${'a'.repeat(63)}`, 'invalid checksum digest length'],
    [`img@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
    [`img@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    [`${'a'.repeat(256)}`, 'repository name must not be more than 255 characters'],
  ])('reports why %j is invalid', (image, reason) => {
    expect(() => parseImageReference(image)).toThrow(reason);
  });

  it('splits domain, path, repo and name like distribution/reference without normalisation', () => {
    expect(parseImageReference('localhost:5000/team/app:1')).toMatchObject({
      domain: 'localhost:5000',
      path: 'team/app',
      repo: 'localhost:5000/team',
      name: 'app',
    });
    // A first component is read as a domain whenever the grammar allows it, as in Go.
    expect(parseImageReference('foo/bar')).toMatchObject({ domain: 'foo', path: 'bar', repo: 'foo', name: 'bar' });
    expect(parseImageReference('nginx')).toMatchObject({ domain: '', path: 'nginx', repo: '', name: '' });
  });

  it('accepts sha512 digests and an IPv6 registry', () => {
    const sha512 = `sha512:${'b'.repeat(128)}`;
    expect(parseImageReference(`[::1]:5000/app@${sha512}`)).toMatchObject({
      baseName: '[::1]:5000/app',
      domain: '[::1]:5000',
      digest: sha512,
    });
  });
});

describe('sanitizeImageName', () => {
  it('lowercases the name only and strips ko://', () => {
    expect(sanitizeImageName('ko://Example.COM/Cmd/App:MyTag')).toBe('example.com/cmd/app:MyTag');
    expect(sanitizeImageName('Not Valid')).toBe('Not Valid');
  });
});

describe('tryParseImageReference', () => {
  it('returns undefined for an invalid reference', () => {
    expect(tryParseImageReference('not valid')).toBeUndefined();
    expect(tryParseImageReference('app:1')?.tag).toBe('1');
  });
});

describe('formatImageReference', () => {
  it('writes name, tag and digest back', () => {
    expect(formatImageReference({ baseName: 'gcr.io/a/b', tag: 'v1', digest })).toBe(`gcr.io/a/b:v1@${digest}`);
    expect(formatImageReference({ baseName: 'b' })).toBe('b');
    const image = `gcr.io/a/b:Tag@${digest}`;
    expect(formatImageReference(parseImageReference(image))).toBe(image);
  });
});
