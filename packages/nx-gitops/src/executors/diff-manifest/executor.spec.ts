import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import Ajv from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPORT_MARKER, type RunDiffReport, type TargetDiffReport } from '../../diff/report';
import { commitToBareBranch, createPublishSandbox, git, writeRenderOutput, type PublishSandbox } from '../../testing/publish-fixtures';
import diffManifestBatch from './batch';
import diffManifestExecutor from './executor';
import { DIFF_DEFAULTS, diffManifestTargets, type DiffTarget } from './run-diff';
import schema from './schema.json';
import type { DiffManifestExecutorSchema } from './schema';

jest.setTimeout(60_000);

function executorContext(root: string, project?: string, configurationName?: string): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: project,
    targetName: 'diff-manifest',
    configurationName,
    projectsConfigurations: { version: 2, projects: {} },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as ExecutorContext;
}

function taskGraph(ids: string[]): TaskGraph {
  const tasks = Object.fromEntries(
    ids.map((id) => {
      const [project, target, configuration] = id.split(':');
      return [id, { id, target: { project, target, configuration }, overrides: {}, outputs: [], cache: false, parallelism: true }];
    }),
  );
  return { roots: ids, tasks, dependencies: {}, continuousDependencies: {} } as TaskGraph;
}

const deployment = (project: string, tag: string, replicas = 1) =>
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${project}`,
    'spec:',
    `  replicas: ${replicas}`,
    '  template:',
    '    spec:',
    '      containers:',
    `        - name: ${project}`,
    `          image: registry.example.com/${project}:${tag}`,
    '',
  ].join('\n');
const secret = (value: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ndata:\n  password: ${value}\n`;
const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n';

describe('diff-manifest schema', () => {
  const { $schema: _ignored, version: _version, ...optionsSchema } = schema;
  const validate = new Ajv({ strict: false }).compile(optionsSchema);

  it('validates the normalised defaults and every option the typings declare, with the same defaults as the code', () => {
    expect(validate(DIFF_DEFAULTS)).toBe(true);
    const everyOption: Required<DiffManifestExecutorSchema> = {
      environment: 'production',
      manifestRepository: 'https://git.example.com/acme/manifests.git',
      branch: '{project}/{environment}',
      path: 'manifest.yaml',
      activePath: 'apps/{project}',
      exitCode: true,
      contextLines: 5,
      maxReportLength: 30_000,
      allowInsecureTransport: true,
    };
    expect(validate(everyOption)).toBe(true);
    expect(validate({ contextLines: -1 })).toBe(false);
    const declared = Object.fromEntries(
      Object.entries(schema.properties)
        .filter(([, property]) => 'default' in property)
        .map(([name, property]) => [name, (property as { default: unknown }).default]),
    );
    expect(declared).toEqual(DIFF_DEFAULTS);
  });
});

