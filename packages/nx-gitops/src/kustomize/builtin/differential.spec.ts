import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../lib/exec';
import { isOnPath } from '../build';
import { buildKustomizationInProcess } from './build';

/**
 * The differential suite: every directory under __fixtures__ is built by `kubectl kustomize` and by the
 * built-in engine, and the bytes must be identical. A fixture builds its own directory, or the one named
 * in its BUILD file. Fixtures named `krusty-*` are kustomize's own api/krusty test cases (their SOURCE file
 * names the test and commit); their `krusty-expected.yaml` is the output that test expects.
 */
const fixturesDir = join(__dirname, '__fixtures__');
const fixtures = readdirSync(fixturesDir).sort();
const hasKubectl = isOnPath('kubectl');

function buildDir(name: string): string {
  const marker = join(fixturesDir, name, 'BUILD');
  return existsSync(marker) ? join(fixturesDir, name, readFileSync(marker, 'utf8').trim()) : join(fixturesDir, name);
}

async function kubectlKustomize(dir: string): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'nx-gitops-kubectl-'));
  try {
    const file = join(out, 'out.yaml');
    await runCommand('kubectl', ['kustomize', dir, '-o', file]);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (!hasKubectl) {
  // eslint-disable-next-line no-console
  console.warn('kubectl is not on PATH: the built-in kustomize differential suite is skipped.');
}

(hasKubectl ? describe : describe.skip)('built-in kustomize is byte-identical with kubectl kustomize', () => {
  it('has at least 80 fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(80);
  });

  it.each(fixtures)('%s', async (name) => {
    const dir = buildDir(name);
    const expected = await kubectlKustomize(dir);
    expect(expected).not.toBe('');
    expect(buildKustomizationInProcess(dir)).toBe(expected);
    // Fixtures carried over from kustomize's api/krusty tests also keep the output that test expects.
    const krusty = join(fixturesDir, name, 'krusty-expected.yaml');
    if (existsSync(krusty)) expect(expected.trim()).toBe(readFileSync(krusty, 'utf8').trim());
  });
});
