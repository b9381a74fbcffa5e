import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderWorkspaceConfig, useTempWorkspace } from '../testing/temp-workspace';
import { type KustomizeEngine, isOnPath } from './build';

/**
 * Every fixture of the differential suite, rendered through the whole pipeline (skaffold config, profiles,
 * kustomize, labels, the written manifest) once with the built-in engine and once with the binary: the
 * manifests must be the same bytes.
 */
const fixturesDir = join(__dirname, 'builtin', '__fixtures__');
const fixtures = readdirSync(fixturesDir).sort();
const hasKubectl = isOnPath('kubectl');

if (!hasKubectl) {
  // eslint-disable-next-line no-console
  console.warn('kubectl is not on PATH: the render pipeline comparison of the built-in kustomize is skipped.');
}

(hasKubectl ? describe : describe.skip)('render with kustomize builtin and binary writes the same manifest', () => {
  const workspace = useTempWorkspace('nx-gitops-kpipeline-');

  async function render(kustomize: KustomizeEngine): Promise<string> {
    const { manifest } = await renderWorkspaceConfig(workspace.root, { kustomize });
    return manifest;
  }

  it.each(fixtures)('%s', async (name) => {
    cpSync(join(fixturesDir, name), join(workspace.root, 'service'), { recursive: true });
    const marker = join(workspace.root, 'service', 'BUILD');
    const overlay = existsSync(marker) ? `service/${readFileSync(marker, 'utf8').trim()}` : 'service';
    workspace.write('skaffold.yaml', `apiVersion: skaffold/v4beta11\nkind: Config\nmanifests:\n  kustomize:\n    paths:\n    - ${overlay}\n`);
    const binary = await render('binary');
    expect(binary).not.toBe('');
    expect(await render('builtin')).toBe(binary);
  });
});
