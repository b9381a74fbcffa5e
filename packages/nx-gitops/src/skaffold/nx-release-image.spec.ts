import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import renderExecutor from '../executors/render/executor';
import { runCommand } from '../lib/exec';
import { serviceInputs } from '../plugin/create-nodes';
import type { ServiceAnalysis } from '../plugin/analyze-service';
import { seedServiceFiles } from '../testing/seed-service';
import { NX_DOCKER_IMAGE_REF_ENV, NX_RELEASE_VERSION_FILES_INPUT, nxDockerVersionFile, nxReleaseImageEntry, readNxReleaseImage } from './nx-release-image';

jest.setTimeout(60_000);

const gitEnv = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com' };

let root: string;
let consoleSpies: jest.SpyInstance[];
let savedRef: string | undefined;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nx-gitops-nx-release-'));
  consoleSpies = (['log', 'info', 'warn', 'error'] as const).map((method) => jest.spyOn(console, method).mockImplementation(() => undefined));
  savedRef = process.env[NX_DOCKER_IMAGE_REF_ENV];
  delete process.env[NX_DOCKER_IMAGE_REF_ENV];
});
afterEach(() => {
  consoleSpies.forEach((spy) => spy.mockRestore());
  if (savedRef === undefined) delete process.env[NX_DOCKER_IMAGE_REF_ENV];
  else process.env[NX_DOCKER_IMAGE_REF_ENV] = savedRef;
  rmSync(root, { recursive: true, force: true });
});

function write(path: string, text: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function read(path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

function printed(): string {
  return consoleSpies.flatMap((spy) => spy.mock.calls.map((call) => call.join(' '))).join('\n');
}

async function git(...args: string[]) {
  return (await runCommand('git', args, { cwd: root, env: gitEnv })).stdout;
}

function context(project = 'foo', configurationName = 'production'): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: project,
    targetName: 'render',
    configurationName,
    projectsConfigurations: { version: 2, projects: { foo: { root: 'services/foo' }, shop: { root: 'services/shop' } } },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as unknown as ExecutorContext;
}

/** What @nx/docker's `nx release version` leaves behind: the full reference, no final newline, in tmp/<projectRoot>/.docker-version. */
function releaseWithNxDocker(projectRoot: string, reference: string) {
  write(nxDockerVersionFile(projectRoot), reference);
}

describe('render with images: nx-release (real git, kustomize and the files @nx/docker writes)', () => {
  beforeEach(async () => {
    await git('init', '-q', '-b', 'main');
    for (const [file, text] of Object.entries(seedServiceFiles('foo'))) write(`services/foo/${file}`, text);
    write('.gitignore', '/tmp\n/dist\n');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'services');
  });

  it('takes the reference in tmp/<projectRoot>/.docker-version as the built image of the artifact instead of computing a tag', async () => {
    releaseWithNxDocker('services/foo', 'registry.example.com/services-foo:2412.01.1a2b3c4');
    await expect(renderExecutor({ environment: 'production', images: 'nx-release' }, context())).resolves.toEqual({ success: true });
    const manifest = read('dist/manifests/foo/production/manifest.yaml');
    expect(manifest).toContain('image: registry.example.com/services-foo:2412.01.1a2b3c4\n');
    // The sidecar is no artifact: left alone.
    expect(manifest).toContain('image: busybox:1.36\n');
    expect(manifest).not.toContain('production-');
    const images = JSON.parse(read('dist/manifests/foo/production/images.json')).images;
    expect(images).toEqual([expect.objectContaining({ name: 'foo', reference: 'registry.example.com/services-foo:2412.01.1a2b3c4', tag: '2412.01.1a2b3c4' })]);

    // A new release, a new render.
    releaseWithNxDocker('services/foo', 'registry.example.com/services-foo:2412.02.5d6e7f8');
    await expect(renderExecutor({ environment: 'production', images: 'nx-release' }, context())).resolves.toEqual({ success: true });
    expect(read('dist/manifests/foo/production/manifest.yaml')).toContain('image: registry.example.com/services-foo:2412.02.5d6e7f8\n');
  });

  it('prefers NX_DOCKER_IMAGE_REF over the version file, as @nx/docker does', async () => {
    releaseWithNxDocker('services/foo', 'registry.example.com/services-foo:from-file');
    process.env[NX_DOCKER_IMAGE_REF_ENV] = ' registry.example.com/foo:from-env@sha256:' + 'b'.repeat(64) + ' ';
    await expect(renderExecutor({ environment: 'production', images: 'nx-release' }, context())).resolves.toEqual({ success: true });
    expect(read('dist/manifests/foo/production/manifest.yaml')).toContain(`image: registry.example.com/foo:from-env@sha256:${'b'.repeat(64)}\n`);
  });

  it('fails clearly, naming the option, the variable and the file, when nx release wrote no reference; nothing is written', async () => {
    await expect(renderExecutor({ environment: 'production', images: 'nx-release' }, context())).resolves.toEqual({ success: false });
    expect(printed()).toContain('the "images" option is "nx-release", but nx release wrote no image reference for it');
    expect(printed()).toContain('NX_DOCKER_IMAGE_REF is not set and tmp/services/foo/.docker-version does not exist');
    expect(printed()).toContain('nx release version');
    expect(() => read('dist/manifests/foo/production/manifest.yaml')).toThrow();
  });

  it('refuses a version file that holds no tagged reference', async () => {
    releaseWithNxDocker('services/foo', 'registry.example.com/services-foo');
    await expect(renderExecutor({ environment: 'production', images: 'nx-release' }, context())).resolves.toEqual({ success: false });
    expect(printed()).toContain('tmp/services/foo/.docker-version does not hold an image reference with a tag or digest');
  });

  it('hands the released image to engine skaffold as --images <artifact>=<reference> (stand-in: no skaffold binary here)', async () => {
    const argsFile = join(root, 'args.txt');
    write(
      'bin/skaffold',
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nwhile [ $# -gt 0 ]; do if [ "$1" = "--output" ]; then shift; printf 'apiVersion: v1\\nkind: Pod\\nmetadata:\\n  name: p\\nspec:\\n  containers:\\n  - name: foo\\n    image: registry.example.com/services-foo:1.2.3\\n' > "$1"; fi; shift; done\n`,
    );
    chmodSync(join(root, 'bin/skaffold'), 0o755);
    releaseWithNxDocker('services/foo', 'registry.example.com/services-foo:1.2.3');
    await expect(renderExecutor({ environment: 'production', images: 'nx-release', engine: 'skaffold', skaffoldBinary: join(root, 'bin/skaffold') }, context())).resolves.toEqual({
      success: true,
    });
    const args = readFileSync(argsFile, 'utf8').trim().split('\n');
    expect(args[args.indexOf('--images') + 1]).toBe('foo=registry.example.com/services-foo:1.2.3');
    expect(JSON.parse(read('dist/manifests/foo/production/images.json')).images).toEqual([expect.objectContaining({ name: 'foo', reference: 'registry.example.com/services-foo:1.2.3' })]);
  });

  it('gives the image to the artifact its repository names when the service builds several', async () => {
    const files = seedServiceFiles('shop');
    write('services/shop/skaffold.yaml', files['skaffold.yaml'].replace('  - image: shop\n', '  - image: shop\n  - image: worker\n    context: worker\n'));
    for (const [file, text] of Object.entries(files)) if (file !== 'skaffold.yaml') write(`services/shop/${file}`, text);
    write('services/shop/worker/Dockerfile', 'FROM busybox:1.36\n');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'shop');
    releaseWithNxDocker('services/shop', 'registry.example.com/team/shop:1.4.0');
    await expect(renderExecutor({ environment: 'production', images: 'nx-release' }, context('shop'))).resolves.toEqual({ success: true });
    expect(read('dist/manifests/shop/production/manifest.yaml')).toContain('image: registry.example.com/team/shop:1.4.0\n');

    releaseWithNxDocker('services/shop', 'registry.example.com/services-shop:1.4.1');
    await expect(renderExecutor({ environment: 'production', images: 'nx-release' }, context('shop'))).resolves.toEqual({ success: false });
    expect(printed()).toContain('matches none of the artifacts shop, worker');
  });
});

