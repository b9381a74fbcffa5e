import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../lib/exec';
import type { GitopsLogger } from '../lib/log';
import {
  branchFiles,
  branchLog,
  branchTip,
  commitToBareBranch,
  createPublishSandbox,
  git,
  readBranchFile,
  writeRenderOutput,
  type PublishSandbox,
} from '../testing/publish-fixtures';
import { publishManifests } from './publish-manifests';
import type { PublishManifestOptions } from './options';
import type { PublishTarget } from './request';

jest.setTimeout(60_000);

const noWait = async () => undefined;

function target(project: string, environment: string, options: PublishManifestOptions): PublishTarget {
  return { id: `${project}:publish-manifest:${environment}`, project, configuration: environment, options };
}

function recordingLogger(lines: string[]): GitopsLogger {
  const push = (message: string) => void lines.push(message);
  return { info: push, warn: push, error: push, verbose: push };
}

describe('publishManifests against real bare repositories', () => {
  let sandbox: PublishSandbox;
  let sourceCommit: string;

  beforeEach(async () => {
    sandbox = await createPublishSandbox();
    sourceCommit = await git(sandbox.workspace, ['rev-parse', 'HEAD']);
  });
  afterEach(() => sandbox.cleanup());

  async function publish(targets: PublishTarget[], env: Record<string, string | undefined> = {}, lines: string[] = []) {
    return publishManifests({
      workspaceRoot: sandbox.workspace,
      targets,
      env,
      cacheRoot: sandbox.cacheRoot,
      sleep: noWait,
      loggerFor: () => recordingLogger(lines),
    });
  }

  it('creates a missing branch through a plain path, with subject and trailers', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
    const result = await publish([target('foo', 'production', { manifestRepository: sandbox.remote })], {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/monorepo',
      GITHUB_RUN_ID: '42',
    });
    expect(result.success).toBe(true);
    expect(result.outcomes[0]).toMatchObject({ status: 'created', branch: 'foo/production', attempts: 1, previousCommit: null });
    expect(await readBranchFile(sandbox.remote, 'foo/production', 'manifest.yaml')).toBe('kind: A');
    const [commit] = await branchLog(sandbox.remote, 'foo/production');
    expect(commit.sha).toBe(result.outcomes[0].commit);
    expect(commit.message).toBe(
      `foo/production: render ${sourceCommit.slice(0, 7)}\n\n` +
        `Source-Commit: ${sourceCommit}\n` +
        'Source-Repository: https://git.example.com/acme/monorepo.git\n' +
        'Build-Url: https://github.com/acme/monorepo/actions/runs/42\n',
    );
    const trailers = await git(sandbox.remote, ['--git-dir', sandbox.remote, 'log', '-1', '--format=%(trailers:only,unfold)', 'refs/heads/foo/production']);
    expect(trailers.split('\n')).toEqual([
      `Source-Commit: ${sourceCommit}`,
      'Source-Repository: https://git.example.com/acme/monorepo.git',
      'Build-Url: https://github.com/acme/monorepo/actions/runs/42',
    ]);
    const [author, committer, date] = (
      await git(sandbox.remote, ['--git-dir', sandbox.remote, 'log', '-1', '--format=%an <%ae>%n%cn <%ce>%n%ct', 'refs/heads/foo/production'])
    ).split('\n');
    expect(committer).toBe(author);
    expect(author).toMatch(/^.+ <.+@.+>$/);
    expect(Math.abs(Number(date) - Date.now() / 1000)).toBeLessThan(600);
    // The commit objects are written directly; git's strictest check must accept them.
    await git(sandbox.remote, ['--git-dir', sandbox.remote, 'fsck', '--strict', '--no-dangling']);
    const report = JSON.parse(readFileSync(result.reportPath, 'utf8'));
    expect(result.reportPath).toBe(join(sandbox.workspace, 'dist', 'manifests', 'publish-report.json'));
    expect(report.entries).toEqual([
      expect.objectContaining({ project: 'foo', environment: 'production', status: 'created', commit: commit.sha, attempts: 1 }),
    ]);
  });

  it('updates through a file:// URL, then leaves an unchanged tree without a new commit', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'v: 1\n' });
    const options = { manifestRepository: sandbox.remoteUrl };
    const first = await publish([target('foo', 'production', options)]);
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'v: 2\n' });
    const second = await publish([target('foo', 'production', options)]);
    expect(second.outcomes[0]).toMatchObject({ status: 'updated', previousCommit: first.outcomes[0].commit });
    expect(await readBranchFile(sandbox.remote, 'foo/production', 'manifest.yaml')).toBe('v: 2');

    const third = await publish([target('foo', 'production', options)]);
    expect(third.outcomes[0]).toMatchObject({ status: 'unchanged', commit: second.outcomes[0].commit });
    const log = await branchLog(sandbox.remote, 'foo/production');
    expect(log.map((entry) => entry.sha)).toEqual([second.outcomes[0].commit, first.outcomes[0].commit]);
    const report = JSON.parse(readFileSync(third.reportPath, 'utf8'));
    expect(report.entries[0].status).toBe('unchanged');
  });

  it('keeps a foreign file in merge mode and removes a stale file in replace mode', async () => {
    await commitToBareBranch({
      remote: sandbox.remote,
      branch: 'foo/production',
      files: { 'manifest.yaml': 'old\n', 'NOTES.md': 'kept by merge\n' },
      message: 'by hand',
    });
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'new: 1\n' });
    const merged = await publish([target('foo', 'production', { manifestRepository: sandbox.remote, mode: 'merge' })]);
    expect(merged.outcomes[0].status).toBe('updated');
    // The hydrator files (hydratorMetadata is on by default) come with every commit.
    expect(await branchFiles(sandbox.remote, 'foo/production')).toEqual(['.gitattributes', 'NOTES.md', 'README.md', 'hydrator.metadata', 'manifest.yaml']);

    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'new: 2\n' });
    const replaced = await publish([target('foo', 'production', { manifestRepository: sandbox.remote, mode: 'replace' })]);
    expect(replaced.outcomes[0].status).toBe('updated');
    expect(await branchFiles(sandbox.remote, 'foo/production')).toEqual(['.gitattributes', 'README.md', 'hydrator.metadata', 'manifest.yaml']);
    expect(await readBranchFile(sandbox.remote, 'foo/production', 'manifest.yaml')).toBe('new: 2');
  });

  it('writes a nested path template and keeps sibling directories of the branch', async () => {
    await commitToBareBranch({ remote: sandbox.remote, branch: 'production', files: { 'README.md': 'shared\n' }, message: 'seed' });
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'foo: 1\n' });
    writeRenderOutput({ workspace: sandbox.workspace, project: 'bar', environment: 'production', manifest: 'bar: 1\n' });
    const options = { manifestRepository: sandbox.remote, branch: '{environment}', path: 'apps/{project}/manifest.yaml' };
    const result = await publish([target('foo', 'production', options), target('bar', 'production', options)]);
    expect(result.outcomes.map((outcome) => outcome.status)).toEqual(['updated', 'updated']);
    // hydratorMetadata (on by default) adds each folder's README.md and hydrator.metadata, and owns the root README.md.
    expect(await branchFiles(sandbox.remote, 'production')).toEqual([
      '.gitattributes',
      'README.md',
      'apps/bar/README.md',
      'apps/bar/hydrator.metadata',
      'apps/bar/manifest.yaml',
      'apps/foo/README.md',
      'apps/foo/hydrator.metadata',
      'apps/foo/manifest.yaml',
      'hydrator.metadata',
    ]);
    expect(await readBranchFile(sandbox.remote, 'production', 'README.md')).toContain('# Manifest hydration');
    expect((await branchLog(sandbox.remote, 'production')).length).toBe(3);
  });

  it('starts a missing branch from baseBranch', async () => {
    const base = await commitToBareBranch({ remote: sandbox.remote, branch: 'main', files: { 'LICENSE': 'MIT\n' }, message: 'base' });
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'staging', manifest: 'x: 1\n' });
    const result = await publish([target('foo', 'staging', { manifestRepository: sandbox.remoteUrl, baseBranch: 'main' })]);
    expect(result.outcomes[0].status).toBe('created');
    const log = await branchLog(sandbox.remote, 'foo/staging');
    expect(log.map((entry) => entry.sha)).toEqual([result.outcomes[0].commit, base]);
    // Plus the hydrator files, on by default.
    expect(await branchFiles(sandbox.remote, 'foo/staging')).toEqual(['.gitattributes', 'LICENSE', 'README.md', 'hydrator.metadata', 'manifest.yaml']);
  });

  it('fails clearly when baseBranch does not exist, pushing nothing', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'staging', manifest: 'x: 1\n' });
    const result = await publish([target('foo', 'staging', { manifestRepository: sandbox.remote, baseBranch: 'nope' })]);
    expect(result.success).toBe(false);
    expect(result.outcomes[0].error).toContain('The base branch "nope" does not exist');
    expect(await branchTip(sandbox.remote, 'foo/staging')).toBeNull();
  });

  it('prints the diff in a dry run and pushes nothing', async () => {
    await commitToBareBranch({ remote: sandbox.remote, branch: 'foo/production', files: { 'manifest.yaml': 'replicas: 1\n' }, message: 'seed' });
    const tip = await branchTip(sandbox.remote, 'foo/production');
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'replicas: 3\n' });
    writeRenderOutput({ workspace: sandbox.workspace, project: 'bar', environment: 'production', manifest: 'bar: 1\n' });
    const lines: string[] = [];
    const result = await publish(
      [target('foo', 'production', { manifestRepository: sandbox.remote, dryRun: true }), target('bar', 'production', { manifestRepository: sandbox.remote, dryRun: true })],
      {},
      lines,
    );
    expect(result.success).toBe(true);
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.commit, outcome.dryRun])).toEqual([
      ['updated', null, true],
      ['created', null, true],
    ]);
    const output = lines.join('\n');
    expect(output).toContain('-replicas: 1');
    expect(output).toContain('+replicas: 3');
    expect(output).toContain('+bar: 1');
    expect(await branchTip(sandbox.remote, 'foo/production')).toBe(tip);
    expect(await branchTip(sandbox.remote, 'bar/production')).toBeNull();
  });

  it('refuses images with a -dirty tag unless allowDirty', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'x: 1\n', imageTags: ['abc1234-dirty'] });
    const refused = await publish([target('foo', 'production', { manifestRepository: sandbox.remote })]);
    expect(refused.success).toBe(false);
    expect(refused.outcomes[0].error).toContain('registry.example.com/foo:abc1234-dirty');
    expect(refused.outcomes[0].error).toContain('allowDirty');
    expect(await branchTip(sandbox.remote, 'foo/production')).toBeNull();

    const allowed = await publish([target('foo', 'production', { manifestRepository: sandbox.remote, allowDirty: true })]);
    expect(allowed.outcomes[0].status).toBe('created');
  });

  it.each([
    ['branch with ..', { branch: '{project}/../{environment}' }, /contains "\.\."/],
    ['option-like branch', { branch: '--upload-pack=x' }, /would be read as an option/],
    ['branch with a space', { branch: '{project} {environment}' }, /space/],
    ['branch ending in .lock', { branch: '{project}/x.lock' }, /\.lock/],
    ['unknown placeholder', { branch: '{service}/{environment}' }, /Unknown placeholder \{service\}/],
    ['absolute path', { path: '/etc/passwd' }, /absolute/],
    ['path escaping the tree', { path: '../manifest.yaml' }, /"\.\." component/],
    ['option-like path', { path: '--output=x' }, /would be read as an option/],
    ['path into .git', { path: '.git/config' }, /\.git/],
    ['control character', { path: 'a\u0007b.yaml' }, /control character/],
  ])('refuses a bad template before any git call: %s', async (_name, options, message) => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'x: 1\n' });
    const result = await publish([target('foo', 'production', { manifestRepository: join(sandbox.dir, 'no-such-repository'), ...options })]);
    expect(result.success).toBe(false);
    expect(result.outcomes[0].error).toMatch(message);
    // The cache repository is the first thing git touches: it was never created.
    expect(existsSync(sandbox.cacheRoot)).toBe(false);
  });

  it('names the option and the variable when no manifest repository is set', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'x: 1\n' });
    const result = await publish([target('foo', 'production', {})]);
    expect(result.outcomes[0].error).toContain('manifestRepository');
    expect(result.outcomes[0].error).toContain('NX_GITOPS_MANIFEST_REPOSITORY');

    const fromEnv = await publish([target('foo', 'production', {})], { NX_GITOPS_MANIFEST_REPOSITORY: sandbox.remoteUrl });
    expect(fromEnv.outcomes[0].status).toBe('created');
  });

  it('publishes the others when one target fails, and fails the run', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'x: 1\n' });
    const result = await publish([
      target('missing', 'production', { manifestRepository: sandbox.remote }),
      target('foo', 'production', { manifestRepository: sandbox.remote }),
    ]);
    expect(result.success).toBe(false);
    const byProject = Object.fromEntries(result.outcomes.map((outcome) => [outcome.project, outcome]));
    expect(byProject.missing.status).toBe('failed');
    expect(byProject.missing.error).toContain('nx run missing:render:production');
    expect(byProject.foo.status).toBe('created');
  });

  it('publishes 20 services in one atomic push', async () => {
    const hook = join(sandbox.remote, 'hooks', 'post-receive');
    const pushLog = join(sandbox.dir, 'pushes.log');
    writeFileSync(hook, `#!/bin/sh\nwc -l >> '${pushLog}'\n`);
    chmodSync(hook, 0o755);
    const targets = Array.from({ length: 20 }, (_, index) => {
      writeRenderOutput({ workspace: sandbox.workspace, project: `svc-${index}`, environment: 'production', manifest: `svc: ${index}\n` });
      return target(`svc-${index}`, 'production', { manifestRepository: sandbox.remoteUrl });
    });
    const result = await publish(targets);
    expect(result.outcomes.map((outcome) => outcome.status)).toEqual(Array(20).fill('created'));
    // post-receive runs once per push and reads one line per updated ref.
    expect(readFileSync(pushLog, 'utf8').trim().split('\n').map(Number)).toEqual([20]);
    for (let index = 0; index < 20; index++) {
      expect(await readBranchFile(sandbox.remote, `svc-${index}/production`, 'manifest.yaml')).toBe(`svc: ${index}`);
    }

    // A re-run changes nothing and pushes nothing; a new render of half of them moves just those, in one push.
    const rerun = await publish(targets);
    expect(rerun.outcomes.map((outcome) => outcome.status)).toEqual(Array(20).fill('unchanged'));
    for (let index = 0; index < 20; index += 2) {
      writeRenderOutput({ workspace: sandbox.workspace, project: `svc-${index}`, environment: 'production', manifest: `svc: ${index} v2\n` });
    }
    const update = await publish(targets);
    expect(update.outcomes.map((outcome) => outcome.status)).toEqual(
      Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? 'updated' : 'unchanged')),
    );
    expect(readFileSync(pushLog, 'utf8').trim().split('\n').map(Number)).toEqual([20, 10]);
    expect(await readBranchFile(sandbox.remote, 'svc-4/production', 'manifest.yaml')).toBe('svc: 4 v2');
    expect((await branchLog(sandbox.remote, 'svc-4/production')).length).toBe(2);

    // A fresh cache (a new CI machine) fetches every tip in one shallow fetch and still sees no change.
    rmSync(sandbox.cacheRoot, { recursive: true, force: true });
    const fresh = await publish(targets);
    expect(fresh.outcomes.map((outcome) => outcome.status)).toEqual(Array(20).fill('unchanged'));
    expect(readFileSync(pushLog, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('falls back to per-branch pushes when the server refuses atomic pushes', async () => {
    await git(sandbox.remote, ['--git-dir', sandbox.remote, 'config', 'receive.advertiseAtomic', 'false']);
    const targets = ['a', 'b', 'c'].map((project) => {
      writeRenderOutput({ workspace: sandbox.workspace, project, environment: 'production', manifest: `${project}: 1\n` });
      return target(project, 'production', { manifestRepository: sandbox.remoteUrl });
    });
    const lines: string[] = [];
    const result = await publish(targets, {}, lines);
    expect(result.success).toBe(true);
    expect(lines).toContain('The manifest repository refuses atomic pushes; pushing each branch on its own.');
    for (const project of ['a', 'b', 'c']) {
      expect(await readBranchFile(sandbox.remote, `${project}/production`, 'manifest.yaml')).toBe(`${project}: 1`);
    }
  });

  it('rebuilds on the new tip and retries when the branch moves during the push', async () => {
    await commitToBareBranch({ remote: sandbox.remote, branch: 'foo/production', files: { 'manifest.yaml': 'v: 0\n' }, message: 'seed' });
    // The first push races with another publisher: the hook moves the branch before our update lands.
    const hook = join(sandbox.remote, 'hooks', 'pre-receive');
    const marker = join(sandbox.dir, 'raced');
    writeFileSync(
      hook,
      [
        '#!/bin/sh',
        `[ -e '${marker}' ] && exit 0`,
        `touch '${marker}'`,
        'export GIT_AUTHOR_NAME=other GIT_AUTHOR_EMAIL=o@example.com GIT_COMMITTER_NAME=other GIT_COMMITTER_EMAIL=o@example.com',
        'unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES',
        'blob=$(echo other | git hash-object -w --stdin)',
        'tree=$(printf "100644 blob $blob\\tother.yaml\\n" | git mktree)',
        'tip=$(git rev-parse refs/heads/foo/production)',
        'merged=$(git ls-tree $tip; printf "100644 blob $blob\\tother.yaml\\n")',
        'tree=$(echo "$merged" | git mktree)',
        'commit=$(git commit-tree $tree -p $tip -m other)',
        'git update-ref refs/heads/foo/production $commit',
        'exit 0',
        '',
      ].join('\n'),
    );
    chmodSync(hook, 0o755);
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'v: 1\n' });
    const result = await publish([target('foo', 'production', { manifestRepository: sandbox.remoteUrl })]);
    expect(result.outcomes[0]).toMatchObject({ status: 'updated', attempts: 2 });
    const log = await branchLog(sandbox.remote, 'foo/production');
    expect(log.map((entry) => entry.message.split('\n')[0])).toEqual([expect.stringContaining('foo/production: render'), 'other', 'seed']);
    // Plus the hydrator files, on by default.
    expect(await branchFiles(sandbox.remote, 'foo/production')).toEqual(['.gitattributes', 'README.md', 'hydrator.metadata', 'manifest.yaml', 'other.yaml']);
  });

  it('stops at once on a refusal that is not a race, with git\'s reason', async () => {
    const hook = join(sandbox.remote, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "branch is protected" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'v: 1\n' });
    const result = await publish([target('foo', 'production', { manifestRepository: sandbox.remoteUrl, maxAttempts: 5 })]);
    expect(result.outcomes[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(result.outcomes[0].error).toContain('pre-receive hook declined');
  });

  it('still publishes the other branches of an atomic push when the server refuses one', async () => {
    const hook = join(sandbox.remote, 'hooks', 'update');
    writeFileSync(hook, '#!/bin/sh\ncase "$1" in refs/heads/locked/*) echo "locked/* is protected" >&2; exit 1;; esac\nexit 0\n');
    chmodSync(hook, 0o755);
    const targets = ['locked', 'free', 'open'].map((project) => {
      writeRenderOutput({ workspace: sandbox.workspace, project, environment: 'production', manifest: `${project}: 1\n` });
      return target(project, 'production', { manifestRepository: sandbox.remoteUrl });
    });
    const result = await publish(targets);
    expect(result.success).toBe(false);
    expect(result.outcomes.map((outcome) => [outcome.project, outcome.status, outcome.attempts])).toEqual([
      ['locked', 'failed', 1],
      ['free', 'created', 2],
      ['open', 'created', 2],
    ]);
    expect(result.outcomes[0].error).toContain('hook declined');
    expect(await branchTip(sandbox.remote, 'locked/production')).toBeNull();
    expect(await readBranchFile(sandbox.remote, 'open/production', 'manifest.yaml')).toBe('open: 1');
  });

  it('reuses the cache between runs and removes its temporary refs', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'v: 1\n' });
    await publish([target('foo', 'production', { manifestRepository: sandbox.remoteUrl })]);
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'v: 2\n' });
    await publish([target('foo', 'production', { manifestRepository: sandbox.remoteUrl })]);
    const caches = (await runCommand('ls', [sandbox.cacheRoot])).stdout.split('\n').filter(Boolean);
    expect(caches).toHaveLength(1);
    const refs = await git(sandbox.workspace, ['--git-dir', join(sandbox.cacheRoot, caches[0]), 'for-each-ref']);
    expect(refs).toBe('');
    expect(existsSync(join(sandbox.cacheRoot, caches[0], 'index'))).toBe(false);
  });
});
