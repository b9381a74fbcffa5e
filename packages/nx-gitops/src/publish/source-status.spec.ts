import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { git } from '../testing/publish-fixtures';
import { changedSourcesOf, findChangedSources } from './source-status';
import { readWorkspaceGitInfo } from './workspace-info';

describe('findChangedSources (real git)', () => {
  let dir: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-status-'));
    await git(dir, ['init', '-q', '-b', 'main']);
    write('.gitignore', 'dist/\n');
    write('monorepo/services/foo/a.yaml', 'a\n');
    write('monorepo/services/foobar/b.yaml', 'b\n');
    write('monorepo/shared/c.yaml', 'c\n');
    await git(dir, ['add', '-A']);
    await git(dir, ['commit', '-q', '-m', 'seed']);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers in workspace-relative paths when the workspace is a folder of the repository, for directory and file sources', async () => {
    const workspaceRoot = join(dir, 'monorepo');
    write('monorepo/services/foo/a.yaml', 'changed\n');
    write('monorepo/services/foobar/b.yaml', 'changed, but not below services/foo\n');
    write('monorepo/services/foo/[x].yaml', 'untracked; brackets are no pattern\n');
    write('monorepo/dist/manifests/foo/develop/manifest.yaml', 'ignored\n');
    await git(dir, ['rm', '-q', 'monorepo/shared/c.yaml']);
    const { prefix } = await readWorkspaceGitInfo(workspaceRoot);
    expect(prefix).toBe('monorepo/');
    const changed = await findChangedSources({ workspaceRoot, sources: ['services/foo', 'shared/c.yaml', '/elsewhere/x'], prefix });
    expect(changed).toEqual([
      { path: 'services/foo/[x].yaml', change: 'untracked' },
      { path: 'services/foo/a.yaml', change: 'modified' },
      { path: 'shared/c.yaml', change: 'deleted' },
    ]);
    expect(changedSourcesOf(changed!, ['shared/c.yaml']).map((entry) => entry.path)).toEqual(['shared/c.yaml']);
    expect(changedSourcesOf(changed!, ['.']).length).toBe(3);
  });

  it('asks nothing outside a repository or without sources', async () => {
    expect(await findChangedSources({ workspaceRoot: dir, sources: ['x'], prefix: null })).toBeNull();
    expect(await findChangedSources({ workspaceRoot: dir, sources: [], prefix: '' })).toEqual([]);
  });
});
