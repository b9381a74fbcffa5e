/**
 * Builds the publishable package into dist/packages/nx-gitops: compiles the TypeScript sources and copies
 * the manifests (package.json, generators.json, executors.json, migrations.json), the README, every schema.json and every
 * generator template folder.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';

const root = join(__dirname, '..');
const packageRoot = join(root, 'packages/nx-gitops');
const outDir = join(root, 'dist/packages/nx-gitops');

function copyAssets(dir: string): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry === 'files') {
        cpSync(path, join(outDir, relative(packageRoot, path)), { recursive: true });
      } else if (entry !== '__fixtures__') {
        copyAssets(path);
      }
    } else if (entry.endsWith('.json')) {
      const target = join(outDir, relative(packageRoot, path));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}

rmSync(outDir, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(packageRoot, 'tsconfig.lib.json')], {
  stdio: 'inherit',
});
for (const file of ['package.json', 'generators.json', 'executors.json', 'migrations.json']) {
  cpSync(join(packageRoot, file), join(outDir, file));
}
if (existsSync(join(root, 'README.md'))) cpSync(join(root, 'README.md'), join(outDir, 'README.md'));
copyAssets(join(packageRoot, 'src'));
console.log(`Built nx-gitops into ${relative(root, outDir)}`);
