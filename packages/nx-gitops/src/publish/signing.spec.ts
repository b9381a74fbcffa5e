import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../lib/exec';
import { startGitHttpServer } from '../testing/git-http-server';
import { branchLog, branchTip, createPublishSandbox, git, writeRenderOutput, type PublishSandbox } from '../testing/publish-fixtures';
import type { PublishManifestOptions } from './options';
import { publishManifests } from './publish-manifests';
import type { PublishTarget } from './request';

jest.setTimeout(60_000);

const EMAIL = 'release-bot@example.com';

function target(project: string, environment: string, options: PublishManifestOptions): PublishTarget {
  return { id: `${project}:publish-manifest:${environment}`, project, configuration: environment, options: { authorName: 'Release Bot', authorEmail: EMAIL, ...options } };
}

/** `git verify-commit` in the bare repository, trusting only `allowedSigners` for ssh signatures. */
async function verifyCommit(options: { remote: string; commit: string; allowedSigners?: string }) {
  const config = options.allowedSigners ? ['-c', `gpg.ssh.allowedSignersFile=${options.allowedSigners}`] : [];
  return runCommand('git', ['--git-dir', options.remote, ...config, 'verify-commit', '--raw', options.commit], { allowFailure: true });
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('signed commits (sign: ssh) with a throw-away ed25519 key, verified by git verify-commit against an allowed signers file', () => {
  let sandbox: PublishSandbox;
  let keyFile: string;
  let allowedSigners: string;
  let otherSigners: string;

  beforeEach(async () => {
    sandbox = await createPublishSandbox();
    const keys = join(sandbox.dir, 'keys');
    mkdirSync(keys);
    keyFile = join(keys, 'signing_ed25519');
    await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'throw-away', '-f', keyFile]);
    await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'other', '-f', join(keys, 'other_ed25519')]);
    allowedSigners = join(keys, 'allowed_signers');
    writeFileSync(allowedSigners, `${EMAIL} ${readFileSync(`${keyFile}.pub`, 'utf8')}`);
    otherSigners = join(keys, 'other_signers');
    writeFileSync(otherSigners, `${EMAIL} ${readFileSync(join(keys, 'other_ed25519.pub'), 'utf8')}`);
  });
  afterEach(() => sandbox.cleanup());

  const publish = (targets: PublishTarget[]) =>
    publishManifests({ workspaceRoot: sandbox.workspace, targets, env: {}, cacheRoot: sandbox.cacheRoot, sleep: async () => undefined });

  it('signs every commit of a batch (and the second commit on a branch), each verified; the report says signed: ssh and never names the key', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'api', environment: 'production', manifest: 'kind: A\n' });
    writeRenderOutput({ workspace: sandbox.workspace, project: 'web', environment: 'production', manifest: 'kind: B\n' });
    const options = { manifestRepository: sandbox.remote, sign: 'ssh', signingKey: keyFile } as const;
    const first = await publish([target('api', 'production', options), target('web', 'production', options)]);
    expect(first.outcomes.map((outcome) => [outcome.project, outcome.status, outcome.signed])).toEqual([
      ['api', 'created', 'ssh'],
      ['web', 'created', 'ssh'],
    ]);
    writeRenderOutput({ workspace: sandbox.workspace, project: 'api', environment: 'production', manifest: 'kind: A2\n' });
    const second = await publish([target('api', 'production', options)]);
    expect(second.outcomes[0]).toMatchObject({ status: 'updated', signed: 'ssh' });

    const commits = [...(await branchLog(sandbox.remote, 'api/production')), ...(await branchLog(sandbox.remote, 'web/production'))];
    expect(commits).toHaveLength(3);
    for (const { sha } of commits) {
      const verified = await verifyCommit({ remote: sandbox.remote, commit: sha, allowedSigners });
      expect(verified.exitCode).toBe(0);
      expect(verified.stderr).toContain(`Good "git" signature for ${EMAIL}`);
      // Another key for the same e-mail is not trusted: the check can fail.
      expect((await verifyCommit({ remote: sandbox.remote, commit: sha, allowedSigners: otherSigners })).exitCode).not.toBe(0);
    }
    const report = readFileSync(second.reportPath, 'utf8');
    expect(JSON.parse(report).entries.map((entry: { project: string; signed?: string }) => [entry.project, entry.signed])).toEqual([
      ['api', 'ssh'],
      ['web', 'ssh'],
    ]);
    // Neither the key's path nor its folder reaches a commit object or the report.
    const raw = await git(sandbox.remote, ['--git-dir', sandbox.remote, 'cat-file', 'commit', commits[0].sha]);
    expect(raw).toContain('gpgsig -----BEGIN SSH SIGNATURE-----');
    for (const text of [raw, report]) expect(text).not.toContain(join(sandbox.dir, 'keys'));
  });

  it('signs over smart HTTP with NX_GITOPS_TOKEN too: the signing settings follow the credentials\' GIT_CONFIG entries', async () => {
    const token = 'signing-test-token-7f3a';
    const server = await startGitHttpServer({ projectRoot: sandbox.dir, password: token });
    try {
      writeRenderOutput({ workspace: sandbox.workspace, project: 'api', environment: 'production', manifest: 'kind: A\n' });
      const result = await publishManifests({
        workspaceRoot: sandbox.workspace,
        targets: [target('api', 'production', { manifestRepository: `${server.baseUrl}/manifests.git`, sign: 'ssh', signingKey: keyFile })],
        env: { NX_GITOPS_TOKEN: token },
        cacheRoot: sandbox.cacheRoot,
      });
      expect(result.outcomes[0]).toMatchObject({ status: 'created', signed: 'ssh' });
      expect(server.acceptedRequests()).toBeGreaterThan(0);
      const tip = (await branchTip(sandbox.remote, 'api/production'))!;
      expect((await verifyCommit({ remote: sandbox.remote, commit: tip, allowedSigners })).exitCode).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('takes the key from git\'s user.signingkey of the workspace when signingKey is not set', async () => {
    await git(sandbox.workspace, ['config', 'user.signingkey', keyFile]);
    writeRenderOutput({ workspace: sandbox.workspace, project: 'api', environment: 'production', manifest: 'kind: A\n' });
    const result = await publish([target('api', 'production', { manifestRepository: sandbox.remote, sign: 'ssh' })]);
    expect(result.outcomes[0]).toMatchObject({ status: 'created', signed: 'ssh' });
    const tip = (await branchTip(sandbox.remote, 'api/production'))!;
    expect((await verifyCommit({ remote: sandbox.remote, commit: tip, allowedSigners })).exitCode).toBe(0);
  });

  it('signs the hydrator notes commit of promotion next too', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'api', environment: 'production', manifest: 'kind: A\n' });
    const signed = { manifestRepository: sandbox.remote, sign: 'ssh', signingKey: keyFile } as const;
    await publish([target('api', 'production', signed)]);
    await publish([target('api', 'production', { ...signed, promotion: 'next' })]);
    // A new source commit with an unchanged render: only a note is written.
    writeFileSync(join(sandbox.workspace, 'other.txt'), 'x\n');
    await git(sandbox.workspace, ['add', 'other.txt']);
    await git(sandbox.workspace, ['commit', '--quiet', '-m', 'unrelated']);
    const noted = await publish([target('api', 'production', { ...signed, promotion: 'next' })]);
    expect(noted.outcomes[0]).toMatchObject({ status: 'unchanged', noted: expect.any(String) });
    expect(noted.outcomes[0].signed).toBeUndefined();
    const notesTip = (await git(sandbox.remote, ['--git-dir', sandbox.remote, 'rev-parse', 'refs/notes/hydrator.metadata'])).trim();
    expect((await verifyCommit({ remote: sandbox.remote, commit: notesTip, allowedSigners })).exitCode).toBe(0);
  });

  it('leaves commits unsigned without the option (verify-commit fails: the check can tell)', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'api', environment: 'production', manifest: 'kind: A\n' });
    const result = await publish([target('api', 'production', { manifestRepository: sandbox.remote })]);
    expect(result.outcomes[0].signed).toBeUndefined();
    const tip = (await branchTip(sandbox.remote, 'api/production'))!;
    expect((await verifyCommit({ remote: sandbox.remote, commit: tip, allowedSigners })).exitCode).not.toBe(0);
  });

  it.each([
    ['no key configured', () => ({}), /no signing key is configured/, /"signingKey" option/],
    ['a key file that does not exist', (dir: string) => ({ signingKey: join(dir, 'keys', 'missing_ed25519') }), /key file named by the "signingKey" option does not exist/, /"signingKey"/],
  ])('refuses sign: ssh with %s before anything is pushed, naming the option and not the path', async (_name, extra, message, hint) => {
    // The test's HOME has no git config: no user.signingkey falls through from outside.
    const home = join(sandbox.dir, 'home');
    mkdirSync(home);
    const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, GIT_CONFIG_NOSYSTEM: process.env.GIT_CONFIG_NOSYSTEM };
    Object.assign(process.env, { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1' });
    try {
      writeRenderOutput({ workspace: sandbox.workspace, project: 'api', environment: 'production', manifest: 'kind: A\n' });
      writeRenderOutput({ workspace: sandbox.workspace, project: 'web', environment: 'production', manifest: 'kind: B\n' });
      const result = await publish([
        target('api', 'production', { manifestRepository: sandbox.remote, sign: 'ssh', ...extra(sandbox.dir) }),
        target('web', 'production', { manifestRepository: sandbox.remote }),
      ]);
      const api = result.outcomes.find((outcome) => outcome.project === 'api')!;
      expect(api.status).toBe('failed');
      expect(api.error).toMatch(message);
      expect(api.error).toMatch(hint);
      expect(api.error).not.toContain(join(sandbox.dir, 'keys'));
      expect(await branchTip(sandbox.remote, 'api/production')).toBeNull();
      // The refusal is the target's own: the unsigned target still publishes.
      expect(result.outcomes.find((outcome) => outcome.project === 'web')!.status).toBe('created');
      expect(readFileSync(result.reportPath, 'utf8')).not.toContain(join(sandbox.dir, 'keys'));
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('masks the key path in a signing failure (a file that is not a key) and pushes nothing', async () => {
    const bogus = join(sandbox.dir, 'keys', 'not-a-key');
    writeFileSync(bogus, 'not a key\n');
    writeRenderOutput({ workspace: sandbox.workspace, project: 'api', environment: 'production', manifest: 'kind: A\n' });
    const result = await publish([target('api', 'production', { manifestRepository: sandbox.remote, sign: 'ssh', signingKey: bogus })]);
    expect(result.outcomes[0].status).toBe('failed');
    expect(result.outcomes[0].error).toMatch(/commit-tree -S/);
    expect(result.outcomes[0].error).not.toContain(bogus);
    expect(await branchTip(sandbox.remote, 'api/production')).toBeNull();
    for (const file of filesUnder(join(sandbox.workspace, 'dist'))) expect(readFileSync(file, 'utf8')).not.toContain(bogus);
  });
});

/** True when gpg can run here (it is not on every machine). */
async function hasGpg(): Promise<boolean> {
  const result = await runCommand('gpg', ['--version'], { allowFailure: true }).catch(() => null);
  return result !== null && result.exitCode === 0;
}

describe('signed commits (sign: gpg) with a throw-away key in a private GNUPGHOME', () => {
  let sandbox: PublishSandbox;
  let gpgAvailable = false;
  let savedHome: string | undefined;

  beforeAll(async () => {
    gpgAvailable = await hasGpg();
  });
  beforeEach(async () => {
    sandbox = await createPublishSandbox();
    savedHome = process.env.GNUPGHOME;
    const gnupgHome = join(sandbox.dir, 'gnupg');
    mkdirSync(gnupgHome, { mode: 0o700 });
    process.env.GNUPGHOME = gnupgHome;
  });
  afterEach(async () => {
    if (gpgAvailable) await runCommand('gpgconf', ['--kill', 'gpg-agent'], { allowFailure: true }).catch(() => undefined);
    if (savedHome === undefined) delete process.env.GNUPGHOME;
    else process.env.GNUPGHOME = savedHome;
    sandbox.cleanup();
  });

  it('signs with the gpg key named by signingKey and git verify-commit accepts it; a key gpg lacks is refused', async () => {
    if (!gpgAvailable) {
      console.warn('Skipped: gpg is not on PATH on this machine, so sign: gpg cannot be exercised.');
      return;
    }
    const batch = ['%no-protection', 'Key-Type: eddsa', 'Key-Curve: ed25519', 'Key-Usage: sign', `Name-Real: Release Bot`, `Name-Email: ${EMAIL}`, 'Expire-Date: 0', '%commit', ''].join('\n');
    await runCommand('gpg', ['--batch', '--gen-key'], { input: batch });
    const listing = await runCommand('gpg', ['--batch', '--list-secret-keys', '--with-colons', EMAIL]);
    const fingerprint = listing.stdout.split('\n').find((line) => line.startsWith('fpr:'))!.split(':')[9];
    writeRenderOutput({ workspace: sandbox.workspace, project: 'api', environment: 'production', manifest: 'kind: A\n' });
    const publish = (options: PublishManifestOptions) =>
      publishManifests({ workspaceRoot: sandbox.workspace, targets: [target('api', 'production', { manifestRepository: sandbox.remote, ...options })], env: {}, cacheRoot: sandbox.cacheRoot });

    const missing = await publish({ sign: 'gpg', signingKey: 'nobody@example.invalid' });
    expect(missing.outcomes[0].status).toBe('failed');
    expect(missing.outcomes[0].error).toMatch(/gpg holds no secret key for the key named by the "signingKey" option/);
    expect(await branchTip(sandbox.remote, 'api/production')).toBeNull();

    const result = await publish({ sign: 'gpg', signingKey: fingerprint });
    expect(result.outcomes[0]).toMatchObject({ status: 'created', signed: 'gpg' });
    const tip = (await branchTip(sandbox.remote, 'api/production'))!;
    const verified = await verifyCommit({ remote: sandbox.remote, commit: tip });
    expect(verified.exitCode).toBe(0);
    expect(verified.stderr).toContain(`VALIDSIG ${fingerprint}`);
  });
});