describe('nx-release references as Nx hashes them', () => {
  const analysis = { envVars: [], externalFiles: [], externalGlobs: [], externalDirs: [], gitState: [] } as unknown as ServiceAnalysis;

  it('are render inputs: the variable as an env input, the version files through one runtime command', () => {
    const inputs = serviceInputs(analysis);
    expect(inputs).toContainEqual({ env: 'NX_DOCKER_IMAGE_REF' });
    expect(inputs).toContainEqual({ runtime: NX_RELEASE_VERSION_FILES_INPUT });
  });

  it('the runtime command (run by sh in the workspace root, as Nx runs it) changes with a release, names the project, and succeeds without tmp/', async () => {
    const run = async () => (await runCommand('sh', ['-c', NX_RELEASE_VERSION_FILES_INPUT], { cwd: root })).stdout;
    expect(await run()).toBe('');
    releaseWithNxDocker('services/foo', 'registry.example.com/services-foo:1');
    releaseWithNxDocker('services/bar', 'registry.example.com/services-bar:1');
    write('tmp/services/foo/other-file', 'not hashed\n');
    const first = await run();
    expect(first).toBe('tmp/services/bar/.docker-version:registry.example.com/services-bar:1\ntmp/services/foo/.docker-version:registry.example.com/services-foo:1');
    releaseWithNxDocker('services/foo', 'registry.example.com/services-foo:2');
    expect(await run()).not.toBe(first);
  });
});

describe('nxReleaseImageEntry', () => {
  const image = (reference: string) => readNxReleaseImage({ project: 'p', projectRoot: 'p', workspaceRoot: '/nowhere', env: { NX_DOCKER_IMAGE_REF: reference } });

  it.each([
    [['api'], 'registry.example.com/anything:1', 'api=registry.example.com/anything:1'],
    [['api', 'worker'], 'registry.example.com/api:1', 'api=registry.example.com/api:1'],
    [['team/api', 'worker'], 'localhost:5000/team/api:1', 'team/api=localhost:5000/team/api:1'],
    [['api', 'worker'], 'worker@sha256:' + 'c'.repeat(64), `worker=worker@sha256:${'c'.repeat(64)}`],
  ])('artifacts %j and %s give %s', (artifacts, reference, entry) => {
    expect(nxReleaseImageEntry({ project: 'p', image: image(reference), artifacts })).toBe(entry);
  });

  it('refuses a service without artifacts, and an ambiguous or unmatched reference', () => {
    expect(() => nxReleaseImageEntry({ project: 'p', image: image('r/api:1'), artifacts: [] })).toThrow(/builds no artifact/);
    expect(() => nxReleaseImageEntry({ project: 'p', image: image('r/x:1'), artifacts: ['api', 'worker'] })).toThrow(/matches none of the artifacts api, worker/);
    expect(() => nxReleaseImageEntry({ project: 'p', image: image('r/a/api:1'), artifacts: ['api', 'a/api'] })).toThrow(/matches several/);
  });
});
