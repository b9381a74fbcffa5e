/**
 * nx-gitops as the hydrator of GitOps Promoter, as a user sets it up: two services publish their production
 * branches once, then `promotion: next` in nx.json's targetDefaults makes `nx affected -t publish-manifest -c
 * production` write `<service>/production-next` for Promoter to propose into `<service>/production`. Images are
 * tagged by `inputDigest`, so a service whose files changed without changing its render is published unchanged and
 * gets only the `drySha` note. Last, Promoter's monorepo layout (`activePath`): one branch per environment written
 * by an Nx batch in one commit, each service then proposed from `<branch>-next/<folder>`.
 */
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import {
  branchTips,
  createBareRepository,
  createFixtureWorkspace,
  ensurePluginBuilt,
  makeTempDir,
  packPlugin,
  removeTempDir,
  showFile,
  type FixtureWorkspace,
} from './harness';

jest.setTimeout(4 * 60 * 1000);

const NX_VERSION = '23.2.1';
const SERVICES = ['api', 'web'] as const;
const NOTES_REF = 'refs/notes/hydrator.metadata';

/** Tags every image of a generated service by the digest of its build inputs, in every profile. */
function tagByInputDigest(workspace: FixtureWorkspace, service: string): void {
  const file = `services/${service}/skaffold.yaml`;
  const skaffold = parseDocument(workspace.readFile(file));
  skaffold.setIn(['build', 'tagPolicy'], { inputDigest: {} });
  const profiles = skaffold.get('profiles') as { items: unknown[] } | undefined;
  for (let index = 0; index < (profiles?.items.length ?? 0); index += 1) {
    if (skaffold.hasIn(['profiles', index, 'build', 'tagPolicy'])) skaffold.setIn(['profiles', index, 'build', 'tagPolicy'], { inputDigest: {} });
  }
  workspace.writeFile(file, skaffold.toString({ lineWidth: 0 }));
}

function appendToFile(workspace: FixtureWorkspace, path: string, line: string): void {
  workspace.writeFile(path, `${workspace.readFile(path)}${line}\n`);
}

