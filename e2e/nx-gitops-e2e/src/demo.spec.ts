/** `npm run demo` (without its build step, which `ensurePluginBuilt` covers) on a fresh directory. */
import { join } from 'node:path';
import { runCommand } from '../../../packages/nx-gitops/src/lib/exec';
import { DEMO_LAYOUT, DEMO_SERVICES } from '../../../scripts/demo';
import { REPOSITORY_ROOT, branchTips, ensurePluginBuilt, git, imagesIn, makeTempDir, removeTempDir, showFile } from './harness';

jest.setTimeout(4 * 60 * 1000);

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
});
