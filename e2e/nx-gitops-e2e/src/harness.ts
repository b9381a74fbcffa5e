/**
 * End-to-end harness: builds and packs the plugin once, and creates throw-away Nx workspaces that install the
 * packed tarball exactly as a user's workspace installs it from the registry. Every process goes through the
 * plugin's own `runCommand` (no shell); nothing here touches the developer's global git or npm configuration.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCommand, type RunResult } from '../../../packages/nx-gitops/src/lib/exec';

/** The repository root of nx-gitops itself. */
export const REPOSITORY_ROOT = join(__dirname, '../../..');

/** Where `npm run build` writes the publishable package. */
export const PLUGIN_DIST = join(REPOSITORY_ROOT, 'dist/packages/nx-gitops');

/** The Nx versions the plugin promises to work with (peer range `>=22 <25`), one per major. */
export const NX_VERSIONS = ['22.7.8', '23.2.1', '24.0.6'] as const;

/** The identity every fixture commit is made with, so that no test depends on the machine's git config. */
export const GIT_IDENTITY = { name: 'nx-gitops e2e', email: 'e2e@nx-gitops.invalid' } as const;

/** Set to `1` to keep the temp directories of a run for inspection. */
export const KEEP_ENV_VAR = 'NX_GITOPS_E2E_KEEP';

const PLUGIN_SOURCES = join(REPOSITORY_ROOT, 'packages/nx-gitops');
const BUILD_LOCK = join(REPOSITORY_ROOT, 'tmp/e2e-build.lock');
const COMMAND_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * `@nx/devkit` has no release for every `nx` patch (24.x has only 24.0.0), so the fixture pins the devkit
 * release that belongs with the chosen `nx`.
 */
export function devkitVersionFor(nxVersion: string): string {
  return nxVersion.startsWith('24.') ? '24.0.0' : nxVersion;
}

/** Creates a fresh directory under the system temp dir. */
export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a directory made by {@link makeTempDir}, unless `NX_GITOPS_E2E_KEEP=1` asks to keep it. */
export function removeTempDir(dir: string | undefined): void {
  if (!dir) return;
  if (process.env[KEEP_ENV_VAR] === '1') {
    process.stderr.write(`${KEEP_ENV_VAR}=1: keeping ${dir}\n`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The environment of every process started in a fixture: the parent's environment without anything that would
 * make the fixture depend on the caller (Nx and npm variables set by an enclosing `npm test` or `nx` run, git
 * repository overrides, tokens, the manifest repository), plus a fixed git identity, no global git config,
 * and Nx without daemon, cloud, formatting or terminal UI.
 */
export function fixtureEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keptNpmConfig = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const dropped = (name: string) =>
    /^NX_/.test(name) ||
    (/^npm_/i.test(name) && !keptNpmConfig.has(name)) ||
    /^GIT_/.test(name) ||
    name === 'GITHUB_TOKEN' ||
    name === 'INIT_CWD';
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !dropped(name)) env[name] = value;
  }
  return {
    ...env,
    NX_DAEMON: 'false',
    NX_SKIP_FORMAT: 'true',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    NX_CACHE_DIRECTORY: '.nx/cache',
    CI: 'true',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: GIT_IDENTITY.name,
    GIT_AUTHOR_EMAIL: GIT_IDENTITY.email,
    GIT_COMMITTER_NAME: GIT_IDENTITY.name,
    GIT_COMMITTER_EMAIL: GIT_IDENTITY.email,
    ...extra,
  };
}

/**
 * Runs a command in a fixture and fails with the command and the tail of both output streams (Nx reports
 * most errors on stdout, which a plain `CommandError` leaves out).
 */
export async function runInFixture(
  file: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; allowFailure?: boolean },
): Promise<RunResult> {
  const result = await runCommand(file, args, {
    cwd: options.cwd,
    env: fixtureEnv(options.env),
    extendEnv: false,
    allowFailure: true,
    timeoutMs: COMMAND_TIMEOUT_MS,
  });
  if (result.exitCode !== 0 && !options.allowFailure) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-60).join('\n');
    throw new Error(`Exit code ${result.exitCode}: ${[file, ...args].join(' ')}\n(in ${options.cwd})\n${tail}`);
  }
  return result;
}

/** Runs git with the fixture identity and returns its trimmed standard output. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  return (await runInFixture('git', args, { cwd })).stdout.trim();
}

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.endsWith('.spec.ts')) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether `dist/packages/nx-gitops` was built after the last change to the plugin's sources. */
export function isPluginBuildFresh(): boolean {
  const builtManifest = join(PLUGIN_DIST, 'package.json');
  if (!existsSync(builtManifest) || !existsSync(join(PLUGIN_DIST, 'src/index.js'))) return false;
  return statSync(builtManifest).mtimeMs >= newestSourceMtime(PLUGIN_SOURCES);
}

