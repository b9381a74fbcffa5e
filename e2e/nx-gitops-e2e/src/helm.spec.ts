/**
 * Helm services next to a kustomize service, as a user scaffolds them: `nx g nx-gitops:service --template helm`,
 * a shared chart in a library project used by two helm services, and `nx affected -t publish-manifest`
 * publishing exactly what each change touched to a bare manifest repository. Needs `helm` on PATH (CI installs
 * it); without it the file is skipped with a message.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { isOnPath } from '../../../packages/nx-gitops/src/kustomize/build';
import {
  branchTips,
  createBareRepository,
  createFixtureWorkspace,
  ensurePluginBuilt,
  imagesIn,
  makeTempDir,
  packPlugin,
  removeTempDir,
  showFile,
  type FixtureWorkspace,
} from './harness';

jest.setTimeout(4 * 60 * 1000);

/** One Nx version is enough here: the other e2e files cover the supported majors. */
const NX_VERSION = '23.2.1';

const HELM_SERVICE = 'billing';
const KUSTOMIZE_SERVICE = 'gateway';
/** The helm services whose release uses the shared chart instead of their own. */
const CHART_USERS = ['shop', 'cart'] as const;
const SERVICES = [HELM_SERVICE, KUSTOMIZE_SERVICE, ...CHART_USERS].sort();

/** The library project that holds the shared chart, and the chart's folder. */
const CHARTS_PROJECT = 'libs/charts';
const SHARED_CHART = `${CHARTS_PROJECT}/web`;

const helmFound = isOnPath('helm');
const describeWithHelm = helmFound ? describe : describe.skip;
if (!helmFound) {
  console.warn('Skipping the helm e2e tests: no "helm" on PATH (go install helm.sh/helm/v3/cmd/helm@v3.22.0; CI installs it).');
}

/**
 * Moves a generated service's chart into the shared chart folder (the first time) and points the service's
 * release at it, by a path relative to its skaffold.yaml.
 */
function useSharedChart(workspace: FixtureWorkspace, service: string): void {
  const serviceRoot = `services/${service}`;
  if (!existsSync(join(workspace.root, SHARED_CHART))) {
    for (const file of ['Chart.yaml', 'values.yaml', 'templates/deployment.yaml', 'templates/service.yaml']) {
      const content = workspace.readFile(`${serviceRoot}/chart/${file}`);
      workspace.writeFile(`${SHARED_CHART}/${file}`, file === 'Chart.yaml' ? content.replace(/^name: .*$/m, 'name: web').replace(/^description: .*$/m, 'description: The web chart of shop and cart.') : content);
    }
  }
  rmSync(join(workspace.root, serviceRoot, 'chart'), { recursive: true });
  const skaffold = parseDocument(workspace.readFile(`${serviceRoot}/skaffold.yaml`));
  skaffold.setIn(['manifests', 'helm', 'releases', 0, 'chartPath'], `../../${SHARED_CHART}`);
  workspace.writeFile(`${serviceRoot}/skaffold.yaml`, skaffold.toString({ lineWidth: 0 }));
}

describeWithHelm(`helm services in an Nx ${NX_VERSION} workspace`, () => {
  let sandbox: string | undefined;
  let workspace: FixtureWorkspace;
  let manifests: string;
  let firstCommit: string;

  const publish = (...args: string[]) => workspace.nx(['affected', '-t', 'publish-manifest', '--head=HEAD', ...args]);

  /** The develop manifest of a service, checked to be published from HEAD with the image pinned to its tag. */
  async function expectPublishedFromHead(service: string): Promise<string> {
    const sha = await workspace.head({ short: true });
    const manifest = await showFile(manifests, `${service}/develop`, 'manifest.yaml');
    expect(imagesIn(manifest)).toEqual([`${service}:develop-${sha}`]);
    const subject = await workspace.git(['-C', manifests, 'log', '-1', '--format=%s', `${service}/develop`]);
    expect(subject).toBe(`${service}/develop: render ${sha}`);
    return manifest;
  }

  beforeAll(async () => {
    await ensurePluginBuilt();
    sandbox = makeTempDir('nx-gitops-e2e-helm-');
    const tarball = await packPlugin(sandbox);
    manifests = join(sandbox, 'manifests.git');
    await createBareRepository(manifests);
    workspace = await createFixtureWorkspace({ root: join(sandbox, 'workspace'), nxVersion: NX_VERSION, pluginTarball: tarball });
    firstCommit = await workspace.head();
    await workspace.nx(['g', 'nx-gitops:init', `--manifestRepository=file://${manifests}`, '--no-interactive']);
  });

  afterAll(() => removeTempDir(sandbox));

  it('scaffolds helm services and a kustomize service; the shared chart is a graph edge of exactly its users', async () => {
    for (const service of [HELM_SERVICE, ...CHART_USERS]) {
      await workspace.nx(['g', 'nx-gitops:service', service, '--template=helm', '--no-interactive']);
    }
    await workspace.nx(['g', 'nx-gitops:service', KUSTOMIZE_SERVICE, '--no-interactive']);
    workspace.writeFile(`${CHARTS_PROJECT}/project.json`, `${JSON.stringify({ name: 'charts', projectType: 'library' }, null, 2)}\n`);
    for (const service of CHART_USERS) useSharedChart(workspace, service);
    await workspace.commitAll('Helm and kustomize services; shop and cart share the web chart');

    expect(workspace.readFile(`services/${HELM_SERVICE}/skaffold.yaml`)).toContain('chartPath: chart\n');
    expect(workspace.readFile('services/shop/skaffold.yaml')).toContain(`chartPath: ../../${SHARED_CHART}\n`);
    const graphFile = join(sandbox!, 'graph.json');
    await workspace.nx(['graph', `--file=${graphFile}`]);
    const { graph } = JSON.parse(readFileSync(graphFile, 'utf8'));
    const usesCharts = (project: string) => (graph.dependencies[project] ?? []).some((dependency: { target: string }) => dependency.target === 'charts');
    expect(SERVICES.filter(usesCharts)).toEqual([...CHART_USERS].sort());
  });

  it('publishes every service, helm and kustomize, on the first affected run', async () => {
    await publish(`--base=${firstCommit}`);

    expect(Object.keys(await branchTips(manifests)).sort()).toEqual(SERVICES.map((service) => `${service}/develop`));
    for (const service of SERVICES) {
      const manifest = await expectPublishedFromHead(service);
      expect(manifest).toContain('app.kubernetes.io/environment: develop');
      expect(manifest).toContain(`name: ${service}\n`);
    }
  });

  it('republishes exactly the users of a changed shared chart', async () => {
    const before = await branchTips(manifests);
    const values = parseDocument(workspace.readFile(`${SHARED_CHART}/values.yaml`));
    values.set('port', 9090);
    workspace.writeFile(`${SHARED_CHART}/values.yaml`, values.toString());
    await workspace.commitAll('Web chart: port 9090');

    await publish('--base=HEAD~1');

    const after = await branchTips(manifests);
    const republished = Object.fromEntries(CHART_USERS.map((service) => [`${service}/develop`, expect.any(String)]));
    expect(after).toEqual({ ...before, ...republished });
    for (const service of CHART_USERS) {
      expect(after[`${service}/develop`]).not.toBe(before[`${service}/develop`]);
      expect(await workspace.git(['-C', manifests, 'rev-parse', `${service}/develop~1`])).toBe(before[`${service}/develop`]);
      expect(await expectPublishedFromHead(service)).toContain('containerPort: 9090');
    }
  });
});
