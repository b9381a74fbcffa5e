import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { runCommand } from '../../lib/exec';
import { pushTestImage, startTestRegistry, type TestRegistry } from '../../testing/oci-registry';
import renderExecutor from './executor';

jest.setTimeout(60_000);

const gitEnv = { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' };

let registry: TestRegistry;
let root: string;
let errors: jest.SpyInstance;

beforeAll(async () => {
  registry = await startTestRegistry();
});
afterAll(async () => registry?.stop());

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nx-gitops-digest-'));
  errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

function write(path: string, text: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

async function git(...args: string[]) {
  return (await runCommand('git', args, { cwd: root, env: gitEnv })).stdout;
}

const context = { isVerbose: false, projectName: 'foo' } as unknown as ExecutorContext;

async function seed(): Promise<string> {
  write(
    'services/foo/skaffold.yaml',
    'apiVersion: skaffold/v4beta13\nkind: Config\nbuild:\n  tagPolicy:\n    gitCommit: {prefix: develop-}\n  artifacts:\n  - image: foo\nmanifests:\n  rawYaml: [k8s/pod.yaml]\n',
  );
  write('services/foo/k8s/pod.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: foo\nspec:\n  containers:\n  - name: foo\n    image: foo\n');
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'foo');
  return git('rev-parse', '--short', 'HEAD');
}

describe('render with digestSource remote (real docker-registry on 127.0.0.1)', () => {
  it('pins this commit\'s tag to the digest the registry holds', async () => {
    const sha = await seed();
    const pushed = await pushTestImage({ registry, repository: 'foo', tag: `develop-${sha}`, format: 'oci' });
    const ctx = { ...context, root, cwd: root, projectsConfigurations: { version: 2, projects: { foo: { root: 'services/foo' } } } } as ExecutorContext;
    await expect(renderExecutor({ environment: 'develop', defaultRepo: registry.host, digestSource: 'remote' }, ctx)).resolves.toEqual({ success: true });
    const reference = `${registry.host}/foo:develop-${sha}@${pushed.descriptor.digest}`;
    expect(readFileSync(join(root, 'dist/manifests/foo/develop/manifest.yaml'), 'utf8')).toContain(`image: ${reference}\n`);
    expect(JSON.parse(readFileSync(join(root, 'dist/manifests/foo/develop/images.json'), 'utf8')).images).toEqual([
      { name: 'foo', repository: `${registry.host}/foo`, tag: `develop-${sha}`, digest: pushed.descriptor.digest, reference },
    ]);
  });

  it('fails with the reference, the registry\'s answer and the hint when the image was never pushed', async () => {
    const sha = await seed();
    const ctx = { ...context, root, cwd: root, projectsConfigurations: { version: 2, projects: { foo: { root: 'services/foo' } } } } as ExecutorContext;
    await expect(
      renderExecutor({ environment: 'develop', defaultRepo: `${registry.host}/missing`, digestSource: 'remote' }, ctx),
    ).resolves.toEqual({ success: false });
    const printed = errors.mock.calls.flat().join('\n');
    expect(printed).toContain(`${registry.host}/missing/foo:develop-${sha}`);
    expect(printed).toMatch(/404|MANIFEST_UNKNOWN|NAME_UNKNOWN/);
    expect(printed).toContain('digestSource');
    expect(existsSync(join(root, 'dist/manifests/foo/develop/manifest.yaml'))).toBe(false);
  });
});
