import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../lib/exec';
import { readWorkspaceGitInfo } from './workspace-info';

// Real git repositories; the environment keeps the machine's own git config out.
const isolated = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
let dir: string;
let saved: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nx-gitops-info-'));
  saved = { ...process.env };
  Object.assign(process.env, isolated);
});
afterEach(() => {
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

const git = (args: string[]) => runCommand('git', ['-C', dir, ...args], { env: isolated });

describe('readWorkspaceGitInfo', () => {
  it('is all null outside a repository', async () => {
    expect(await readWorkspaceGitInfo(dir)).toEqual({ head: null, origin: null, userName: null, userEmail: null, prefix: null, source: null });
  });

  it('has no HEAD before the first commit, and the identity and place in the repository already', async () => {
    await git(['init', '-q']);
    await git(['config', 'user.email', 'ci@example.com']);
    mkdirSync(join(dir, 'apps'));
    expect(await readWorkspaceGitInfo(join(dir, 'apps'))).toEqual({ head: null, origin: null, userName: null, userEmail: 'ci@example.com', prefix: 'apps/', source: null });
  });

  it('reads HEAD with its description, the last user.name and user.email set, and origin without credentials', async () => {
    await git(['init', '-q']);
    await git(['config', '--add', 'user.name', 'First Name']);
    await git(['config', '--add', 'user.name', 'Release Bot']);
    await git(['config', 'user.email', 'bot@example.com']);
    await git(['remote', 'add', 'origin', 'https://x-access-token:secret@github.com/acme/monorepo.git']);
    await git(['commit', '-q', '--allow-empty', '-m', 'feat: one\n\nWhy it matters.']);
    const head = (await git(['rev-parse', 'HEAD'])).stdout.trim();
    const info = await readWorkspaceGitInfo(dir);
    expect(info).toMatchObject({ head, userName: 'Release Bot', userEmail: 'bot@example.com', prefix: '', origin: 'https://github.com/acme/monorepo.git' });
    expect(info.source).toMatchObject({ sha: head, author: 'Release Bot <bot@example.com>', subject: 'feat: one', body: 'Why it matters.', repoUrl: 'https://github.com/acme/monorepo.git' });
    expect(JSON.stringify(info)).not.toContain('secret');
  });
});
