import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCommand } from '../lib/exec';
import type { GitopsLogger } from '../lib/log';
import { commitToBareBranch, createPublishSandbox, readBranchFile, writeRenderOutput, type PublishSandbox } from '../testing/publish-fixtures';
import { publishManifests } from './publish-manifests';
import { machineLockPath } from './publisher';
import type { PublishTarget } from './request';

jest.setTimeout(60_000);

describe('a cache left behind by a killed publish heals itself', () => {
  let sandbox: PublishSandbox;
  let lines: string[];

  beforeEach(async () => {
    sandbox = await createPublishSandbox();
    lines = [];
  });
  afterEach(() => sandbox.cleanup());

  async function publish(version: number) {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: `v: ${version}\n` });
    const target: PublishTarget = { id: 'foo', project: 'foo', configuration: 'production', options: { manifestRepository: sandbox.remoteUrl } };
    const push = (message: string) => void lines.push(message);
    const logger: GitopsLogger = { info: push, warn: (message) => push(`WARN ${message}`), error: push, verbose: push };
    return publishManifests({ workspaceRoot: sandbox.workspace, targets: [target], env: {}, cacheRoot: sandbox.cacheRoot, sleep: async () => undefined, loggerFor: () => logger });
  }

  function cacheDir(): string {
    const [entry] = readdirSync(sandbox.cacheRoot).filter((name) => name.endsWith('.git'));
    return join(sandbox.cacheRoot, entry);
  }

  function leaveLock(path: string, ageSeconds: number): void {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '');
    const when = Date.now() / 1000 - ageSeconds;
    utimesSync(path, when, when);
  }

  it('removes the git lock files a SIGKILLed git left, with a warning, and publishes', async () => {
    expect((await publish(1)).success).toBe(true);
    const dir = cacheDir();
    const locks = ['shallow.lock', 'index.lock', 'packed-refs.lock', 'refs/nx-gitops/123-dead/foo/production.lock'].map((name) => join(dir, name));
    for (const lock of locks) leaveLock(lock, 3600);
    // The branch moved elsewhere, so this publish must fetch, which needs the shallow file and the ref locks.
    await commitToBareBranch({ remote: sandbox.remote, branch: 'foo/production', files: { 'manifest.yaml': 'moved' }, message: 'moved' });
    const result = await publish(2);
    expect(result.outcomes[0]).toMatchObject({ status: 'updated' });
    expect(await readBranchFile(sandbox.remote, 'foo/production', 'manifest.yaml')).toBe('v: 2');
    for (const lock of locks) expect(existsSync(lock)).toBe(false);
    const warnings = lines.filter((line) => line.startsWith('WARN '));
    expect(warnings.join('\n')).toContain('shallow.lock');
    expect(warnings.join('\n')).toContain('left by a git process that no longer runs');
  });

  it.each([
    ['a config git cannot parse', (dir: string) => writeFileSync(join(dir, 'config'), '[core\n\tbare = \n[[[\n')],
    ['a missing HEAD', (dir: string) => rmSync(join(dir, 'HEAD'))],
    ['a missing object store', (dir: string) => rmSync(join(dir, 'objects'), { recursive: true, force: true })],
    ['a damaged shallow file', (dir: string) => writeFileSync(join(dir, 'shallow'), 'garbage\n')],
    ['a damaged packed-refs file', (dir: string) => writeFileSync(join(dir, 'packed-refs'), '# pack-refs with: peeled fully-peeled sorted\n3f2a\0\0\n')],
  ])('recreates a cache repository with %s, with a warning', async (_, corrupt) => {
    expect((await publish(1)).success).toBe(true);
    corrupt(cacheDir());
    const result = await publish(2);
    expect(result.outcomes[0]).toMatchObject({ status: 'updated' });
    expect(await readBranchFile(sandbox.remote, 'foo/production', 'manifest.yaml')).toBe('v: 2');
    expect(lines.filter((line) => line.startsWith('WARN ')).join('\n')).toContain('recreated');
    expect(readdirSync(sandbox.cacheRoot).filter((name) => name.endsWith('.git'))).toHaveLength(1);
  });
});

describe('machineLockPath', () => {
  it('keeps the lock folder per user, readable by that user only', () => {
    const path = machineLockPath('https://git.example.com/m.git');
    const dir = join(path, '..');
    expect(dir).toContain(String(process.getuid?.() ?? ''));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(dir).uid).toBe(process.getuid?.());
  });

  // The second user runs this checkout's sources, so every folder above it must let other users through.
  const repositoryRoot = join(__dirname, '../../../..');
  const othersCanEnter = (dir: string): boolean => (statSync(dir).mode & 0o001) !== 0 && (dirname(dir) === dir || othersCanEnter(dirname(dir)));
  const asRoot = process.getuid?.() === 0 && othersCanEnter(repositoryRoot) ? it : it.skip;
  if (process.getuid?.() === 0 && !othersCanEnter(repositoryRoot)) {
    process.stderr.write(`skipping the second-OS-user lock test: ${repositoryRoot} is not reachable by other users\n`);
  }
  asRoot('lets a second OS user take a lock after the first one created its folder', async () => {
    machineLockPath('https://git.example.com/m.git');
    const script =
      "const { machineLockPath } = require('./packages/nx-gitops/src/publish/publisher');" +
      "const { withFileLock } = require('./packages/nx-gitops/src/publish/file-lock');" +
      "withFileLock({ path: machineLockPath('https://git.example.com/m.git') }, async () => console.log('locked')).catch((e) => { console.error(e.message); process.exit(1); });";
    const result = await runCommand('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-r', '@swc-node/register', '-e', script], {
      cwd: repositoryRoot,
      env: { HOME: tmpdir() },
      allowFailure: true,
    });
    expect(result.stderr).not.toContain('EACCES');
    expect(result.stdout).toBe('locked');
  });

  it('shares one lock between URLs that differ only by their credentials', () => {
    expect(machineLockPath('https://a:one@git.example.com/m.git')).toBe(machineLockPath('https://git.example.com/m.git'));
  });
});