async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(BUILD_LOCK), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch (error) {
      const stale = existsSync(BUILD_LOCK) && Date.now() - statSync(BUILD_LOCK).mtimeMs > COMMAND_TIMEOUT_MS;
      if (stale) rmSync(BUILD_LOCK, { recursive: true, force: true });
      else if (attempt > 600) throw error;
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

/**
 * Runs `npm run build` unless `dist/packages/nx-gitops` is already newer than every source file
 * (`npm test` builds right before jest, so there it costs nothing). Specs running side by side build once.
 */
export async function ensurePluginBuilt(): Promise<void> {
  if (isPluginBuildFresh()) return;
  await withBuildLock(async () => {
    if (!isPluginBuildFresh()) {
      await runInFixture('npm', ['run', 'build'], { cwd: REPOSITORY_ROOT });
    }
  });
}

/** Packs the built plugin with `npm pack` into `destination` and returns the tarball's absolute path. */
export async function packPlugin(destination: string): Promise<string> {
  const { stdout } = await runInFixture('npm', ['pack', '--json', '--pack-destination', destination], { cwd: PLUGIN_DIST });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
  return join(destination, packed.filename);
}

/** A throw-away Nx workspace with git history, and the commands a user runs in it. */
export interface FixtureWorkspace {
  readonly root: string;
  readonly nxVersion: string;
  /** Runs the workspace's own `node_modules/.bin/nx`. */
  nx(args: readonly string[], options?: { env?: Record<string, string>; allowFailure?: boolean }): Promise<RunResult>;
  /** Runs git in the workspace and returns its trimmed output. */
  git(args: readonly string[]): Promise<string>;
  /** Stages everything and commits; returns the new commit's full sha. */
  commitAll(message: string): Promise<string>;
  /** `git rev-parse [--short] HEAD`. */
  head(options?: { short?: boolean }): Promise<string>;
  readFile(path: string): string;
  writeFile(path: string, content: string): void;
}

/** Opens an existing workspace directory (one made by {@link createFixtureWorkspace}). */
export function openFixtureWorkspace(root: string, nxVersion: string): FixtureWorkspace {
  const nxBinary = join(root, 'node_modules/.bin/nx');
  return {
    root,
    nxVersion,
    nx: (args, options = {}) => runInFixture(nxBinary, args, { cwd: root, env: options.env, allowFailure: options.allowFailure }),
    git: (args) => git(root, args),
    async commitAll(message) {
      await git(root, ['add', '-A']);
      await git(root, ['commit', '-q', '--no-verify', '-m', message]);
      return git(root, ['rev-parse', 'HEAD']);
    },
    head: (options = {}) => git(root, ['rev-parse', ...(options.short ? ['--short'] : []), 'HEAD']),
    readFile: (path) => readFileSync(join(root, path), 'utf8'),
    writeFile(path, content) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    },
  };
}

/**
 * Creates a workspace in `root` (which must not exist yet): a `package.json` pinning `nx` and its devkit (and
 * the plugin tarball as a `file:` dependency when `pluginTarball` is given), an `nx.json` with analytics off,
 * `npm install` from the local cache where it can, and a git repository whose first commit holds all of it.
 */
export async function createFixtureWorkspace(options: {
  root: string;
  nxVersion: string;
  pluginTarball?: string;
}): Promise<FixtureWorkspace> {
  const { root, nxVersion, pluginTarball } = options;
  mkdirSync(root, { recursive: false });
  const devDependencies: Record<string, string> = { nx: nxVersion, '@nx/devkit': devkitVersionFor(nxVersion) };
  if (pluginTarball) devDependencies['nx-gitops'] = `file:${pluginTarball}`;
  const packageJson = { name: 'gitops-fixture', version: '0.0.0', private: true, devDependencies };
  writeFileSync(join(root, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  writeFileSync(join(root, 'nx.json'), `${JSON.stringify({ analytics: false, defaultBase: 'main' }, null, 2)}\n`);
  writeFileSync(join(root, '.gitignore'), 'node_modules\ndist\n.nx\n');
  await runInFixture('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: root });
  await git(root, ['init', '-q', '-b', 'main']);
  const workspace = openFixtureWorkspace(root, nxVersion);
  await workspace.commitAll('Workspace with Nx');
  return workspace;
}

/** Creates an empty bare repository at `path` to publish manifests to. */
export async function createBareRepository(path: string): Promise<void> {
  await git(dirname(path), ['init', '-q', '--bare', '-b', 'main', path]);
}

/** Every branch of a repository and the commit it points at. */
export async function branchTips(repository: string): Promise<Record<string, string>> {
  const out = await git(repository, ['for-each-ref', '--format=%(refname:strip=2) %(objectname)', 'refs/heads']);
  const tips: Record<string, string> = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const [branch, sha] = line.split(' ');
    tips[branch] = sha;
  }
  return tips;
}

/** The content of `path` on `branch` of `repository` (`git show branch:path`), without its final newline. */
export async function showFile(repository: string, branch: string, path: string): Promise<string> {
  return (await runInFixture('git', ['show', `${branch}:${path}`], { cwd: repository })).stdout;
}

/** The blob id of `path` on `branch`: equal to {@link hashFile} of a local file exactly when the bytes are. */
export async function blobId(repository: string, branch: string, path: string): Promise<string> {
  return git(repository, ['rev-parse', `${branch}:${path}`]);
}

/** The blob id git gives a local file's bytes (`git hash-object`). */
export async function hashFile(file: string): Promise<string> {
  return git(dirname(file), ['hash-object', '--no-filters', file]);
}

/** Every `image:` value in a multi-document manifest, in order. */
export function imagesIn(manifest: string): string[] {
  return [...manifest.matchAll(/^\s*(?:-\s+)?image:\s*["']?([^"'\s]+)["']?\s*$/gm)].map((match) => match[1]);
}
