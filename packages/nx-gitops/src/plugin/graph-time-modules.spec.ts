import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { seedSkaffoldYaml } from '../testing/seed-service';

// Nx loads the plugin in every command's plugin worker and reads each of its exports; what the entry and
// the analysis load is paid on every project-graph computation. These run in a fresh Node process, where
// the module cache shows what was loaded.

let workspaceRoot: string;
beforeEach(() => {
  workspaceRoot = mkdtempSync(join(tmpdir(), 'nx-gitops-modules-'));
});
afterEach(() => rmSync(workspaceRoot, { recursive: true, force: true }));

function write(path: string, text: string) {
  mkdirSync(dirname(join(workspaceRoot, path)), { recursive: true });
  writeFileSync(join(workspaceRoot, path), text);
}

/** Runs `body` in a fresh Node process with the plugin entry as `plugin`; returns the packages and plugin modules it loaded. */
function loadedModules(body: string): { packages: string[]; modules: string[]; ajvFiles: string[] } {
  const script = `
    const plugin = require(${JSON.stringify(join(__dirname, '..', 'index.ts'))});
    (async () => {
      ${body}
      const loaded = Object.keys(require.cache);
      const packages = [...new Set(loaded.filter((file) => file.includes('/node_modules/') && !/@swc|swc-node|pirates|source-map|colorette|oxc|tslib/.test(file)).map((file) => file.split('/node_modules/').pop().split('/').slice(0, file.split('/node_modules/').pop().startsWith('@') ? 2 : 1).join('/')))];
      const modules = loaded.filter((file) => file.startsWith(${JSON.stringify(join(__dirname, '..'))})).map((file) => file.slice(${JSON.stringify(join(__dirname, '..'))}.length + 1));
      const ajvFiles = loaded.filter((file) => file.includes('/node_modules/ajv/')).map((file) => file.split('/node_modules/ajv/').pop());
      process.stdout.write(JSON.stringify({ packages, modules, ajvFiles }));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const result = spawnSync(process.execPath, ['-r', require.resolve('@swc-node/register'), '-e', script], { cwd: workspaceRoot, encoding: 'utf8', env: { ...process.env, NX_WORKSPACE_DATA_DIRECTORY: join(workspaceRoot, '.nx-data') } });
  if (result.status !== 0) throw new Error(`the script failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { packages: string[]; modules: string[]; ajvFiles: string[] };
}

describe('what the plugin loads at graph time', () => {
  it('reading every export of the entry, as Nx does, loads no YAML library and no schema compiler', () => {
    const { packages, modules, ajvFiles } = loadedModules('for (const name of Object.keys(plugin)) void plugin[name]; void { ...plugin };');
    expect(packages.filter((name) => ['js-yaml', 'yaml', 'ajv-formats'].includes(name))).toEqual([]);
    expect(ajvFiles.filter((file) => !file.startsWith('dist/runtime/'))).toEqual([]);
    expect(modules).toContain('generated/plugin-options-validator.ts');
    expect(modules).not.toContain('generated/skaffold-types-validator.ts');
    expect(modules).not.toContain('skaffold/config.ts');
  });

  it('validating the plugin options and a cold analysis compile no schema: only the runtime helpers of Ajv load, beside the validators generated at build time', () => {
    write('services/foo/skaffold.yaml', seedSkaffoldYaml());
    write('services/foo/kubernetes/overlays/develop/kustomization.yaml', 'resources: []\n');
    write('services/foo/kubernetes/overlays/production/kustomization.yaml', 'resources: []\n');
    const { ajvFiles, modules } = loadedModules(`
      const options = { manifestRepository: 'file:///srv/manifests.git', defaultEnvironment: 'develop' };
      await plugin.createNodes[1](['services/foo/skaffold.yaml'], options, { workspaceRoot: process.cwd(), nxJsonConfiguration: {}, configFiles: [] });`);
    expect(modules).toContain('generated/skaffold-types-validator.ts');
    expect(modules).toContain('skaffold/validate-config.ts');
    expect(ajvFiles.length).toBeGreaterThan(0);
    expect(ajvFiles.filter((file) => !file.startsWith('dist/runtime/'))).toEqual([]);
  });

  it('a cold analysis of a kustomize service loads neither the YAML emitter of rendered manifests nor helm rendering', () => {
    write('services/foo/skaffold.yaml', seedSkaffoldYaml());
    write('services/foo/kubernetes/base/kustomization.yaml', 'resources:\n- deployment.yaml\n');
    write('services/foo/kubernetes/base/deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: foo\n');
    write('services/foo/kubernetes/overlays/develop/kustomization.yaml', 'resources:\n- ../../base\n');
    write('services/foo/kubernetes/overlays/production/kustomization.yaml', 'resources:\n- ../../base\n');
    const { packages, modules } = loadedModules(`
      const results = await plugin.createNodes[1](['services/foo/skaffold.yaml'], {}, { workspaceRoot: process.cwd(), nxJsonConfiguration: {}, configFiles: [] });
      const project = results[0][1].projects['services/foo'];
      if (!project.targets.render) throw new Error('no render target inferred');`);
    expect(packages).toContain('js-yaml');
    expect(packages).not.toContain('yaml');
    expect(modules).not.toContain('manifests/yaml.ts');
    expect(modules).not.toContain('helm/binary.ts');
  });
});
