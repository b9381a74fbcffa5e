import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../lib/exec';
import { branchFiles, branchLog, branchTip, createPublishSandbox, git, readBranchFile, writeRenderOutput, type PublishSandbox } from '../testing/publish-fixtures';
import { diffManifestTargets } from '../executors/diff-manifest/run-diff';
import { proposedBranchOf } from './hydrator';
import type { PublishManifestOptions } from './options';
import { publishManifests } from './publish-manifests';
import { combinedCommitMessage } from './publisher';
import type { PublishTarget } from './request';

jest.setTimeout(60_000);

function target(project: string, environment: string, options: PublishManifestOptions): PublishTarget {
  return { id: `${project}:publish-manifest:${environment}`, project, configuration: environment, options };
}

/** The note of `commit` in refs/notes/hydrator.metadata, as GitOps Promoter reads it. */
async function noteOf(remote: string, commit: string): Promise<string | null> {
  const result = await runCommand('git', ['--git-dir', remote, 'notes', '--ref=refs/notes/hydrator.metadata', 'show', commit], { allowFailure: true });
  return result.exitCode === 0 ? result.stdout : null;
}

describe("GitOps Promoter's proposed branch name (its PromotionStrategy controller joins <branch>-next and activePath with Go's path.Join)", () => {
  it.each([
    ['environment/production', undefined, 'environment/production-next'],
    ['environment/production', 'api', 'environment/production-next/api'],
    ['production', 'apps/api', 'production-next/apps/api'],
  ])('%s with activePath %s proposes from %s', (activeBranch, activePath, expected) => {
    expect(proposedBranchOf({ activeBranch, activePath })).toBe(expected);
  });
});

describe('combinedCommitMessage', () => {
  const trailers = 'Source-Commit: 0123456789abcdef0123456789abcdef01234567\nSource-Repository: https://git.example.com/acme/monorepo.git\n';
  it('keeps a subject every service shares (Argo CD style) and lists the services before the body and trailers', () => {
    const message = `0123456: feat: faster\n\nWhy.\n\nCo-authored-by: A <a@example.com>\n${trailers}`;
    expect(
      combinedCommitMessage({
        branch: 'environment/production',
        requests: [
          { project: 'api', message, sourceCommit: '0123456789abcdef0123456789abcdef01234567' },
          { project: 'web', message, sourceCommit: '0123456789abcdef0123456789abcdef01234567' },
        ],
      }),
    ).toBe(`0123456: feat: faster\n\n- api\n- web\n\nWhy.\n\nCo-authored-by: A <a@example.com>\n${trailers}`);
  });

  it('names the branch, the short source commit and the count when the subjects differ, listing each subject; Source-Dirty when any is dirty', () => {
    expect(
      combinedCommitMessage({
        branch: 'environment/production',
        requests: [
          { project: 'api', message: `api/production: render 0123456\n\n${trailers}`, sourceCommit: '0123456789abcdef0123456789abcdef01234567' },
          { project: 'web', message: `web/production: render 0123456\n\n${trailers}Source-Dirty: true\n`, sourceCommit: '0123456789abcdef0123456789abcdef01234567' },
        ],
      }),
    ).toBe(
      'environment/production: render 0123456 (2 services)\n\n- api/production: render 0123456\n- web/production: render 0123456\n\n' + `${trailers}Source-Dirty: true\n`,
    );
  });

  it('is the request\'s own message for a single service', () => {
    expect(combinedCommitMessage({ branch: 'b', requests: [{ project: 'api', message: 'x\n', sourceCommit: null }] })).toBe('x\n');
  });
});

