import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parseAllDocuments } from 'yaml';
import { runCommand } from '../../lib/exec';
import { serviceGenerator } from './generator';

jest.setTimeout(60_000);

/** Writes every file the generator created under `root` to `dir`, as `nx g` would. */
function writeToDisk(tree: Tree, root: string, dir: string): void {
  for (const change of tree.listChanges()) {
    if (!change.path.startsWith(`${root}/`) || change.type === 'DELETE' || !change.content) continue;
    const target = join(dir, change.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, change.content);
  }
}

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: { replicas?: number; template?: { spec: { containers: Array<{ image: string; ports: Array<{ containerPort: number }> }> } } };
}

describe('generated overlays build with the real kubectl kustomize', () => {
  let workDir: string;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'nx-gitops-service-'));
  });

  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it.each<[string, { name: string; environments: string[]; image?: string; port?: number }]>([
    ['skaffold/v4beta13', { name: 'foo', environments: ['develop', 'production'] }],
    ['skaffold/v2beta10', { name: 'bar', environments: ['develop', 'staging', 'production'], image: 'registry.local:5000/team/bar', port: 3000 }],
    ['skaffold/v3', { name: '8080', environments: ['develop'] }],
  ])('%s: every overlay of %j builds, with the image untagged', async (skaffoldApiVersion, options) => {
    const tree = createTreeWithEmptyWorkspace();
    await serviceGenerator(tree, { ...options, skaffoldApiVersion });
    const root = `services/${options.name}`;
    writeToDisk(tree, root, workDir);

    for (const environment of options.environments) {
      const { stdout } = await runCommand('kubectl', ['kustomize', join(workDir, root, 'kubernetes/overlays', environment)]);
      const objects = parseAllDocuments(stdout).map((document) => document.toJS() as K8sObject);
      expect(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual([`Deployment/${options.name}`, `Service/${options.name}`]);
      for (const object of objects) {
        expect(object.metadata.labels).toEqual({ 'app.kubernetes.io/name': options.name, 'app.kubernetes.io/environment': environment });
      }
      const deployment = objects.find((object) => object.kind === 'Deployment');
      const container = deployment?.spec.template?.spec.containers[0];
      expect(container?.image).toBe(options.image ?? options.name);
      expect(container?.ports[0].containerPort).toBe(options.port ?? 8080);
      expect(deployment?.spec.replicas).toBe(environment === 'production' ? 2 : 1);
    }
  });
});
