/**
 * The whole loop, as a user runs it, on every supported Nx major: install the packed plugin with `nx add`,
 * scaffold services, commit, and let `nx affected -t publish-manifest` publish exactly what each change touched
 * to a bare manifest repository. Assertions read branch tips and files in that repository.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  NX_VERSIONS,
  blobId,
  branchTips,
  createBareRepository,
  createFixtureWorkspace,
  devkitVersionFor,
  ensurePluginBuilt,
  hashFile,
  imagesIn,
  makeTempDir,
  packPlugin,
  removeTempDir,
  runInFixture,
  showFile,
  type FixtureWorkspace,
} from './harness';
import { COMPONENT_DIR, componentKustomization, useSharedComponent, writePlatformProject } from './workspace-layout';

jest.setTimeout(5 * 60 * 1000);

const SERVICES = ['api', 'web', 'worker'] as const;
/** The service whose overlays use the platform component. */
const COMPONENT_USER = 'web';

let packDir: string | undefined;
let tarball: string;

beforeAll(async () => {
  await ensurePluginBuilt();
  packDir = makeTempDir('nx-gitops-e2e-pack-');
  tarball = await packPlugin(packDir);
});

afterAll(() => removeTempDir(packDir));

/** The JSON Nx printed, skipping any notice printed before it. */
function parseNxJson(stdout: string): Record<string, any> {
  const start = stdout.indexOf('{');
  return JSON.parse(stdout.slice(start));
}

