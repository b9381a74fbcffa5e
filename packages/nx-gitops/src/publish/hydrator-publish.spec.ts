import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../lib/exec';
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
import type { PublishManifestOptions } from './options';
import { publishManifests } from './publish-manifests';
import type { PublishTarget } from './request';

jest.setTimeout(60_000);

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/;

function target(project: string, environment: string, options: PublishManifestOptions): PublishTarget {
  return { id: `${project}:publish-manifest:${environment}`, project, configuration: environment, options };
}

/** The note of `commit` in refs/notes/hydrator.metadata, read as GitOps Promoter reads it (`git notes --ref=… show`). */
async function noteOf(remote: string, commit: string): Promise<string | null> {
  const result = await runCommand('git', ['--git-dir', remote, 'notes', '--ref=refs/notes/hydrator.metadata', 'show', commit], { allowFailure: true });
  return result.exitCode === 0 ? result.stdout : null;
}

describe('publishing as the hydrator GitOps Promoter and Argo CD read (their side modelled by the files, branches and notes they read)', () => {
  let sandbox: PublishSandbox;
  let head: string;

  beforeEach(async () => {
    // An SSH origin: repoURL must still be its https form.
    sandbox = await createPublishSandbox({ origin: 'git@git.example.com:acme/monorepo.git' });
    writeFileSync(join(sandbox.workspace, 'app.txt'), 'v1\n');
    await git(sandbox.workspace, ['add', 'app.txt']);
    await git(sandbox.workspace, ['commit', '--quiet', '-m', 'feat: faster engine', '-m', 'Why it is faster.']);
    head = await git(sandbox.workspace, ['rev-parse', 'HEAD']);
  });
  afterEach(() => sandbox.cleanup());

  const publish = (targets: PublishTarget[]) =>
    publishManifests({ workspaceRoot: sandbox.workspace, targets, env: {}, cacheRoot: sandbox.cacheRoot, sleep: async () => undefined });

  async function newSourceCommit(subject: string): Promise<string> {
    writeFileSync(join(sandbox.workspace, 'app.txt'), `${subject}\n`);
    await git(sandbox.workspace, ['commit', '--quiet', '-am', subject]);
    return git(sandbox.workspace, ['rev-parse', 'HEAD']);
  }

  it('writes hydrator.metadata (Argo CD fields, https repoURL, 40-hex drySha, RFC 3339 date), .gitattributes and README.md at the root', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
    const result = await publish([target('foo', 'production', { manifestRepository: sandbox.remote })]);
    expect(result.outcomes[0].status).toBe('created');
    expect(await branchFiles(sandbox.remote, 'foo/production')).toEqual(['.gitattributes', 'README.md', 'hydrator.metadata', 'manifest.yaml']);

    const text = (await runCommand('git', ['--git-dir', sandbox.remote, 'cat-file', 'blob', 'refs/heads/foo/production:hydrator.metadata'])).stdout;
    // runCommand trims its output: the blob's size shows the final newline.
    expect(text.endsWith('}')).toBe(true);
    expect(Number(await git(sandbox.remote, ['--git-dir', sandbox.remote, 'cat-file', '-s', 'refs/heads/foo/production:hydrator.metadata']))).toBe(Buffer.byteLength(text) + 1);
    expect(text.split('\n')[1]).toMatch(/^ {2}"repoURL": /);
    const metadata = JSON.parse(text);
    expect(metadata).toEqual({
      repoURL: 'https://git.example.com/acme/monorepo.git',
      drySha: head,
      author: 'Test Author <test@example.com>',
      date: expect.stringMatching(RFC3339),
      subject: 'feat: faster engine',
      body: 'Why it is faster.',
    });
    expect(metadata.drySha).toMatch(/^[0-9a-f]{40}$/);
    expect(metadata.date).toBe(await git(sandbox.workspace, ['log', '-1', '--format=%aI']));
    expect(await readBranchFile(sandbox.remote, 'foo/production', '.gitattributes')).toBe(
      '**/README.md linguist-generated=true\n**/hydrator.metadata linguist-generated=true',
    );
    const readme = await readBranchFile(sandbox.remote, 'foo/production', 'README.md');
    expect(readme).toContain(`git checkout ${head}`);
    expect(readme).toContain('npx nx run foo:render:production');
    // The default message keeps the DESIGN contract subject.
    expect((await branchLog(sandbox.remote, 'foo/production'))[0].message.split('\n')[0]).toBe(`foo/production: render ${head.slice(0, 7)}`);
  });

  it('writes the folder\'s hydrator.metadata with commands for a path with a folder', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
    await publish([target('foo', 'production', { manifestRepository: sandbox.remote, branch: '{environment}', path: '{project}/manifest.yaml' })]);
    expect(await branchFiles(sandbox.remote, 'production')).toEqual([
      '.gitattributes',
      'README.md',
      'foo/README.md',
      'foo/hydrator.metadata',
      'foo/manifest.yaml',
      'hydrator.metadata',
    ]);
    const folder = JSON.parse((await readBranchFile(sandbox.remote, 'production', 'foo/hydrator.metadata'))!);
    expect(folder).toMatchObject({ repoURL: 'https://git.example.com/acme/monorepo.git', drySha: head, commands: ['npx nx run foo:render:production'] });
  });

  it('stays unchanged, without a commit, when a new source commit changes only what the hydrator files say', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
    const options = { manifestRepository: sandbox.remote, mode: 'replace' as const };
    const first = await publish([target('foo', 'production', options)]);
    await newSourceCommit('docs: unrelated');
    const second = await publish([target('foo', 'production', options)]);
    expect(second.outcomes[0]).toMatchObject({ status: 'unchanged', commit: first.outcomes[0].commit });
    expect(second.outcomes[0].noted).toBeUndefined();
    expect((await branchLog(sandbox.remote, 'foo/production')).length).toBe(1);
  });

  it('writes none of the hydrator files with hydratorMetadata off', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
    await publish([target('foo', 'production', { manifestRepository: sandbox.remote, hydratorMetadata: false })]);
    expect(await branchFiles(sandbox.remote, 'foo/production')).toEqual(['manifest.yaml']);
  });

  describe('promotion next (GitOps Promoter proposes <branch>-next into <branch>)', () => {
    it('creates the -next branch from the active branch, one commit ahead, with an Argo CD style message', async () => {
      const active = await commitToBareBranch({ remote: sandbox.remote, branch: 'foo/production', files: { 'manifest.yaml': 'kind: Old\n' }, message: 'promoted' });
      writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
      const result = await publish([target('foo', 'production', { manifestRepository: sandbox.remote, promotion: 'next' })]);
      expect(result.outcomes[0]).toMatchObject({ status: 'created', branch: 'foo/production-next' });
      expect(await branchTip(sandbox.remote, 'foo/production')).toBe(active);
      const log = await branchLog(sandbox.remote, 'foo/production-next');
      expect(log.map((entry) => entry.sha)).toEqual([result.outcomes[0].commit, active]);
      expect(log[0].message).toBe(
        `${head.slice(0, 7)}: feat: faster engine\n\nWhy it is faster.\n\n` +
          'Co-authored-by: Test Author <test@example.com>\n' +
          `Source-Commit: ${head}\nSource-Repository: git@git.example.com:acme/monorepo.git\n`,
      );
      expect(await readBranchFile(sandbox.remote, 'foo/production-next', 'manifest.yaml')).toBe('kind: A');
      expect(JSON.parse((await readBranchFile(sandbox.remote, 'foo/production-next', 'hydrator.metadata'))!).drySha).toBe(head);
    });

    it('refuses to create a -next branch whose active branch is missing, pushing nothing', async () => {
      writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
      const result = await publish([target('foo', 'production', { manifestRepository: sandbox.remote, promotion: 'next' })]);
      expect(result.success).toBe(false);
      expect(result.outcomes[0].error).toContain('The active branch "foo/production" does not exist');
      expect(result.outcomes[0].error).toContain('"promotion"');
      expect(await branchTip(sandbox.remote, 'foo/production-next')).toBeNull();
    });

    it('treats a branch template ending in -next as promotion next', async () => {
      const active = await commitToBareBranch({ remote: sandbox.remote, branch: 'env/production', files: { 'manifest.yaml': 'x\n' }, message: 'seed' });
      writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
      const result = await publish([target('foo', 'production', { manifestRepository: sandbox.remote, branch: 'env/{environment}-next' })]);
      expect(result.outcomes[0]).toMatchObject({ status: 'created', branch: 'env/production-next' });
      expect((await branchLog(sandbox.remote, 'env/production-next'))[1].sha).toBe(active);
    });

    it('notes {"drySha": …} on the unchanged -next head, keeping the notes others wrote', async () => {
      await commitToBareBranch({ remote: sandbox.remote, branch: 'foo/production', files: { 'manifest.yaml': 'x\n' }, message: 'seed' });
      await commitToBareBranch({ remote: sandbox.remote, branch: 'bar/production', files: { 'manifest.yaml': 'x\n' }, message: 'seed' });
      writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
      writeRenderOutput({ workspace: sandbox.workspace, project: 'bar', environment: 'production', manifest: 'kind: B\n' });
      const options = { manifestRepository: sandbox.remote, promotion: 'next' as const };
      const first = await publish([target('foo', 'production', options), target('bar', 'production', options)]);
      expect(first.outcomes.map((outcome) => outcome.status)).toEqual(['created', 'created']);
      // Another hydrator's note on a commit of its own.
      const foreign = await branchTip(sandbox.remote, 'bar/production');
      await git(sandbox.remote, ['--git-dir', sandbox.remote, 'notes', '--ref=refs/notes/hydrator.metadata', 'add', '-m', '{"drySha":"feedface"}', foreign!]);

      const next = await newSourceCommit('docs: nothing for the manifests');
      writeRenderOutput({ workspace: sandbox.workspace, project: 'bar', environment: 'production', manifest: 'kind: B2\n' });
      const second = await publish([target('foo', 'production', options), target('bar', 'production', options)]);
      const [foo, bar] = second.outcomes;
      expect(foo).toMatchObject({ status: 'unchanged', commit: first.outcomes[0].commit, noted: next });
      expect(bar).toMatchObject({ status: 'updated' });
      expect(bar.noted).toBeUndefined();
      expect(await noteOf(sandbox.remote, foo.commit!)).toBe(`{"drySha":"${next}"}`);
      expect(await noteOf(sandbox.remote, bar.commit!)).toBeNull();
      expect(await noteOf(sandbox.remote, foreign!)).toBe('{"drySha":"feedface"}');
      expect((await branchLog(sandbox.remote, 'foo/production-next')).length).toBe(2);
      // The report says which drySha was noted, for the unchanged environment only.
      const report = JSON.parse(readFileSync(second.reportPath, 'utf8')) as { entries: Array<{ project: string; status: string; noted?: string }> };
      expect(report.entries.map(({ project, status, noted }) => ({ project, status, noted }))).toEqual([
        { project: 'bar', status: 'updated', noted: undefined },
        { project: 'foo', status: 'unchanged', noted: next },
      ]);

      // A third run from the same commit changes nothing, the note included.
      const notesTip = await git(sandbox.remote, ['--git-dir', sandbox.remote, 'rev-parse', 'refs/notes/hydrator.metadata']);
      const third = await publish([target('foo', 'production', options)]);
      expect(third.outcomes[0]).toMatchObject({ status: 'unchanged', noted: next });
      expect(await git(sandbox.remote, ['--git-dir', sandbox.remote, 'rev-parse', 'refs/notes/hydrator.metadata'])).toBe(notesTip);
    });

    it('notes again on the new tip when another writer moves the notes ref between our fetch and our push, keeping both notes', async () => {
      const active = await commitToBareBranch({ remote: sandbox.remote, branch: 'foo/production', files: { 'manifest.yaml': 'x\n' }, message: 'seed' });
      writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
      const options = { manifestRepository: sandbox.remote, promotion: 'next' as const };
      await publish([target('foo', 'production', options)]);
      const next = await newSourceCommit('docs: nothing for the manifests');
      // Another hydrator notes the active branch's head while our first notes push is on its way: the hook
      // moves the notes ref after we fetched it, so the server refuses our update of the old tip.
      const hook = join(sandbox.remote, 'hooks', 'pre-receive');
      const marker = join(sandbox.dir, 'notes-raced');
      writeFileSync(
        hook,
        [
          '#!/bin/sh',
          'grep -q " refs/notes/hydrator.metadata$" || exit 0',
          `[ -e '${marker}' ] && exit 0`,
          `touch '${marker}'`,
          'export GIT_AUTHOR_NAME=other GIT_AUTHOR_EMAIL=o@example.com GIT_COMMITTER_NAME=other GIT_COMMITTER_EMAIL=o@example.com',
          'unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES',
          `git notes --ref=refs/notes/hydrator.metadata add -m '{"drySha":"0ther"}' ${active}`,
          'exit 0',
          '',
        ].join('\n'),
      );
      chmodSync(hook, 0o755);
      const result = await publish([target('foo', 'production', options)]);
      expect(existsSync(marker)).toBe(true);
      expect(result.outcomes[0]).toMatchObject({ status: 'unchanged', noted: next });
      expect(await noteOf(sandbox.remote, result.outcomes[0].commit!)).toBe(`{"drySha":"${next}"}`);
      expect(await noteOf(sandbox.remote, active)).toBe('{"drySha":"0ther"}');
      // Our notes commit sits on the other writer's: nothing was forced.
      const notesLog = await git(sandbox.remote, ['--git-dir', sandbox.remote, 'log', '--format=%an', 'refs/notes/hydrator.metadata']);
      expect(notesLog.split('\n')).toHaveLength(2);
      expect(notesLog.split('\n')[1]).toBe('other');
    });

    it('only reports the note in a dry run', async () => {
      await commitToBareBranch({ remote: sandbox.remote, branch: 'foo/production', files: { 'manifest.yaml': 'x\n' }, message: 'seed' });
      writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
      const options = { manifestRepository: sandbox.remote, promotion: 'next' as const };
      await publish([target('foo', 'production', options)]);
      await newSourceCommit('docs: again');
      const dry = await publish([target('foo', 'production', { ...options, dryRun: true })]);
      expect(dry.outcomes[0]).toMatchObject({ status: 'unchanged', dryRun: true });
      const exists = await runCommand('git', ['--git-dir', sandbox.remote, 'rev-parse', '--verify', '--quiet', 'refs/notes/hydrator.metadata'], { allowFailure: true });
      expect(exists.exitCode).not.toBe(0);
    });

    it('refuses baseBranch with promotion next, naming the option', async () => {
      writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
      const result = await publish([target('foo', 'production', { manifestRepository: sandbox.remote, promotion: 'next', baseBranch: 'main' })]);
      expect(result.outcomes[0].error).toContain('Refusing "baseBranch"');
    });
  });
});
