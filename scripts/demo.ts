/**
 * `npm run demo`: the whole nx-gitops loop on this machine, offline except for the package registry.
 * Packs the built plugin, creates a throw-away Nx workspace that installs it, scaffolds two services,
 * publishes them with `nx affected -t publish-manifest` to a local bare manifest repository, then shows the
 * branches, one rendered manifest, and where everything is.
 *
 * Usage: `npm run demo [-- <empty or new directory>]` (default: a new directory in the system temp dir).
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GitopsError, describeError } from '../packages/nx-gitops/src/lib/errors';
import {
  branchTips,
  createBareRepository,
  createFixtureWorkspace,
  ensurePluginBuilt,
  git,
  makeTempDir,
  packPlugin,
  type FixtureWorkspace,
} from '../e2e/nx-gitops-e2e/src/harness';

/** The Nx version of the demo workspace. */
export const DEMO_NX_VERSION = '23.2.1';

/** The services the demo scaffolds; the manifest of the first is printed. */
export const DEMO_SERVICES = ['frontend', 'backend'] as const;

/** Where the demo puts things inside its directory. */
export const DEMO_LAYOUT = { workspace: 'workspace', manifestRepository: 'manifests.git' } as const;

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

async function nx(workspace: FixtureWorkspace, args: string[]): Promise<void> {
  say(`  $ nx ${args.join(' ')}`);
  await workspace.nx(args);
}

function demoDirectory(argument: string | undefined): string {
  if (!argument) return makeTempDir('nx-gitops-demo-');
  const directory = resolve(argument);
  if (existsSync(directory) && readdirSync(directory).length > 0) {
    throw new GitopsError(`The demo directory ${directory} is not empty.`, {
      hint: 'Give a new or empty directory: npm run demo -- <directory>, or none for a new one in the temp dir.',
    });
  }
  mkdirSync(directory, { recursive: true });
  return directory;
}

async function main(): Promise<void> {
  const directory = demoDirectory(process.argv[2]);
  const manifests = join(directory, DEMO_LAYOUT.manifestRepository);
  const [shown] = DEMO_SERVICES;

  say('nx-gitops demo');
  say(`1. Packing the plugin and creating an Nx ${DEMO_NX_VERSION} workspace that installs it`);
  await ensurePluginBuilt();
  const tarball = await packPlugin(directory);
  const workspace = await createFixtureWorkspace({
    root: join(directory, DEMO_LAYOUT.workspace),
    nxVersion: DEMO_NX_VERSION,
    pluginTarball: tarball,
  });
  const firstCommit = await workspace.head();
  await createBareRepository(manifests);

  say('2. Registering the plugin and scaffolding two services');
  await nx(workspace, ['g', 'nx-gitops:init', `--manifestRepository=file://${manifests}`, '--no-interactive']);
  for (const service of DEMO_SERVICES) {
    await nx(workspace, ['g', 'nx-gitops:service', service, '--no-interactive']);
  }
  await workspace.commitAll(`Services ${DEMO_SERVICES.join(' and ')}`);

  say('3. Publishing what the commit touched');
  await nx(workspace, ['affected', '-t', 'publish-manifest', `--base=${firstCommit}`, '--head=HEAD']);

  say();
  say('Branches of the manifest repository:');
  for (const branch of Object.keys(await branchTips(manifests)).sort()) {
    say(`  ${branch}  ${await git(manifests, ['log', '-1', '--format=%h %s', branch])}`);
  }
  say();
  say(`manifest.yaml on ${shown}/develop:`);
  say(indent(await git(manifests, ['show', `${shown}/develop:manifest.yaml`])));
  say();
  say('Where everything is:');
  say(`  workspace            ${workspace.root}`);
  say(`  rendered manifests   ${join(workspace.root, 'dist/manifests')}`);
  say(`  manifest repository  ${manifests}`);
  say(`  packed plugin        ${tarball}`);
  say();
  say('Try next:');
  say(`  cd ${workspace.root} && npx nx show project ${shown}`);
  say(`  git --git-dir=${manifests} log --stat ${shown}/develop`);
  say(`Remove it all with: rm -rf ${directory}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`npm run demo failed: ${describeError(error)}\n`);
    process.exitCode = 1;
  });
}
