import { projectOwnerIndex } from './create-dependencies';

describe('projectOwnerIndex', () => {
  const ownerOf = projectOwnerIndex([
    { name: 'platform', root: 'platform' },
    { name: 'probes', root: 'platform/components/probes' },
    { name: 'foo', root: 'services/foo' },
  ]);

  it('finds the deepest project root holding a file or folder', () => {
    expect(ownerOf('platform/components/probes/kustomization.yaml')).toBe('probes');
    expect(ownerOf('platform/components/labels/kustomization.yaml')).toBe('platform');
    expect(ownerOf('platform/components/probes')).toBe('probes');
    expect(ownerOf('services/foo/Dockerfile')).toBe('foo');
  });

  it('matches whole folder names only, and nothing outside every root', () => {
    expect(ownerOf('services/foobar/skaffold.yaml')).toBeUndefined();
    expect(ownerOf('shared/base/kustomization.yaml')).toBeUndefined();
  });

  it('gives a file outside the other roots to a project at the workspace root', () => {
    const withRoot = projectOwnerIndex([
      { name: 'workspace', root: '.' },
      { name: 'foo', root: 'services/foo' },
    ]);
    expect(withRoot('shared/base/kustomization.yaml')).toBe('workspace');
    expect(withRoot('services/foo/skaffold.yaml')).toBe('foo');
  });
});
