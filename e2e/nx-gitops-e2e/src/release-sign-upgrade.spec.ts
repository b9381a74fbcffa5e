/**
 * Issue #14, items 5–7, as users run them through Nx with the packed plugin: render takes the image `nx release`
 * tagged (`images: nx-release`) and the Nx cache never replays a render made for an older release;
 * publish-manifest signs its commits with an ssh key (checked by `git verify-commit` against an allowed signers
 * file); and `nx migrate --run-migrations` runs the plugin's migrations from the packed package.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../../packages/nx-gitops/src/lib/exec';
import { createBareRepository, createFixtureWorkspace, ensurePluginBuilt, makeTempDir, packPlugin, removeTempDir, showFile, type FixtureWorkspace } from './harness';

jest.setTimeout(5 * 60 * 1000);

const NX_VERSION = '23.2.1';
const VERSION_FILE = 'tmp/services/api/.docker-version';
const MANIFEST = 'dist/manifests/api/production/manifest.yaml';
const SIGNER = 'release-bot@example.com';

describe(`nx release images, signed commits and migrations in an Nx ${NX_VERSION} workspace`, () => {
  let sandbox: string | undefined;
  let workspace: FixtureWorkspace;
  let manifests: string;

  const renderProduction = (env: Record<string, string> = {}, allowFailure = false) =>
    workspace.nx(['run', 'api:render:production', '--outputStyle=static'], { env, allowFailure });

  beforeAll(async () => {
    await ensurePluginBuilt();
    sandbox = makeTempDir('nx-gitops-e2e-release-');
    const tarball = await packPlugin(sandbox);
    manifests = join(sandbox, 'manifests.git');
    await createBareRepository(manifests);
    workspace = await createFixtureWorkspace({ root: join(sandbox, 'workspace'), nxVersion: NX_VERSION, pluginTarball: tarball });
    await workspace.nx(['g', 'nx-gitops:init', `--manifestRepository=file://${manifests}`, '--no-interactive']);
    await workspace.nx(['g', 'nx-gitops:service', 'api', '--no-interactive']);
    // @nx/docker's tmp/ is git-ignored, as in every Nx workspace.
    workspace.writeFile('.gitignore', `${workspace.readFile('.gitignore')}tmp\n`);
    const nxJson = JSON.parse(workspace.readFile('nx.json'));
    nxJson.targetDefaults = { ...nxJson.targetDefaults, render: { options: { images: 'nx-release' } } };
    workspace.writeFile('nx.json', `${JSON.stringify(nxJson, null, 2)}\n`);
    await workspace.commitAll('api renders the image nx release tagged');
  });

  afterAll(() => removeTempDir(sandbox));

  it('renders the image @nx/docker wrote, renders again (no cache replay) after a new release, and replays only an unchanged one', async () => {
    const missing = await renderProduction({}, true);
    expect(missing.exitCode).not.toBe(0);
    expect(`${missing.stdout}\n${missing.stderr}`).toContain('the "images" option is "nx-release", but nx release wrote no image reference');

    workspace.writeFile(VERSION_FILE, 'registry.example.com/services-api:2412.01.aaaaaaa');
    await renderProduction();
    expect(workspace.readFile(MANIFEST)).toContain('image: registry.example.com/services-api:2412.01.aaaaaaa\n');

    workspace.writeFile(VERSION_FILE, 'registry.example.com/services-api:2412.02.bbbbbbb');
    const second = await renderProduction();
    expect(second.stdout).not.toContain('local cache');
    expect(workspace.readFile(MANIFEST)).toContain('image: registry.example.com/services-api:2412.02.bbbbbbb\n');

    const replay = await renderProduction();
    expect(replay.stdout).toContain('local cache');
    expect(workspace.readFile(MANIFEST)).toContain('image: registry.example.com/services-api:2412.02.bbbbbbb\n');

    const fromEnv = await renderProduction({ NX_DOCKER_IMAGE_REF: 'registry.example.com/services-api:from-env' });
    expect(fromEnv.stdout).not.toContain('local cache');
    expect(workspace.readFile(MANIFEST)).toContain('image: registry.example.com/services-api:from-env\n');
  });

  it('publishes a commit signed with a throw-away ssh key that git verify-commit accepts, and the report says so', async () => {
    const keys = join(sandbox!, 'keys');
    mkdirSync(keys);
    const key = join(keys, 'release_ed25519');
    await runCommand('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'throw-away', '-f', key]);
    const allowedSigners = join(keys, 'allowed_signers');
    writeFileSync(allowedSigners, `${SIGNER} ${readFileSync(`${key}.pub`, 'utf8')}`);

    await workspace.nx(['run', 'api:publish-manifest:production', '--sign=ssh', `--signingKey=${key}`, `--authorEmail=${SIGNER}`, '--outputStyle=static']);

    expect(await showFile(manifests, 'api/production', 'manifest.yaml')).toContain('image: registry.example.com/services-api:2412.02.bbbbbbb');
    const verified = await runCommand('git', ['--git-dir', manifests, '-c', `gpg.ssh.allowedSignersFile=${allowedSigners}`, 'verify-commit', 'refs/heads/api/production'], { allowFailure: true });
    expect(verified.exitCode).toBe(0);
    expect(verified.stderr).toContain(`Good "git" signature for ${SIGNER}`);
    const report = workspace.readFile('dist/manifests/publish-report.json');
    expect(JSON.parse(report).entries).toEqual([expect.objectContaining({ project: 'api', environment: 'production', status: 'created', signed: 'ssh' })]);
    expect(report).not.toContain(keys);
  });

  it('runs the packed plugin\'s migrations with nx migrate --run-migrations, and the graph loads with what they wrote', async () => {
    workspace.writeFile('services/api/skaffold.yaml', `${workspace.readFile('services/api/skaffold.yaml')}`.replace(/^kind: Config\n/m, 'kind: Config\nrequires:\n- path: ../../libs/db\n'));
    workspace.writeFile('libs/db/skaffold.yaml', 'apiVersion: skaffold/v4beta11\nkind: Config\nmetadata:\n  name: db\n');
    const names = ['keep-required-profiles-out-of-environments', 'keep-hydrator-metadata-off', 'warn-insecure-token-transport', 'rename-target-names-with-colons', 'notice-publish-bounds'];
    workspace.writeFile('migrations.json', `${JSON.stringify({ migrations: names.map((name) => ({ package: 'nx-gitops', name, version: '0.2.0' })) }, null, 2)}\n`);
    await workspace.commitAll('Upgrade nx-gitops');

    const run = await workspace.nx(['migrate', '--run-migrations'], { env: { NX_MIGRATE_SKIP_INSTALL: 'true', NX_MIGRATE_USE_LOCAL: 'true', NX_MIGRATE_SKIP_REGISTRY_FETCH: 'true' } });

    expect(run.stdout).toContain('nx-gitops: set "propagateProfiles": false');
    const nxJson = JSON.parse(workspace.readFile('nx.json'));
    expect(nxJson.plugins.find((entry: { plugin?: string }) => entry.plugin === 'nx-gitops').options.propagateProfiles).toBe(false);
    expect(nxJson.targetDefaults['publish-manifest'].options.hydratorMetadata).toBe(false);
    expect(nxJson.targetDefaults.render.options.images).toBe('nx-release');
    const project = JSON.parse((await workspace.nx(['show', 'project', 'api', '--json'])).stdout);
    expect(project.targets['publish-manifest'].options.hydratorMetadata).toBe(false);
  });
});
