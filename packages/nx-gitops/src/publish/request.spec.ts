import { resolveRepositoryLocation, refuseDirtyImages } from './request';

describe('resolveRepositoryLocation', () => {
  it.each([
    ['https://github.com/o/r.git', 'https://github.com/o/r.git'],
    ['file:///srv/r.git', 'file:///srv/r.git'],
    ['git@github.com:o/r.git', 'git@github.com:o/r.git'],
    ['/srv/r.git', '/srv/r.git'],
    ['../manifests.git', '/srv/manifests.git'],
    ['repos/m.git', '/srv/ws/repos/m.git'],
  ])('%s -> %s (local paths resolved against the workspace)', (repository, expected) => {
    expect(resolveRepositoryLocation(repository, '/srv/ws')).toBe(expected);
  });
});

describe('refuseDirtyImages', () => {
  const images = (tags: Array<string | null>) => ({
    project: 'foo',
    environment: 'dev',
    sourceCommit: null,
    images: tags.map((tag) => ({ name: 'foo', repository: 'r/foo', tag, digest: null, reference: `r/foo:${tag}` })),
  });

  it('refuses a -dirty tag, naming the image, the file and the option', () => {
    expect(() => refuseDirtyImages({ images: images(['v1', 'abc-dirty']), allowDirty: false, imagesFile: 'dist/manifests/foo/dev/images.json' })).toThrow(
      /r\/foo:abc-dirty carry a "-dirty" tag .*dist\/manifests\/foo\/dev\/images.json/,
    );
  });

  it('accepts clean tags, untagged images and dirty ones when allowed', () => {
    expect(() => refuseDirtyImages({ images: images(['v1', null]), allowDirty: false, imagesFile: 'f' })).not.toThrow();
    expect(() => refuseDirtyImages({ images: images(['abc-dirty']), allowDirty: true, imagesFile: 'f' })).not.toThrow();
  });
});