describe('diff-manifest against real bare repositories', () => {
  let sandbox: PublishSandbox;

  beforeEach(async () => {
    sandbox = await createPublishSandbox();
  });
  afterEach(() => sandbox.cleanup());

  const readJson = <T>(...parts: string[]): T => JSON.parse(readFileSync(join(sandbox.workspace, ...parts), 'utf8')) as T;
  const target = (project: string, environment: string, options: DiffManifestExecutorSchema = {}): DiffTarget => ({
    id: `${project}:diff-manifest:${environment}`,
    project,
    configuration: environment,
    options: { manifestRepository: sandbox.remoteUrl, ...options },
  });

  it('compares with the branch object by object, masks Secrets, and writes the files; reads the repository only', async () => {
    await commitToBareBranch({
      remote: sandbox.remote,
      branch: 'web/production',
      files: { 'manifest.yaml': `${configMap}---\n${deployment('web', 'v1')}---\n${secret('b2xkLXZhbHVl')}` },
      message: 'published',
    });
    const refsBefore = await git(sandbox.remote, ['--git-dir', sandbox.remote, 'for-each-ref']);
    writeRenderOutput({ workspace: sandbox.workspace, project: 'web', environment: 'production', manifest: `${deployment('web', 'v2', 2)}---\n${secret('bmV3LXZhbHVl')}` });
    const lines: string[] = [];
    const result = await diffManifestTargets({
      workspaceRoot: sandbox.workspace,
      targets: [target('web', 'production')],
      env: {},
      cacheRoot: sandbox.cacheRoot,
      loggerFor: () => ({ info: (line) => lines.push(line), warn: (line) => lines.push(line), error: (line) => lines.push(line), verbose() {} }),
    });
    expect(result.outcomes[0].success).toBe(true);
    const report = readJson<TargetDiffReport>('dist/manifests/web/production/diff.json');
    expect(report).toMatchObject({
      status: 'changed',
      branch: 'web/production',
      path: 'manifest.yaml',
      baseExists: true,
      counts: { added: 0, changed: 2, removed: 1, unchanged: 0, imagesChanged: 1 },
      images: [{ repository: 'registry.example.com/web', before: [':v1'], after: [':v2'] }],
    });
    expect(report.baseCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(report.objects.map((object) => [object.change, object.key])).toEqual([
      ['changed', 'apps/v1 Deployment web'],
      ['removed', 'v1 ConfigMap settings'],
      ['changed', 'v1 Secret creds'],
    ]);
    expect(report.objects[2].secretKeys).toEqual({ added: [], removed: [], changed: ['password'] });
    const markdown = readFileSync(join(sandbox.workspace, 'dist/manifests/web/production/diff.md'), 'utf8');
    expect(markdown).toContain('-  replicas: 1\n+  replicas: 2');
    expect(markdown).toContain('| `registry.example.com/web` | `:v1` | `:v2` |');
    const everything = [
      markdown,
      readFileSync(join(sandbox.workspace, 'dist/manifests/web/production/diff.json'), 'utf8'),
      readFileSync(result.markdownPath, 'utf8'),
      readFileSync(result.jsonPath, 'utf8'),
      ...lines,
    ].join('\n');
    for (const value of ['b2xkLXZhbHVl', 'bmV3LXZhbHVl']) expect(everything).not.toContain(value);
    expect(lines).toEqual([`+0 ~2 −1 objects, 1 image changed against web/production of ${sandbox.remoteUrl}.`]);
    // Read only: the manifest repository has the same refs as before.
    expect(await git(sandbox.remote, ['--git-dir', sandbox.remote, 'for-each-ref'])).toBe(refsBefore);
  });

  it('batch: one run report for every task, a missing branch is everything added, exitCode fails the changed ones', async () => {
    const manifest = deployment('api', 'v1');
    await commitToBareBranch({ remote: sandbox.remote, branch: 'api/develop', files: { 'manifest.yaml': manifest }, message: 'published' });
    writeRenderOutput({ workspace: sandbox.workspace, project: 'api', environment: 'develop', manifest });
    writeRenderOutput({ workspace: sandbox.workspace, project: 'web', environment: 'develop', manifest: `${deployment('web', 'v1')}---\n${configMap}` });
    const options = { manifestRepository: sandbox.remote, exitCode: true };
    const results = await diffManifestBatch(
      taskGraph(['api:diff-manifest:develop', 'web:diff-manifest:develop', 'gone:diff-manifest:develop']),
      { 'api:diff-manifest:develop': options, 'web:diff-manifest:develop': options, 'gone:diff-manifest:develop': options },
      {},
      executorContext(sandbox.workspace),
    );
    expect(results['api:diff-manifest:develop'].success).toBe(true);
    expect(results['web:diff-manifest:develop'].success).toBe(false);
    expect(results['web:diff-manifest:develop'].terminalOutput).toContain('[web/develop] The render differs from the manifest repository (exitCode is set).');
    expect(results['gone:diff-manifest:develop']).toMatchObject({ success: false });
    expect(results['gone:diff-manifest:develop'].terminalOutput).toContain('Run "nx run gone:render:develop" first');

    const run = readJson<RunDiffReport>('dist/manifests/diff.json');
    expect(run).toMatchObject({ version: 1, changed: true, failed: true });
    expect(run.targets.map((each) => [each.project, each.status])).toEqual([
      ['api', 'unchanged'],
      ['gone', 'failed'],
      ['web', 'changed'],
    ]);
    expect(run.targets[2]).toMatchObject({ baseCommit: null, baseExists: false, counts: { added: 2, changed: 0, removed: 0 } });
    const markdown = readFileSync(join(sandbox.workspace, 'dist/manifests/diff.md'), 'utf8');
    expect(markdown.startsWith(REPORT_MARKER)).toBe(true);
    expect(markdown).toContain('| api | develop | no change | 0 |');
    expect(markdown).toContain('| web | develop | +2 ~0 −0 | 1 |');
    expect(markdown).toContain('| gone | develop | failed | — |');
    expect(markdown).toContain('The branch `web/develop` does not exist yet: every object is added.');
  });

  it('executor: exits 0 on changes by default, writes the run report of its one task, and fails with a hint without a repository', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'web', environment: 'develop', manifest: deployment('web', 'v1') });
    const ok = await diffManifestExecutor({ environment: 'develop', manifestRepository: sandbox.remote }, executorContext(sandbox.workspace, 'web', 'develop'));
    expect(ok).toEqual({ success: true });
    expect(readJson<RunDiffReport>('dist/manifests/diff.json').targets.map((each) => each.project)).toEqual(['web']);
    expect(existsSync(join(sandbox.workspace, 'dist/manifests/web/develop/diff.md'))).toBe(true);

    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const previous = process.env.NX_GITOPS_MANIFEST_REPOSITORY;
      delete process.env.NX_GITOPS_MANIFEST_REPOSITORY;
      const failed = await diffManifestExecutor({ environment: 'develop' }, executorContext(sandbox.workspace, 'web', 'develop'));
      if (previous !== undefined) process.env.NX_GITOPS_MANIFEST_REPOSITORY = previous;
      expect(failed).toEqual({ success: false });
      expect(errors.mock.calls.flat().join('\n')).toContain('Hint: Set the "manifestRepository" option');
      expect(readJson<RunDiffReport>('dist/manifests/diff.json').targets[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('No manifest repository') });
    } finally {
      errors.mockRestore();
    }
  });

  it('reads the file at a path template, and sees a republished render as unchanged', async () => {
    const manifest = `${configMap}---\n${deployment('web', 'v3')}`;
    await commitToBareBranch({ remote: sandbox.remote, branch: 'envs', files: { 'README.md': 'x\n' }, message: 'init' });
    const nested = await git(sandbox.remote, ['--git-dir', sandbox.remote, 'hash-object', '-w', '--stdin'], `${deployment('web', 'v3')}---\n${configMap}`);
    const subtree = await git(sandbox.remote, ['--git-dir', sandbox.remote, 'mktree'], `100644 blob ${nested}\tmanifest.yaml\n`);
    const tree = await git(sandbox.remote, ['--git-dir', sandbox.remote, 'mktree'], `040000 tree ${subtree}\tweb\n`);
    const parent = await git(sandbox.remote, ['--git-dir', sandbox.remote, 'rev-parse', 'refs/heads/envs']);
    const commit = await git(sandbox.remote, ['--git-dir', sandbox.remote, 'commit-tree', tree, '-p', parent, '-m', 'nested']);
    await git(sandbox.remote, ['--git-dir', sandbox.remote, 'update-ref', 'refs/heads/envs', commit]);
    writeRenderOutput({ workspace: sandbox.workspace, project: 'web', environment: 'staging', manifest });
    const result = await diffManifestTargets({
      workspaceRoot: sandbox.workspace,
      targets: [target('web', 'staging', { branch: 'envs', path: '{project}/manifest.yaml', exitCode: true })],
      env: {},
      cacheRoot: sandbox.cacheRoot,
    });
    expect(result.outcomes[0]).toMatchObject({ success: true, report: { status: 'unchanged', baseExists: true, baseCommit: commit, counts: { unchanged: 2 } } });
    expect(readFileSync(result.markdownPath, 'utf8')).toContain('| web | staging | no change | 0 |');
  });
});