describe("Promoter's monorepo layout (activePath): one branch per environment, every service in its own folder", () => {
  let sandbox: PublishSandbox;
  let head: string;
  const layout = { branch: 'environment/{environment}', activePath: '{project}' } as const;

  beforeEach(async () => {
    sandbox = await createPublishSandbox({ origin: 'git@git.example.com:acme/monorepo.git' });
    head = await git(sandbox.workspace, ['rev-parse', 'HEAD']);
  });
  afterEach(() => sandbox.cleanup());

  const publish = (targets: PublishTarget[]) =>
    publishManifests({ workspaceRoot: sandbox.workspace, targets, env: {}, cacheRoot: sandbox.cacheRoot, sleep: async () => undefined });

  async function newSourceCommit(subject: string): Promise<string> {
    writeFileSync(join(sandbox.workspace, 'app.txt'), `${subject}\n`);
    await git(sandbox.workspace, ['add', 'app.txt']);
    await git(sandbox.workspace, ['commit', '--quiet', '-m', subject]);
    return git(sandbox.workspace, ['rev-parse', 'HEAD']);
  }

  const render = (project: string, manifest: string) => writeRenderOutput({ workspace: sandbox.workspace, project, environment: 'production', manifest });
  const metadataOf = async (branch: string, folder: string) => JSON.parse((await readBranchFile(sandbox.remote, branch, `${folder}/hydrator.metadata`))!);

  it('writes every service of the environment in one commit, each in its folder with hydrator.metadata and README.md', async () => {
    for (const project of ['api', 'web', 'worker']) render(project, `kind: ${project}\n`);
    const options = { manifestRepository: sandbox.remote, ...layout };
    const result = await publish(['api', 'web', 'worker'].map((project) => target(project, 'production', options)));
    expect(result.success).toBe(true);
    expect(result.outcomes.map(({ project, status, branch }) => ({ project, status, branch }))).toEqual(
      ['api', 'web', 'worker'].map((project) => ({ project, status: 'created', branch: 'environment/production' })),
    );
    const log = await branchLog(sandbox.remote, 'environment/production');
    expect(log).toHaveLength(1);
    expect(result.outcomes.every((outcome) => outcome.commit === log[0].sha)).toBe(true);
    expect(await branchFiles(sandbox.remote, 'environment/production')).toEqual([
      '.gitattributes',
      'README.md',
      'api/README.md',
      'api/hydrator.metadata',
      'api/manifest.yaml',
      'hydrator.metadata',
      'web/README.md',
      'web/hydrator.metadata',
      'web/manifest.yaml',
      'worker/README.md',
      'worker/hydrator.metadata',
      'worker/manifest.yaml',
    ]);
    expect(result.outcomes.map((outcome) => outcome.paths[0])).toEqual(['api/manifest.yaml', 'web/manifest.yaml', 'worker/manifest.yaml']);
    expect(await metadataOf('environment/production', 'web')).toMatchObject({
      repoURL: 'https://git.example.com/acme/monorepo.git',
      drySha: head,
      commands: ['npx nx run web:render:production'],
    });
    expect(await readBranchFile(sandbox.remote, 'environment/production', 'web/manifest.yaml')).toBe('kind: web');
    expect(log[0].message).toBe(
      `environment/production: render ${head.slice(0, 7)} (3 services)\n\n` +
        `- api/production: render ${head.slice(0, 7)}\n- web/production: render ${head.slice(0, 7)}\n- worker/production: render ${head.slice(0, 7)}\n\n` +
        `Source-Commit: ${head}\nSource-Repository: git@git.example.com:acme/monorepo.git\n`,
    );
  });

  it("commits only the services whose manifests changed, keeping the others' folders as they were; no commit when none did", async () => {
    render('api', 'kind: A\n');
    render('web', 'kind: W\n');
    const options = { manifestRepository: sandbox.remote, ...layout };
    const first = await publish([target('api', 'production', options), target('web', 'production', options)]);
    const next = await newSourceCommit('fix: api only');
    render('api', 'kind: A2\n');
    const second = await publish([target('api', 'production', options), target('web', 'production', options)]);
    const [api, web] = second.outcomes;
    expect(api).toMatchObject({ status: 'updated', previousCommit: first.outcomes[0].commit });
    expect(web).toMatchObject({ status: 'unchanged', commit: first.outcomes[1].commit, previousCommit: first.outcomes[1].commit });
    const log = await branchLog(sandbox.remote, 'environment/production');
    expect(log.map((entry) => entry.sha)).toEqual([api.commit, first.outcomes[0].commit]);
    // One service in the commit: its own message.
    expect(log[0].message.split('\n')[0]).toBe(`api/production: render ${next.slice(0, 7)}`);
    expect((await metadataOf('environment/production', 'api')).drySha).toBe(next);
    expect((await metadataOf('environment/production', 'web')).drySha).toBe(head);

    await newSourceCommit('docs: nothing for the manifests');
    const third = await publish([target('api', 'production', options), target('web', 'production', options)]);
    expect(third.outcomes.map((outcome) => outcome.status)).toEqual(['unchanged', 'unchanged']);
    expect(await branchTip(sandbox.remote, 'environment/production')).toBe(api.commit);
  });

  it('publishes the other services in one commit when one fails its own validation (before the repository) or its own files (in the commit)', async () => {
    render('api', 'kind: A\n');
    render('web', 'kind: W\n');
    // An empty render is refused before any git command: web is left out.
    render('empty', '');
    const options = { manifestRepository: sandbox.remote, ...layout };
    // README.md of the folder is the hydrator's: this service's files collide, and it fails alone.
    const clashing = target('docs', 'production', { ...options, path: 'README.md' });
    render('docs', 'kind: D\n');
    const result = await publish([target('api', 'production', options), target('empty', 'production', options), clashing, target('web', 'production', options)]);
    expect(result.success).toBe(false);
    const byProject = new Map(result.outcomes.map((outcome) => [outcome.project, outcome]));
    expect(byProject.get('empty')).toMatchObject({ status: 'failed', error: expect.stringContaining('no Kubernetes objects') });
    expect(byProject.get('docs')).toMatchObject({ status: 'failed', error: expect.stringContaining('"docs/README.md"') });
    expect(byProject.get('api')).toMatchObject({ status: 'created' });
    expect(byProject.get('web')).toMatchObject({ status: 'created', commit: byProject.get('api')!.commit });
    expect(await branchLog(sandbox.remote, 'environment/production')).toHaveLength(1);
    const files = await branchFiles(sandbox.remote, 'environment/production');
    expect(files.filter((file) => file.startsWith('docs/') || file.startsWith('empty/'))).toEqual([]);
    expect(files).toContain('web/manifest.yaml');
  });

  it('in a dry run, says what the one commit would hold and pushes nothing', async () => {
    render('api', 'kind: A\n');
    render('web', 'kind: W\n');
    const options = { manifestRepository: sandbox.remote, ...layout, dryRun: true };
    const result = await publish([target('api', 'production', options), target('web', 'production', options)]);
    expect(result.outcomes.map(({ status, commit }) => ({ status, commit }))).toEqual([
      { status: 'created', commit: null },
      { status: 'created', commit: null },
    ]);
    expect(result.outcomes[0].diff).toContain('+++ b/web/manifest.yaml');
    expect(result.outcomes[0].diff).toContain('+++ b/api/manifest.yaml');
    expect(await git(sandbox.remote, ['--git-dir', sandbox.remote, 'for-each-ref'])).toBe('');
  });

  it("replaces only a service's own folder with mode replace", async () => {
    render('api', 'kind: A\n');
    render('web', 'kind: W\n');
    const options = { manifestRepository: sandbox.remote, ...layout };
    await publish([target('api', 'production', options), target('web', 'production', options)]);
    render('api', 'kind: A2\n');
    const result = await publish([target('api', 'production', { ...options, mode: 'replace', path: 'k8s/manifest.yaml' }), target('web', 'production', options)]);
    expect(result.outcomes.map((outcome) => outcome.status)).toEqual(['updated', 'unchanged']);
    expect((await branchFiles(sandbox.remote, 'environment/production')).filter((file) => !file.includes('/') || file.startsWith('api/') || file.startsWith('web/'))).toEqual([
      '.gitattributes',
      'README.md',
      'api/README.md',
      'api/hydrator.metadata',
      'api/k8s/manifest.yaml',
      'hydrator.metadata',
      'web/README.md',
      'web/hydrator.metadata',
      'web/manifest.yaml',
    ]);
  });

  it('with promotion next, proposes each service from <active>-next/<folder>, created from the active branch, and notes an unchanged one', async () => {
    render('api', 'kind: A\n');
    render('web', 'kind: W\n');
    const active = { manifestRepository: sandbox.remote, branch: 'environment/{environment}', activePath: 'apps/{project}' };
    const seeded = await publish([target('api', 'production', active), target('web', 'production', active)]);
    const activeTip = seeded.outcomes[0].commit!;

    const next = await newSourceCommit('feat: both');
    render('api', 'kind: A2\n');
    render('web', 'kind: W2\n');
    const options = { ...active, promotion: 'next' as const };
    const proposed = await publish([target('api', 'production', options), target('web', 'production', options)]);
    expect(proposed.outcomes.map(({ branch, status }) => ({ branch, status }))).toEqual([
      { branch: 'environment/production-next/apps/api', status: 'created' },
      { branch: 'environment/production-next/apps/web', status: 'created' },
    ]);
    expect(await branchTip(sandbox.remote, 'environment/production')).toBe(activeTip);
    for (const project of ['api', 'web']) {
      const branch = `environment/production-next/apps/${project}`;
      const log = await branchLog(sandbox.remote, branch);
      // One commit ahead of the active branch, sharing its history.
      expect(log.map((entry) => entry.sha).slice(1)).toEqual([activeTip]);
      expect(log[0].message.split('\n')[0]).toBe(`${next.slice(0, 7)}: feat: both`);
      // Promoter reads <activePath>/hydrator.metadata.
      expect((await metadataOf(branch, `apps/${project}`)).drySha).toBe(next);
    }
    // Only the service's folder moves on its proposed branch.
    expect(await readBranchFile(sandbox.remote, 'environment/production-next/apps/api', 'apps/api/manifest.yaml')).toBe('kind: A2');
    expect(await readBranchFile(sandbox.remote, 'environment/production-next/apps/api', 'apps/web/manifest.yaml')).toBe('kind: W');

    const later = await newSourceCommit('fix: web only');
    render('web', 'kind: W3\n');
    const third = await publish([target('api', 'production', options), target('web', 'production', options)]);
    const [api, web] = third.outcomes;
    expect(api).toMatchObject({ status: 'unchanged', commit: proposed.outcomes[0].commit, noted: later });
    expect(web).toMatchObject({ status: 'updated' });
    expect(await noteOf(sandbox.remote, api.commit!)).toBe(`{"drySha":"${later}"}`);
    expect(await noteOf(sandbox.remote, web.commit!)).toBeNull();
    const report = JSON.parse(readFileSync(third.reportPath, 'utf8')) as { entries: Array<{ project: string; noted?: string }> };
    expect(report.entries.find((entry) => entry.project === 'api')?.noted).toBe(later);
  });

  it('diff-manifest with the same activePath reads each service from its folder: unchanged after a publish, the changed service after a new render', async () => {
    const sample = (name: string, mode: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  mode: ${mode}\n`;
    render('api', sample('api', 'fast'));
    render('web', sample('web', 'fast'));
    const options = { manifestRepository: sandbox.remote, ...layout };
    expect((await publish(['api', 'web'].map((project) => target(project, 'production', options)))).success).toBe(true);
    const diff = () =>
      diffManifestTargets({
        workspaceRoot: sandbox.workspace,
        targets: ['api', 'web'].map((project) => ({ id: `${project}:diff-manifest:production`, project, configuration: 'production', options })),
        env: {},
        cacheRoot: sandbox.cacheRoot,
      });
    const unchanged = await diff();
    expect(unchanged.outcomes.map((outcome) => [outcome.report.branch, outcome.report.path, outcome.report.status])).toEqual([
      ['environment/production', 'api/manifest.yaml', 'unchanged'],
      ['environment/production', 'web/manifest.yaml', 'unchanged'],
    ]);
    render('web', sample('web', 'slow'));
    const changed = await diff();
    expect(changed.outcomes.map((outcome) => [outcome.report.path, outcome.report.status])).toEqual([
      ['api/manifest.yaml', 'unchanged'],
      ['web/manifest.yaml', 'changed'],
    ]);
    // Without activePath the same branch has no manifest.yaml at its root: every object would read as added.
    const { activePath: _folder, ...flat } = options;
    const misread = await diffManifestTargets({
      workspaceRoot: sandbox.workspace,
      targets: [{ id: 'web:diff-manifest:production', project: 'web', configuration: 'production', options: flat }],
      env: {},
      cacheRoot: sandbox.cacheRoot,
    });
    expect(misread.outcomes[0].report).toMatchObject({ path: 'manifest.yaml', counts: { added: 1 } });
  });

  it('diff-manifest refuses an activePath that does not name the project, as publish does', async () => {
    render('api', 'kind: A\n');
    const result = await diffManifestTargets({
      workspaceRoot: sandbox.workspace,
      targets: [{ id: 'api:diff-manifest:production', project: 'api', configuration: 'production', options: { manifestRepository: sandbox.remote, branch: 'environment/{environment}', activePath: 'services' } }],
      env: {},
      cacheRoot: sandbox.cacheRoot,
    });
    expect(result.outcomes[0]).toMatchObject({ success: false, report: { status: 'failed', error: expect.stringContaining('"activePath"') } });
  });

  it.each([
    [{ activePath: 'services' }, 'does not name the project', '"activePath"'],
    [{ activePath: '{project}', branch: '{project}/{environment}' }, 'names the project', '"branch"'],
    [{ activePath: '{project}', branch: 'environment/{environment}', pullRequest: true }, 'Refusing "pullRequest"', '"activePath"'],
    [{ activePath: '../{project}', branch: 'environment/{environment}' }, 'Refusing the "activePath" template', '"activePath"'],
    [{ activePath: '{project}.lock', branch: 'environment/{environment}' }, 'as the end of a branch name', '"activePath"'],
  ])('refuses %j before touching the repository', async (extra, message, hint) => {
    render('api', 'kind: A\n');
    const result = await publish([target('api', 'production', { manifestRepository: sandbox.remote, ...extra })]);
    expect(result.outcomes[0].status).toBe('failed');
    expect(result.outcomes[0].error).toContain(message);
    expect(result.outcomes[0].error).toContain(hint);
    expect(await git(sandbox.remote, ['--git-dir', sandbox.remote, 'for-each-ref'])).toBe('');
  });
});
