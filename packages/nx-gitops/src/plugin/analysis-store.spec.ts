/** The graph cache: analyses kept under the workspace data directory and reused while what they read is unchanged. */
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTempWorkspace } from '../testing/temp-workspace';
import type { CreateNodesContext } from '@nx/devkit';
import { RACY_MARGIN_MS } from './analysis-store';
import { createNodes } from './create-nodes';

const workspace = useTempWorkspace('nx-gitops-store-');
const write = workspace.write;

const context = (): CreateNodesContext => ({ workspaceRoot: workspace.root, nxJsonConfiguration: {} });
const storeDir = () => join(workspace.root, '.nx', 'workspace-data', 'nx-gitops');

async function renderInputs(): Promise<unknown[]> {
  const results = await createNodes[1](['services/foo/skaffold.yaml'], {}, context());
  return results[0][1].projects!['services/foo'].targets!.render.inputs ?? [];
}

function service() {
  write('platform/probes/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n');
  write('services/foo/skaffold.yaml', 'apiVersion: skaffold/v4beta13\nkind: Config\nmanifests:\n  kustomize:\n    paths: [k8s]\n');
  write('services/foo/k8s/kustomization.yaml', 'components:\n- ../../../platform/probes\n');
}

/** Rewrites the stored analyses, to tell a stored analysis from a fresh one. */
function tamperWithStore(edit: (analysis: { envVars: string[] }) => void) {
  const [file] = readdirSync(storeDir());
  const stored = JSON.parse(readFileSync(join(storeDir(), file), 'utf8'));
  edit(stored.analyses['services/foo/skaffold.yaml'].analysis);
  writeFileSync(join(storeDir(), file), JSON.stringify(stored));
}

describe('the analysis store', () => {
  it('is written under the workspace data directory and reused while nothing the analysis read changed', async () => {
    service();
    await renderInputs();
    expect(readdirSync(storeDir())).toHaveLength(1);
    tamperWithStore((analysis) => analysis.envVars.push('FROM_THE_STORE'));
    expect(await renderInputs()).toContainEqual({ env: 'FROM_THE_STORE' });
  });

  it('re-analyses a service when a file it read outside the project changes', async () => {
    service();
    await renderInputs();
    tamperWithStore((analysis) => analysis.envVars.push('FROM_THE_STORE'));
    write('platform/probes/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- extra.yaml\n');
    write('platform/probes/extra.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n');
    const inputs = await renderInputs();
    expect(inputs).not.toContainEqual({ env: 'FROM_THE_STORE' });
    expect(inputs).toContain('{workspaceRoot}/platform/probes/extra.yaml');
  });

  it('re-analyses when the plugin options change', async () => {
    service();
    await renderInputs();
    tamperWithStore((analysis) => analysis.envVars.push('FROM_THE_STORE'));
    const results = await createNodes[1](['services/foo/skaffold.yaml'], { defaultEnvironment: 'dev' }, context());
    expect(results[0][1].projects!['services/foo'].targets!.render.inputs).not.toContainEqual({ env: 'FROM_THE_STORE' });
  });

  /** Rewrites a file with other content of the same size and gives it back its modification time. */
  function rewriteKeepingStat(path: string, content: string) {
    const file = join(workspace.root, path);
    const before = statSync(file);
    expect(Buffer.byteLength(content)).toBe(before.size);
    writeFileSync(file, content);
    utimesSync(file, before.atime, before.mtime);
  }

  const component = 'platform/probes/kustomization.yaml';
  const sameSizeComponent = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind:  Component';

  it('trusts an unchanged modification time and size of a file older than the racy margin, without reading it', async () => {
    service();
    const old = new Date(Date.now() - 10 * RACY_MARGIN_MS);
    utimesSync(join(workspace.root, component), old, old);
    await renderInputs();
    tamperWithStore((analysis) => analysis.envVars.push('FROM_THE_STORE'));
    rewriteKeepingStat(component, sameSizeComponent);
    expect(await renderInputs()).toContainEqual({ env: 'FROM_THE_STORE' });
  });

  it('reads again a file modified within the racy margin of its hashing, even when its stat is unchanged', async () => {
    service();
    await renderInputs();
    tamperWithStore((analysis) => analysis.envVars.push('FROM_THE_STORE'));
    rewriteKeepingStat(component, sameSizeComponent);
    expect(await renderInputs()).not.toContainEqual({ env: 'FROM_THE_STORE' });
  });
});
