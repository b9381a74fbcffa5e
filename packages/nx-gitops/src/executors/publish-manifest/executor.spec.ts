import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLISH_DEFAULTS } from '../../publish/options';
import { branchLog, createPublishSandbox, git, readBranchFile, writeRenderOutput, type PublishSandbox } from '../../testing/publish-fixtures';
import publishManifestBatch from './batch';
import publishManifestExecutor from './executor';
import schema from './schema.json';
import type { PublishManifestExecutorSchema } from './schema';

jest.setTimeout(60_000);

function executorContext(root: string, project?: string, configurationName?: string): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: project,
    targetName: 'publish-manifest',
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

describe('publish-manifest schema', () => {
  // Nx's "$schema" and "version" keywords are not JSON Schema; the options part is.
  const { $schema: _ignored, version: _version, ...optionsSchema } = schema;
  const validate = new Ajv({ strict: false }).compile(optionsSchema);

  it('validates the normalised defaults and every option the typings declare', () => {
    expect(validate(PUBLISH_DEFAULTS)).toBe(true);
    const everyOption: Required<PublishManifestExecutorSchema> = {
      environment: 'production',
      manifestRepository: 'https://git.example.com/acme/manifests.git',
      branch: '{project}/{environment}',
      path: 'manifest.yaml',
      baseBranch: 'main',
      message: 'deploy {project}',
      authorName: 'CI',
      authorEmail: 'ci@example.com',
      mode: 'replace',
      dryRun: true,
      maxAttempts: 3,
      allowDirty: true,
      allowEmpty: true,
      allowInsecureTransport: true,
      networkTimeoutSeconds: 30,
      hydratorMetadata: false,
      promotion: 'next',
      activePath: 'apps/{project}',
      messageStyle: 'argocd',
      pullRequest: true,
      pullRequestBranch: '{branch}-review/{shortSourceCommit}',
      forge: 'github',
      forgeApiUrl: 'https://ghe.example.com/api/v3',
      sign: 'ssh',
      signingKey: '~/.ssh/id_ed25519',
    };
    expect(validate(everyOption)).toBe(true);
    expect(validate({ mode: 'overwrite' })).toBe(false);
    expect(validate({ maxAttempts: 0 })).toBe(false);
    expect(validate({ forge: 'bitbucket' })).toBe(false);
    expect(validate({ sign: 'x509' })).toBe(false);
  });

  it('declares the same defaults as the code', () => {
    const declared = Object.fromEntries(
      Object.entries(schema.properties)
        .filter(([, property]) => 'default' in property)
        .map(([name, property]) => [name, (property as { default: unknown }).default]),
    );
    expect(declared).toEqual(PUBLISH_DEFAULTS);
  });
});

describe('publish-manifest executor and batch implementation', () => {
  let sandbox: PublishSandbox;

  beforeEach(async () => {
    sandbox = await createPublishSandbox();
    jest.spyOn(console, 'info').mockImplementation(() => undefined);
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    sandbox.cleanup();
  });

  it('publishes one project for the configuration it runs in', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'staging', manifest: 'kind: ConfigMap\n' });
    const result = await publishManifestExecutor(
      { ...PUBLISH_DEFAULTS, manifestRepository: sandbox.remoteUrl },
      executorContext(sandbox.workspace, 'foo', 'staging'),
    );
    expect(result).toEqual({ success: true });
    expect(await readBranchFile(sandbox.remote, 'foo/staging', 'manifest.yaml')).toBe('kind: ConfigMap');
    const head = await git(sandbox.workspace, ['rev-parse', 'HEAD']);
    const [commit] = await branchLog(sandbox.remote, 'foo/staging');
    expect(commit.message.split('\n')[0]).toBe(`foo/staging: render ${head.slice(0, 7)}`);
    const report = JSON.parse(readFileSync(join(sandbox.workspace, 'dist/manifests/publish-report.json'), 'utf8'));
    expect(report.entries).toEqual([expect.objectContaining({ project: 'foo', environment: 'staging', status: 'created', commit: commit.sha })]);
  });

  it('prefers the environment option over the configuration name and fails without a repository', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'x: 1\n' });
    const ok = await publishManifestExecutor(
      { environment: 'production', manifestRepository: sandbox.remote },
      executorContext(sandbox.workspace, 'foo', 'prod'),
    );
    expect(ok.success).toBe(true);
    expect(await readBranchFile(sandbox.remote, 'foo/production', 'manifest.yaml')).toBe('x: 1');

    const failed = await publishManifestExecutor({}, executorContext(sandbox.workspace, 'foo', 'production'));
    expect(failed.success).toBe(false);
  });

  it('publishes every task of a batch in one run and reports each task', async () => {
    const ids = ['api:publish-manifest:production', 'web:publish-manifest:production', 'worker:publish-manifest:production'];
    for (const project of ['api', 'web']) {
      writeRenderOutput({ workspace: sandbox.workspace, project, environment: 'production', manifest: `${project}: 1\n` });
    }
    const inputs = Object.fromEntries(ids.map((id) => [id, { ...PUBLISH_DEFAULTS, manifestRepository: sandbox.remoteUrl }]));
    const results = await publishManifestBatch(taskGraph(ids), inputs, {}, executorContext(sandbox.workspace));

    expect(Object.keys(results).sort()).toEqual(ids);
    expect(results['api:publish-manifest:production'].success).toBe(true);
    expect(results['web:publish-manifest:production'].success).toBe(true);
    expect(results['api:publish-manifest:production'].terminalOutput).toContain('[api/production] api/production: created');
    // worker was never rendered: it fails alone, with a hint, and the others still went out.
    expect(results['worker:publish-manifest:production'].success).toBe(false);
    expect(results['worker:publish-manifest:production'].terminalOutput).toContain('nx run worker:render:production');
    expect(await readBranchFile(sandbox.remote, 'web/production', 'manifest.yaml')).toBe('web: 1');
  });
});