describe(`promotion through GitOps Promoter in an Nx ${NX_VERSION} workspace`, () => {
  let sandbox: string | undefined;
  let workspace: FixtureWorkspace;
  let manifests: string;

  const publishProduction = (base: string) => workspace.nx(['affected', '-t', 'publish-manifest', '-c', 'production', `--base=${base}`, '--head=HEAD']);
  const inManifests = (args: string[]) => workspace.git(['-C', manifests, ...args]);

  async function drySha(branch: string): Promise<string> {
    return (JSON.parse(await showFile(manifests, branch, 'hydrator.metadata')) as { drySha: string }).drySha;
  }

  beforeAll(async () => {
    await ensurePluginBuilt();
    sandbox = makeTempDir('nx-gitops-e2e-promotion-');
    const tarball = await packPlugin(sandbox);
    manifests = join(sandbox, 'manifests.git');
    await createBareRepository(manifests);
    workspace = await createFixtureWorkspace({ root: join(sandbox, 'workspace'), nxVersion: NX_VERSION, pluginTarball: tarball });
    await workspace.nx(['g', 'nx-gitops:init', `--manifestRepository=file://${manifests}`, '--no-interactive']);
  });

  afterAll(() => removeTempDir(sandbox));

  it('publishes the active <service>/production branches once without promotion', async () => {
    const base = await workspace.head();
    for (const service of SERVICES) {
      await workspace.nx(['g', 'nx-gitops:service', service, '--no-interactive']);
      tagByInputDigest(workspace, service);
    }
    await workspace.commitAll('Two services tagged by input digest');

    await publishProduction(base);

    expect(Object.keys(await branchTips(manifests)).sort()).toEqual(SERVICES.map((service) => `${service}/production`));
  });

  it('with promotion: next, leaves <service>/production-next one commit ahead of <service>/production, hydrated from HEAD', async () => {
    const active = await branchTips(manifests);
    const nxJson = JSON.parse(workspace.readFile('nx.json'));
    nxJson.targetDefaults = { ...nxJson.targetDefaults, 'publish-manifest': { options: { promotion: 'next' } } };
    workspace.writeFile('nx.json', `${JSON.stringify(nxJson, null, 2)}\n`);
    for (const service of SERVICES) appendToFile(workspace, `services/${service}/Dockerfile`, '# promoted by GitOps Promoter');
    const base = await workspace.head();
    const head = await workspace.commitAll('Promote through GitOps Promoter');

    await publishProduction(base);

    const tips = await branchTips(manifests);
    expect(Object.keys(tips).sort()).toEqual(SERVICES.flatMap((service) => [`${service}/production`, `${service}/production-next`]));
    for (const service of SERVICES) {
      const [activeBranch, nextBranch] = [`${service}/production`, `${service}/production-next`];
      // The active branch is Promoter's to move: the hydrator leaves it alone.
      expect(tips[activeBranch]).toBe(active[activeBranch]);
      expect(await inManifests(['rev-list', '--count', `${activeBranch}..${nextBranch}`])).toBe('1');
      expect(await inManifests(['rev-parse', `${nextBranch}~1`])).toBe(tips[activeBranch]);
      expect(await drySha(nextBranch)).toBe(head);
      expect((await inManifests(['log', '-1', '--format=%s', nextBranch])).startsWith(`${head.slice(0, 7)}: `)).toBe(true);
    }
  });

  it('notes an unchanged environment on its -next head and moves only the changed one', async () => {
    const before = await branchTips(manifests);
    appendToFile(workspace, 'services/api/Dockerfile', '# api change');
    // Makes web affected without changing its render (README.md is not a build input).
    workspace.writeFile('services/web/README.md', '# web\n');
    const base = await workspace.head();
    const head = await workspace.commitAll('Change api; document web');

    await publishProduction(base);

    const after = await branchTips(manifests);
    expect(after).toEqual({ ...before, 'api/production-next': expect.any(String) });
    expect(after['api/production-next']).not.toBe(before['api/production-next']);
    expect(await inManifests(['rev-parse', 'api/production-next~1'])).toBe(before['api/production-next']);
    expect(await drySha('api/production-next')).toBe(head);

    const webHead = after['web/production-next'];
    expect(await inManifests(['notes', `--ref=${NOTES_REF}`, 'show', webHead])).toBe(JSON.stringify({ drySha: head }));
    const noted = (await inManifests(['notes', `--ref=${NOTES_REF}`, 'list'])).split('\n').map((line) => line.split(' ')[1]);
    expect(noted).toEqual([webHead]);
  });

  it("in Promoter's monorepo layout (activePath), a batch writes both services to environment/production in one commit, then proposes each from environment/production-next/<folder>", async () => {
    const nxJson = JSON.parse(workspace.readFile('nx.json'));
    const layout = { branch: 'environment/{environment}', activePath: 'apps/{project}' };
    nxJson.targetDefaults = { ...nxJson.targetDefaults, 'publish-manifest': { options: layout } };
    workspace.writeFile('nx.json', `${JSON.stringify(nxJson, null, 2)}\n`);
    for (const service of SERVICES) appendToFile(workspace, `services/${service}/Dockerfile`, '# one branch per environment');
    let base = await workspace.head();
    const seeded = await workspace.commitAll('One branch per environment');

    await workspace.nx(['affected', '-t', 'publish-manifest', '-c', 'production', `--base=${base}`, '--head=HEAD', '--batch']);

    const activeTip = (await branchTips(manifests))['environment/production'];
    expect(await inManifests(['rev-list', '--count', 'environment/production'])).toBe('1');
    expect((await inManifests(['ls-tree', '-r', '--name-only', 'environment/production'])).split('\n').filter((file) => file.startsWith('apps/'))).toEqual(
      SERVICES.flatMap((service) => [`apps/${service}/README.md`, `apps/${service}/hydrator.metadata`, `apps/${service}/manifest.yaml`]),
    );
    for (const service of SERVICES) expect((JSON.parse(await showFile(manifests, 'environment/production', `apps/${service}/hydrator.metadata`)) as { drySha: string }).drySha).toBe(seeded);

    nxJson.targetDefaults['publish-manifest'] = { options: { ...layout, promotion: 'next' } };
    workspace.writeFile('nx.json', `${JSON.stringify(nxJson, null, 2)}\n`);
    appendToFile(workspace, 'services/api/Dockerfile', '# proposed');
    base = await workspace.head();
    const head = await workspace.commitAll('Propose api');

    await workspace.nx(['affected', '-t', 'publish-manifest', '-c', 'production', `--base=${base}`, '--head=HEAD', '--batch']);

    const tips = await branchTips(manifests);
    expect(tips['environment/production']).toBe(activeTip);
    expect(await inManifests(['rev-parse', 'environment/production-next/apps/api~1'])).toBe(activeTip);
    expect((JSON.parse(await showFile(manifests, 'environment/production-next/apps/api', 'apps/api/hydrator.metadata')) as { drySha: string }).drySha).toBe(head);
  });
});
