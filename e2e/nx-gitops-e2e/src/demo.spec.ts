/** `npm run demo` (without its build step, which `ensurePluginBuilt` covers) on a fresh directory. */
import { accessSync, constants, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { runCommand } from '../../../packages/nx-gitops/src/lib/exec';
import { DEMO_LAYOUT, DEMO_SERVICES } from '../../../scripts/demo';
import { REPOSITORY_ROOT, branchTips, ensurePluginBuilt, git, imagesIn, makeTempDir, removeTempDir, showFile } from './harness';

jest.setTimeout(4 * 60 * 1000);

/**
 * A directory of links to every command on PATH except kubectl and kustomize: the demo then has only the
 * built-in kustomize engine.
 */
function pathWithoutKustomize(root: string): string {
  const bin = join(root, 'bin');
  mkdirSync(bin);
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (name === 'kubectl' || name === 'kustomize') continue;
      try {
        accessSync(join(dir, name), constants.X_OK);
        symlinkSync(join(dir, name), join(bin, name));
      } catch {
        // not executable, or an earlier PATH entry already provides the name
      }
    }
  }
  return bin;
}

describe('npm run demo', () => {
  let sandbox: string | undefined;

  afterAll(() => removeTempDir(sandbox));

  it('publishes two services to a local manifest repository and shows where everything is', async () => {
    await ensurePluginBuilt();
    sandbox = makeTempDir('nx-gitops-demo-spec-');
    const directory = join(sandbox, 'demo');

    const { stdout } = await runCommand(process.execPath, ['-r', '@swc-node/register', 'scripts/demo.ts', directory], {
      cwd: REPOSITORY_ROOT,
      timeoutMs: 3 * 60 * 1000,
    });

    const manifests = join(directory, DEMO_LAYOUT.manifestRepository);
    const workspace = join(directory, DEMO_LAYOUT.workspace);
    const sha = await git(workspace, ['rev-parse', '--short', 'HEAD']);
    expect(Object.keys(await branchTips(manifests)).sort()).toEqual(DEMO_SERVICES.map((s) => `${s}/develop`).sort());
    for (const service of DEMO_SERVICES) {
      expect(imagesIn(await showFile(manifests, `${service}/develop`, 'manifest.yaml'))).toContain(`${service}:develop-${sha}`);
    }
    const shown = await showFile(manifests, `${DEMO_SERVICES[0]}/develop`, 'manifest.yaml');
    expect(stdout).toContain(shown.trimEnd().split('\n').map((line) => `    ${line}`).join('\n'));
    expect(stdout).toContain(manifests);
    expect(stdout).toContain(workspace);
  });

  it('works with neither kubectl nor kustomize on PATH', async () => {
    await ensurePluginBuilt();
    const root = makeTempDir('nx-gitops-demo-nokustomize-');
    try {
      const bin = pathWithoutKustomize(root);
      const directory = join(root, 'demo');
      await runCommand(process.execPath, ['-r', '@swc-node/register', 'scripts/demo.ts', directory], {
        cwd: REPOSITORY_ROOT,
        env: { PATH: bin },
        timeoutMs: 3 * 60 * 1000,
      });
      const manifests = join(directory, DEMO_LAYOUT.manifestRepository);
      expect(Object.keys(await branchTips(manifests)).sort()).toEqual(DEMO_SERVICES.map((s) => `${s}/develop`).sort());
      expect(await showFile(manifests, `${DEMO_SERVICES[0]}/develop`, 'manifest.yaml')).toContain('kind: Deployment');
      expect(readdirSync(bin)).not.toEqual(expect.arrayContaining(['kubectl']));
      expect(readdirSync(bin)).not.toEqual(expect.arrayContaining(['kustomize']));
    } finally {
      removeTempDir(root);
    }
  });
});