describe.each(NX_VERSIONS)('nx-gitops in an Nx %s workspace', (nxVersion) => {
  let sandbox: string | undefined;
  let workspace: FixtureWorkspace;
  let manifests: string;
  let firstCommit: string;

  const publish = (...args: string[]) => workspace.nx(['affected', '-t', 'publish-manifest', '--head=HEAD', ...args]);

  /**
   * Checks that `<service>/<environment>` was last published from the workspace's HEAD: every image carries
   * the `<environment>-<short sha>` tag and the commit names its source. Returns the manifest.
   */
  async function expectPublishedFromHead(service: string, environment: string): Promise<string> {
    const branch = `${service}/${environment}`;
    const [sha, fullSha] = [await workspace.head({ short: true }), await workspace.head()];
    const manifest = await showFile(manifests, branch, 'manifest.yaml');
    const images = imagesIn(manifest);
    expect(images).toContain(`${service}:${environment}-${sha}`);
    for (const image of images) expect(image).toMatch(new RegExp(`:${environment}-${sha}$`));
    const message = await workspace.git(['-C', manifests, 'log', '-1', '--format=%B', branch]);
    expect(message.split('\n')[0]).toBe(`${branch}: render ${sha}`);
    expect(message.split('\n')).toContain(`Source-Commit: ${fullSha}`);
    return manifest;
  }

  beforeAll(async () => {
    sandbox = makeTempDir(`nx-gitops-e2e-${nxVersion}-`);
    manifests = join(sandbox, 'manifests.git');
    await createBareRepository(manifests);
    workspace = await createFixtureWorkspace({ root: join(sandbox, 'workspace'), nxVersion });
    firstCommit = await workspace.head();
  });

  afterAll(() => removeTempDir(sandbox));

  it('installs the packed plugin with nx add and registers the manifest repository with init', async () => {
    await workspace.nx(['add', `nx-gitops@file:${tarball}`]);
    await workspace.nx(['g', 'nx-gitops:init', `--manifestRepository=file://${manifests}`, '--no-interactive']);

    const packageJson = JSON.parse(workspace.readFile('package.json'));
    expect(packageJson.devDependencies['nx-gitops']).toMatch(/^file:.*\.tgz$/);
    const nxJson = JSON.parse(workspace.readFile('nx.json'));
    const entries = (nxJson.plugins ?? []).filter((p: any) => p === 'nx-gitops' || p.plugin === 'nx-gitops');
    expect(entries).toHaveLength(1);
    expect(entries[0].options.manifestRepository).toBe(`file://${manifests}`);
  });

  it('installs one copy of nx and of @nx/devkit: the workspace\'s own (peer dependencies)', async () => {
    const listed = await runInFixture('npm', ['ls', '--all', '--json', 'nx', '@nx/devkit'], { cwd: workspace.root, allowFailure: true });
    const versions = new Map<string, Set<string>>();
    const visit = (dependencies: Record<string, { version?: string; dependencies?: Record<string, unknown> }> | undefined) => {
      for (const [name, node] of Object.entries(dependencies ?? {})) {
        if ((name === 'nx' || name === '@nx/devkit') && node.version) versions.set(name, new Set([...(versions.get(name) ?? []), node.version]));
        visit(node.dependencies as never);
      }
    };
    visit(JSON.parse(listed.stdout).dependencies);
    expect(Object.fromEntries([...versions].map(([name, set]) => [name, [...set]]))).toEqual({ nx: [nxVersion], '@nx/devkit': [devkitVersionFor(nxVersion)] });
  });

  it('scaffolds three services, one using a kustomize component of the platform project', async () => {
    for (const service of SERVICES) {
      await workspace.nx(['g', 'nx-gitops:service', service, '--no-interactive']);
    }
    writePlatformProject(workspace, 'platform');
    useSharedComponent(workspace, `services/${COMPONENT_USER}`);
    await workspace.commitAll('Three services; web uses the platform component');

    for (const service of SERVICES) {
      const project = parseNxJson((await workspace.nx(['show', 'project', service, '--json'])).stdout);
      expect(project.root).toBe(`services/${service}`);
      for (const target of ['render', 'publish-manifest']) {
        expect(Object.keys(project.targets[target].configurations).sort()).toEqual(['develop', 'production']);
        expect(project.targets[target].defaultConfiguration).toBe('develop');
      }
      expect(JSON.stringify(project.targets['publish-manifest'].dependsOn)).toContain('render');
    }
    const graphFile = join(sandbox!, 'graph.json');
    await workspace.nx(['graph', `--file=${graphFile}`]);
    const { graph } = JSON.parse(readFileSync(graphFile, 'utf8'));
    const dependsOnPlatform = (project: string) =>
      (graph.dependencies[project] ?? []).some((dependency: { target: string }) => dependency.target === 'platform');
    expect(SERVICES.filter(dependsOnPlatform)).toEqual([COMPONENT_USER]);
  });

  it('publishes every service to <service>/develop on the first affected run', async () => {
    await publish(`--base=${firstCommit}`);

    expect(Object.keys(await branchTips(manifests)).sort()).toEqual(SERVICES.map((s) => `${s}/develop`).sort());
    for (const service of SERVICES) {
      const manifest = await expectPublishedFromHead(service, 'develop');
      const rendered = join(workspace.root, `dist/manifests/${service}/develop/manifest.yaml`);
      expect(await blobId(manifests, `${service}/develop`, 'manifest.yaml')).toBe(await hashFile(rendered));
      if (service === COMPONENT_USER) expect(manifest).toContain('team: platform');
      else expect(manifest).not.toContain('team: platform');
    }
  });

  it('republishes only the service a commit touched', async () => {
    const before = await branchTips(manifests);
    workspace.writeFile('services/api/Dockerfile', `${workspace.readFile('services/api/Dockerfile')}# api change\n`);
    await workspace.commitAll('Change api only');

    await publish('--base=HEAD~1');

    const after = await branchTips(manifests);
    expect(after).toEqual({ ...before, 'api/develop': expect.any(String) });
    expect(after['api/develop']).not.toBe(before['api/develop']);
    expect(await workspace.git(['-C', manifests, 'rev-parse', 'api/develop~1'])).toBe(before['api/develop']);
    await expectPublishedFromHead('api', 'develop');
  });

  it('republishes exactly the dependents of a changed shared component', async () => {
    const before = await branchTips(manifests);
    workspace.writeFile(`${COMPONENT_DIR}/kustomization.yaml`, componentKustomization('payments'));
    await workspace.commitAll('Platform component: team payments');

    await publish('--base=HEAD~1');

    const after = await branchTips(manifests);
    expect(after).toEqual({ ...before, [`${COMPONENT_USER}/develop`]: expect.any(String) });
    expect(after[`${COMPONENT_USER}/develop`]).not.toBe(before[`${COMPONENT_USER}/develop`]);
    const manifest = await expectPublishedFromHead(COMPONENT_USER, 'develop');
    expect(manifest).toContain('team: payments');
  });

  it('publishes <service>/production with -c production, in one batch', async () => {
    const before = await branchTips(manifests);

    await publish(`--base=${firstCommit}`, '-c', 'production', '--batch');

    const after = await branchTips(manifests);
    const production = Object.fromEntries(SERVICES.map((s) => [`${s}/production`, expect.any(String)]));
    expect(after).toEqual({ ...before, ...production });
    for (const service of SERVICES) await expectPublishedFromHead(service, 'production');
  });

  it('refuses a configuration the service does not have instead of publishing the default, alone and in a batch', async () => {
    const before = await branchTips(manifests);

    const single = await workspace.nx(['run', 'api:publish-manifest:prodution'], { allowFailure: true });
    const batch = await workspace.nx(['run-many', '-t', 'publish-manifest', '-c', 'prodution', '--batch'], { allowFailure: true });

    for (const result of [single, batch]) {
      expect(result.exitCode).not.toBe(0);
      expect(`${result.stdout}\n${result.stderr}`).toMatch(/has no configuration "prodution"; its configurations are: develop, production/);
    }
    expect(await branchTips(manifests)).toEqual(before);
  });

  it('creates no commit anywhere when the same runs are repeated with nothing changed', async () => {
    const before = await branchTips(manifests);

    await publish('--base=HEAD~1', '--skip-nx-cache');
    await publish(`--base=${firstCommit}`, '-c', 'production', '--skip-nx-cache');

    expect(await branchTips(manifests)).toEqual(before);
  });
});
