import { readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { GitopsError } from '../../lib/errors';
import { initGenerator } from './generator';

function pluginEntries(tree: Tree): unknown[] {
  return (readNxJson(tree)?.plugins ?? []).filter((entry) => (typeof entry === 'string' ? entry : entry.plugin) === 'nx-gitops');
}

describe('init generator', () => {
  let tree: Tree;

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  it('adds the plugin entry with only the options given', async () => {
    await initGenerator(tree, { manifestRepository: 'https://github.com/acme/manifests.git', defaultRepo: 'ghcr.io/acme' });
    expect(pluginEntries(tree)).toEqual([
      { plugin: 'nx-gitops', options: { manifestRepository: 'https://github.com/acme/manifests.git', defaultRepo: 'ghcr.io/acme' } },
    ]);
  });

  it('adds a bare entry when no option is given', async () => {
    await initGenerator(tree, {});
    expect(pluginEntries(tree)).toEqual([{ plugin: 'nx-gitops' }]);
  });

  it('changes nothing when run twice with the same options', async () => {
    const options = { defaultEnvironment: 'dev', renderTargetName: 'render-manifests', publishTargetName: 'publish' };
    await initGenerator(tree, options);
    const first = tree.read('nx.json', 'utf-8');
    const changesBefore = tree.listChanges().length;
    await initGenerator(tree, options);
    expect(tree.read('nx.json', 'utf-8')).toBe(first);
    expect(tree.listChanges()).toHaveLength(changesBefore);
    expect(pluginEntries(tree)).toHaveLength(1);
  });

  it('updates the existing entry on a second run with other options, keeping the rest', async () => {
    const nxJson = readNxJson(tree) ?? {};
    updateNxJson(tree, {
      ...nxJson,
      plugins: ['@nx/js', { plugin: 'nx-gitops', include: ['services/**/*'], options: { defaultEnvironment: 'dev', branch: 'deploy/{project}/{environment}' } }],
    });
    await initGenerator(tree, { defaultEnvironment: 'staging', manifestRepository: 'git@github.com:acme/manifests.git' });
    expect(readNxJson(tree)?.plugins).toEqual([
      '@nx/js',
      {
        plugin: 'nx-gitops',
        include: ['services/**/*'],
        options: { defaultEnvironment: 'staging', branch: 'deploy/{project}/{environment}', manifestRepository: 'git@github.com:acme/manifests.git' },
      },
    ]);
  });

  it('turns a string entry into an object when options are given', async () => {
    updateNxJson(tree, { ...(readNxJson(tree) ?? {}), plugins: ['nx-gitops'] });
    await initGenerator(tree, {});
    expect(readNxJson(tree)?.plugins).toEqual(['nx-gitops']);
    await initGenerator(tree, { defaultRepo: 'ghcr.io/acme' });
    expect(readNxJson(tree)?.plugins).toEqual([{ plugin: 'nx-gitops', options: { defaultRepo: 'ghcr.io/acme' } }]);
  });

  it('writes nx.json only, leaving package.json alone', async () => {
    const snapshot = () => new Map(tree.listChanges().map((change) => [change.path, change.content?.toString()]));
    const before = snapshot();
    await initGenerator(tree, { manifestRepository: 'https://example.com/m.git' });
    const after = snapshot();
    const changed = [...after.keys()].filter((path) => after.get(path) !== before.get(path));
    expect(changed).toEqual(['nx.json']);
  });

  it.each([
    [{ defaultEnvironment: 'Prod' }, /DNS-1123/],
    [{ renderTargetName: 'a:b' }, /target name/],
    [{ renderTargetName: 'render.v2' }, /Invalid --renderTargetName: it must be a target name/],
    [{ publishTargetName: 'render' }, /--publishTargetName: it must differ from renderTargetName/],
    [{ digestSource: 'latest' as never }, /--digestSource/],
    [{ renderTargetName: 'same', publishTargetName: 'same' }, /both named/],
    [{ manifestRepository: 'https://user:secret-token@github.com/acme/m.git' }, /credentials/],
    [{ manifestRepository: '  ' }, /empty/],
  ])('refuses %j', async (options, message) => {
    await expect(initGenerator(tree, options)).rejects.toThrow(message);
    await expect(initGenerator(tree, options)).rejects.toBeInstanceOf(GitopsError);
    expect(pluginEntries(tree)).toEqual([]);
  });

  it('accepts digestSource, which the plugin schema knows', async () => {
    await initGenerator(tree, { digestSource: 'remote', skipFormat: true });
    expect(pluginEntries(tree)).toEqual([{ plugin: 'nx-gitops', options: { digestSource: 'remote' } }]);
  });

  it('does not repeat the token of a refused URL', async () => {
    await expect(initGenerator(tree, { manifestRepository: 'https://user:secret-token@github.com/acme/m.git' })).rejects.toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret-token') }),
    );
  });
});
