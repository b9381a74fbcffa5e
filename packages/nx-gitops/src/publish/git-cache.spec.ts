import { readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../lib/exec';
import { commitToBareBranch, createPublishSandbox, git, type PublishSandbox } from '../testing/publish-fixtures';
import { MAX_CACHE_PACKS, ManifestRepositoryCache } from './git-cache';

jest.setTimeout(60_000);

// The cache against a real bare repository.
let sandbox: PublishSandbox;
let cache: ManifestRepositoryCache;

beforeEach(async () => {
  sandbox = await createPublishSandbox();
  cache = await ManifestRepositoryCache.open({ repository: sandbox.remoteUrl, cacheRoot: sandbox.cacheRoot, env: {} });
});
afterEach(async () => {
  await cache.dispose();
  sandbox.cleanup();
});

describe('ManifestRepositoryCache.fetchTips', () => {
  const refsOfCache = () => git(cache.gitDir, ['--git-dir', cache.gitDir, 'for-each-ref', '--format=%(refname)']);
  const typeInCache = async (sha: string) => (await runCommand('git', ['--git-dir', cache.gitDir, 'cat-file', '-t', sha], { allowFailure: true })).stdout.trim();

  it('fetches the listed tips it lacks in one shallow fetch, writing no ref, and uses those present as they are', async () => {
    const api = await commitToBareBranch({ remote: sandbox.remote, branch: 'api/production', files: { 'manifest.yaml': 'api' }, message: 'api' });
    const web = await commitToBareBranch({ remote: sandbox.remote, branch: 'web/production', files: { 'manifest.yaml': 'web' }, message: 'web' });
    const tips = await cache.remoteTips(['api/production', 'web/production', 'new/production']);
    expect(tips).toEqual(new Map([['api/production', api], ['web/production', web]]));
    expect(await cache.fetchTips(tips)).toEqual(tips);
    expect([await typeInCache(api), await typeInCache(web)]).toEqual(['commit', 'commit']);
    expect(await refsOfCache()).toBe('');
    // Held already: nothing to fetch, even with the remote gone.
    renameSync(sandbox.remote, `${sandbox.remote}.away`);
    try {
      expect(await cache.fetchTips(tips)).toEqual(tips);
    } finally {
      renameSync(`${sandbox.remote}.away`, sandbox.remote);
    }
  });

  it('learns the new tip of a branch that moved between the listing and the fetch, and removes its own refs when disposed', async () => {
    await commitToBareBranch({ remote: sandbox.remote, branch: 'api/production', files: { 'manifest.yaml': 'api' }, message: 'api' });
    const web = await commitToBareBranch({ remote: sandbox.remote, branch: 'web/production', files: { 'manifest.yaml': 'web' }, message: 'web' });
    const tips = await cache.remoteTips(['api/production', 'web/production']);
    const moved = await commitToBareBranch({ remote: sandbox.remote, branch: 'api/production', files: { 'manifest.yaml': 'api v2' }, message: 'api v2' });
    const held = await cache.fetchTips(tips);
    expect(held).toEqual(new Map([['api/production', moved], ['web/production', web]]));
    expect(await typeInCache(moved)).toBe('commit');
    expect(await refsOfCache()).not.toBe('');
    await cache.dispose();
    expect(await refsOfCache()).toBe('');
  });
});

describe('ManifestRepositoryCache object writes', () => {
  const packs = () => readdirSync(join(cache.gitDir, 'objects', 'pack')).filter((name) => name.endsWith('.pack'));

  it(`rolls its packs up when it holds more than ${MAX_CACHE_PACKS}, keeping every object (none of them referenced)`, async () => {
    const ids: string[] = [];
    for (let index = 0; index <= MAX_CACHE_PACKS; index++) ids.push(...(await cache.hashContents([`n: ${index}\n`])));
    expect(packs()).toHaveLength(MAX_CACHE_PACKS + 1);
    await cache.dispose();
    expect(packs().length).toBeLessThan(5);
    const listed = await git(cache.gitDir, ['--git-dir', cache.gitDir, 'cat-file', '--batch-check'], `${ids.join('\n')}\n`);
    expect(listed.split('\n').filter((line) => / blob \d+$/.test(line))).toHaveLength(ids.length);
  });

  it('stores new contents as one pack with the ids git gives them, and what it holds already not again', async () => {
    const ids = await cache.hashContents(['a: 1\n', 'b: 2\n', 'a: 1\n']);
    expect(ids[0]).toBe(ids[2]);
    expect(ids[0]).toBe(await git(sandbox.dir, ['hash-object', '--stdin'], 'a: 1\n'));
    expect(packs()).toHaveLength(1);
    expect(await cache.hashContents(['b: 2\n', 'a: 1\n'])).toEqual([ids[1], ids[0]]);
    expect(packs()).toHaveLength(1);
    await cache.hashContents(['c: 3\n', 'a: 1\n']);
    expect(packs()).toHaveLength(2);
    expect(await git(cache.gitDir, ['--git-dir', cache.gitDir, 'count-objects', '-v'])).toMatch(/^in-pack: 3$/m);
  });
});
