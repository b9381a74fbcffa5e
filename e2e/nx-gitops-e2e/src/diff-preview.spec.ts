/**
 * Previewing a pull request as the generated CI job does: two services are published once from `main`, then a
 * pull-request branch changes one of them (a kustomize overlay value) and `nx affected -t diff-manifest --batch`
 * writes `dist/manifests/diff.md`, which must name exactly that service's changed object and image change and
 * nothing of the other service. One Nx version keeps it cheap; the loop itself runs on every major in
 * nx-gitops.spec.ts.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { branchTips, createBareRepository, createFixtureWorkspace, ensurePluginBuilt, makeTempDir, packPlugin, removeTempDir, type FixtureWorkspace } from './harness';

jest.setTimeout(4 * 60 * 1000);

const NX_VERSION = '23.2.1';
const CHANGED = 'api';
const UNTOUCHED = 'web';
const ENVIRONMENT = 'develop';

interface RunReport {
  changed: boolean;
  failed: boolean;
  targets: Array<{
    project: string;
    environment: string;
    status: string;
    counts: { added: number; changed: number; removed: number; unchanged: number; imagesChanged: number };
    objects: Array<{ key: string; kind: string; name: string; change: string; diff?: string }>;
    images: Array<{ repository: string; before: string[]; after: string[] }>;
  }>;
}

describe(`diff-manifest previews a pull request in an Nx ${NX_VERSION} workspace`, () => {
  let sandbox: string | undefined;
  let workspace: FixtureWorkspace;
  let manifests: string;
  let mainHead: string;

  beforeAll(async () => {
    await ensurePluginBuilt();
    sandbox = makeTempDir('nx-gitops-e2e-diff-');
    const tarball = await packPlugin(sandbox);
    manifests = join(sandbox, 'manifests.git');
    await createBareRepository(manifests);
    workspace = await createFixtureWorkspace({ root: join(sandbox, 'workspace'), nxVersion: NX_VERSION, pluginTarball: tarball });
    await workspace.nx(['g', 'nx-gitops:init', `--manifestRepository=file://${manifests}`, '--no-interactive']);
    const base = await workspace.head();
    for (const service of [CHANGED, UNTOUCHED]) await workspace.nx(['g', 'nx-gitops:service', service, '--no-interactive']);
    mainHead = await workspace.commitAll('Two services');
    await workspace.nx(['affected', '-t', 'publish-manifest', `--base=${base}`, '--head=HEAD']);
  });

  afterAll(() => removeTempDir(sandbox));

  it('names only the changed service: its changed Deployment and its image, from a pull-request branch', async () => {
    expect(Object.keys(await branchTips(manifests)).sort()).toEqual([`${CHANGED}/${ENVIRONMENT}`, `${UNTOUCHED}/${ENVIRONMENT}`]);
    await workspace.git(['checkout', '-q', '-b', 'scale-api']);
    const overlay = `services/${CHANGED}/kubernetes/overlays/${ENVIRONMENT}/kustomization.yaml`;
    const kustomization = parseDocument(workspace.readFile(overlay));
    kustomization.set('patches', [{ target: { kind: 'Deployment', name: CHANGED }, patch: '- op: replace\n  path: /spec/replicas\n  value: 3' }]);
    workspace.writeFile(overlay, kustomization.toString({ lineWidth: 0 }));
    const prHead = await workspace.commitAll('Scale api to three replicas');
    // A fresh CI checkout: nothing rendered yet.
    rmSync(join(workspace.root, 'dist'), { recursive: true, force: true });

    await workspace.nx(['affected', '-t', 'diff-manifest', '--base=main', '--head=HEAD', '--batch']);

    const markdown = readFileSync(join(workspace.root, 'dist/manifests/diff.md'), 'utf8');
    const report = JSON.parse(readFileSync(join(workspace.root, 'dist/manifests/diff.json'), 'utf8')) as RunReport;
    // The other service was not affected: neither compared nor rendered.
    expect(report.targets.map((target) => `${target.project}/${target.environment}`)).toEqual([`${CHANGED}/${ENVIRONMENT}`]);
    expect(existsSync(join(workspace.root, 'dist/manifests', UNTOUCHED))).toBe(false);
    expect(markdown).not.toMatch(new RegExp(`\\b${UNTOUCHED}\\b`));

    const [target] = report.targets;
    expect(target.status).toBe('changed');
    expect(target.counts).toEqual({ added: 0, changed: 1, removed: 0, unchanged: 1, imagesChanged: 1 });
    const changed = target.objects.filter((object) => object.change !== 'unchanged');
    expect(changed.map((object) => [object.kind, object.name, object.change])).toEqual([['Deployment', CHANGED, 'changed']]);
    expect(changed[0].diff).toMatch(/^-\s+replicas: 1$/m);
    expect(changed[0].diff).toMatch(/^\+\s+replicas: 3$/m);
    // The tag policy is gitCommit with the environment as prefix; a version is written `:<tag>` (`@<digest>` for a digest).
    const [oldTag, newTag] = [`:${ENVIRONMENT}-${mainHead.slice(0, 7)}`, `:${ENVIRONMENT}-${prHead.slice(0, 7)}`];
    expect(target.images).toEqual([{ repository: expect.stringMatching(new RegExp(`(^|/)${CHANGED}$`)), before: [oldTag], after: [newTag] }]);

    // The run report: one summary row, the object diff and the image row, all of the changed service.
    const lines = markdown.split('\n');
    const tableStart = lines.findIndex((line) => line.startsWith('| service |'));
    const tableEnd = lines.indexOf('', tableStart);
    expect(lines.slice(tableStart + 2, tableEnd)).toEqual([`| ${CHANGED} | ${ENVIRONMENT} | +0 ~1 −0 | 1 |`]);
    expect(markdown).toContain(`<b>${CHANGED}</b> / ${ENVIRONMENT}: +0 ~1 −0, 1 image changed`);
    expect(markdown).toContain(`\`${changed[0].key}\``);
    expect(markdown).toMatch(new RegExp(`\\| \`[^\`]*${CHANGED}\` \\| \`${oldTag}\` \\| \`${newTag}\` \\|`));
    expect(markdown).toMatch(/^\+\s+replicas: 3$/m);
  });
});
