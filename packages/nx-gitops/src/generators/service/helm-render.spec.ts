import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parseAllDocuments } from 'yaml';
import { isOnPath } from '../../kustomize/build';
import { helmEnvironment } from '../../helm/binary';
import { runCommand } from '../../lib/exec';
import { renderManifests } from '../../skaffold/render';
import { createGitInfoCache } from '../../skaffold/tags';
import { serviceGenerator } from './generator';

jest.setTimeout(60_000);

const helmFound = isOnPath('helm');
const describeWithHelm = helmFound ? describe : describe.skip;
if (!helmFound) {
  // CI installs helm (.ci/run); locally this test needs `helm` 3.13+ on PATH.
  console.warn('Skipping the render test of --template helm: no "helm" on PATH (go install helm.sh/helm/v3/cmd/helm@v3.22.0).');
}

/** Writes every file the generator created to `dir`, as `nx g` would. */
function writeToDisk(tree: Tree, dir: string): void {
  for (const change of tree.listChanges()) {
    if (change.type === 'DELETE' || !change.content) continue;
    const target = join(dir, change.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, change.content);
  }
}

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: { replicas?: number; template?: { spec: { containers: Array<{ name: string; image: string; ports: Array<{ containerPort: number }> }> } } };
}

describeWithHelm('a --template helm service renders with the real helm template', () => {
  let workDir: string;

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'nx-gitops-helm-service-'));
  });

  afterEach(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it.each<[string, { name: string; environments: string[]; image?: string; port?: number }]>([
    ['defaults', { name: 'foo', environments: ['develop', 'production'] }],
    ['a registry image, three environments, another port', { name: 'bar', environments: ['develop', 'staging', 'production'], image: 'registry.local:5000/team/bar', port: 3000 }],
    ['a name YAML reads as a number', { name: '8080', environments: ['develop'] }],
  ])('%s: every environment renders, the image pinned to the commit tag of that environment', async (_case, options) => {
    const tree = createTreeWithEmptyWorkspace();
    await serviceGenerator(tree, { ...options, template: 'helm' });
    writeToDisk(tree, workDir);
    const git = (args: string[]) => runCommand('git', ['-c', 'user.name=nx-gitops test', '-c', 'user.email=test@nx-gitops.invalid', ...args], { cwd: workDir });
    await git(['init', '-q', '-b', 'main']);
    await git(['add', '-A']);
    await git(['commit', '-q', '--no-verify', '-m', 'service']);
    const sha = (await git(['rev-parse', '--short=7', 'HEAD'])).stdout.trim();
    const image = options.image ?? options.name;

    const [first] = options.environments;
    for (const environment of options.environments) {
      const result = await renderManifests({
        configFile: join(workDir, 'services', options.name, 'skaffold.yaml'),
        profiles: environment === first ? [] : [environment],
        env: {},
        digestSource: 'tag',
        git: createGitInfoCache(),
      });
      expect(result.warnings).toEqual([]);
      expect(result.activeProfiles).toEqual(environment === first ? [] : [environment]);
      const objects = parseAllDocuments(result.manifest).map((document) => document.toJS() as K8sObject);
      expect(objects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([`Service/${options.name}`, `Deployment/${options.name}`]);
      for (const object of objects) {
        expect(object.metadata.labels).toEqual({ 'app.kubernetes.io/name': options.name, 'app.kubernetes.io/environment': environment });
      }
      const deployment = objects[1];
      const container = deployment.spec.template?.spec.containers[0];
      expect(container?.name).toBe(options.name);
      expect(container?.image).toBe(`${image}:${environment}-${sha}`);
      expect(result.images.map((rendered) => rendered.reference)).toEqual([`${image}:${environment}-${sha}`]);
      expect(container?.ports[0].containerPort).toBe(options.port ?? 8080);
      expect(deployment.spec.replicas).toBe(environment === 'production' ? 2 : 1);
    }
  });

  it('the chart passes helm lint and, without skaffold, writes the image untagged', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await serviceGenerator(tree, { name: 'foo', template: 'helm' });
    writeToDisk(tree, workDir);
    const chart = join(workDir, 'services/foo/chart');
    const env = helmEnvironment({ home: join(workDir, 'helm-home') });
    await runCommand('helm', ['lint', '--strict', chart], { env, extendEnv: false });
    const { stdout } = await runCommand('helm', ['template', 'foo', chart], { env, extendEnv: false });
    expect(stdout).toContain('image: "foo"\n');
  });
});
