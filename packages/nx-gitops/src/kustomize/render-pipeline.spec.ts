import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderManifests } from '../skaffold/render';
import { createGitInfoCache } from '../skaffold/tags';
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
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-kpipeline-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function render(kustomize: KustomizeEngine): Promise<string> {
    const { manifest } = await renderManifests({ configFile: join(dir, 'skaffold.yaml'), profiles: [], env: {}, digestSource: 'none', git: createGitInfoCache(), kustomize });
    return manifest;
  }

  it.each(fixtures)('%s', async (name) => {
    cpSync(join(fixturesDir, name), join(dir, 'service'), { recursive: true });
    const marker = join(dir, 'service', 'BUILD');
    const overlay = existsSync(marker) ? `service/${readFileSync(marker, 'utf8').trim()}` : 'service';
    writeFileSync(join(dir, 'skaffold.yaml'), `apiVersion: skaffold/v4beta11\nkind: Config\nmanifests:\n  kustomize:\n    paths:\n    - ${overlay}\n`);
    const binary = await render('binary');
    expect(binary).not.toBe('');
    expect(await render('builtin')).toBe(binary);
  });
});
