import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { runCommand } from '../../lib/exec';
import { seedServiceFiles } from '../../testing/seed-service';
import renderBatch from './batch';
import renderExecutor from './executor';
import type { RenderExecutorOptions } from './schema';

jest.setTimeout(60_000);

const gitEnv = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

let root: string;
let consoleSpies: jest.SpyInstance[];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nx-gitops-render-'));
  consoleSpies = (['log', 'info', 'warn', 'error'] as const).map((method) => jest.spyOn(console, method).mockImplementation(() => undefined));
});
afterEach(() => {
  consoleSpies.forEach((spy) => spy.mockRestore());
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

async function commitAll() {
  await git('add', '-A');
  await git('commit', '-q', '-m', 'services');
  return git('rev-parse', '--short', 'HEAD');
}

/** The seed's foo service, with its v2beta10 skaffold.yaml as the write-up shows it. */
function seedService(name = 'foo') {
  for (const [file, text] of Object.entries(seedServiceFiles(name))) write(`services/${name}/${file}`, text);
}

function context(project = 'foo', configurationName?: string): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: project,
    targetName: 'render',
    configurationName,
    projectsConfigurations: {
      version: 2,
      projects: Object.fromEntries(['foo', 'bar', 'baz'].map((name) => [name, { root: `services/${name}` }])),
    },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as unknown as ExecutorContext;
}

const repo = 'xxx.dkr.ecr.ap-northeast-1.amazonaws.com';

describe('render executor (native engine, real git and kubectl kustomize)', () => {
  beforeEach(async () => {
    await git('init', '-q', '-b', 'main');
  });

  it('renders the seed service for develop and production with a default repo, as skaffold render does', async () => {
    seedService();
    const sha = await commitAll();
    const fullSha = await git('rev-parse', 'HEAD');

    await expect(renderExecutor({ environment: 'develop', defaultRepo: repo }, context('foo', 'develop'))).resolves.toEqual({ success: true });
    await expect(
      renderExecutor({ environment: 'production', profiles: ['production'], defaultRepo: repo }, context('foo', 'production')),
    ).resolves.toEqual({ success: true });

    const expected = (prefix: string, replicas: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: foo
spec:
${replicas}  selector:
    matchLabels:
      app: foo
  template:
    metadata:
      labels:
        app: foo
    spec:
      containers:
        - image: ${repo}/foo:${prefix}-${sha}
          name: foo
        - image: busybox:1.36
          name: sidecar
`;
    expect(read('dist/manifests/foo/develop/manifest.yaml')).toBe(expected('develop', ''));
    expect(read('dist/manifests/foo/production/manifest.yaml')).toBe(expected('production', '  replicas: 3\n'));
    expect(JSON.parse(read('dist/manifests/foo/production/images.json'))).toEqual({
      project: 'foo',
      environment: 'production',
      sourceCommit: fullSha,
      images: [
        {
          name: 'foo',
          repository: `${repo}/foo`,
          tag: `production-${sha}`,
          digest: null,
          reference: `${repo}/foo:production-${sha}`,
        },
      ],
      objectCount: 1,
      skaffoldConfig: 'services/foo/skaffold.yaml',
      sources: ['services/foo'],
      buildArtifacts: null,
    });
  });

  it('writes identical bytes on a second render of the same commit', async () => {
    seedService();
    await commitAll();
    await renderExecutor({ environment: 'develop' }, context());
    const first = read('dist/manifests/foo/develop/manifest.yaml');
    await renderExecutor({ environment: 'develop' }, context());
    expect(read('dist/manifests/foo/develop/manifest.yaml')).toBe(first);
  });

  it('takes the default repo from SKAFFOLD_DEFAULT_REPO and marks a dirty service', async () => {
    seedService();
    const sha = await commitAll();
    write('services/foo/Dockerfile', 'FROM busybox:1.37\n');
    process.env.SKAFFOLD_DEFAULT_REPO = 'registry.example.com/team';
    try {
      await expect(renderExecutor({ environment: 'develop' }, context())).resolves.toEqual({ success: true });
    } finally {
      delete process.env.SKAFFOLD_DEFAULT_REPO;
    }
    expect(read('dist/manifests/foo/develop/manifest.yaml')).toContain(`image: registry.example.com/team/foo:develop-${sha}-dirty`);
  });

  it('reads tag and build artifacts from SKAFFOLD_TAG and SKAFFOLD_BUILD_ARTIFACTS as skaffold does', async () => {
    seedService();
    await commitAll();
    write('out/build.json', JSON.stringify({ builds: [{ imageName: 'foo', tag: 'registry.example.com/foo:v1' }] }));
    Object.assign(process.env, { SKAFFOLD_TAG: 'v2', SKAFFOLD_BUILD_ARTIFACTS: 'out/build.json' });
    try {
      await expect(renderExecutor({ environment: 'develop' }, context())).resolves.toEqual({ success: true });
    } finally {
      delete process.env.SKAFFOLD_TAG;
      delete process.env.SKAFFOLD_BUILD_ARTIFACTS;
    }
    expect(read('dist/manifests/foo/develop/manifest.yaml')).toContain('image: registry.example.com/foo:v2\n');
  });

  it('applies pre-built images, a custom tag, labels and a namespace', async () => {
    seedService();
    await commitAll();
    write('build.json', JSON.stringify({ builds: [{ imageName: 'foo', tag: 'gcr.io/p/foo:v1@sha256:' + 'a'.repeat(64) }] }));
    const options: RenderExecutorOptions = {
      environment: 'develop',
      buildArtifacts: 'build.json',
      images: ['busybox=busybox:1.37'],
      tag: 'release-1',
      labels: ['team=payments', 'tier=web'],
      namespace: 'shop',
    };
    await expect(renderExecutor(options, context())).resolves.toEqual({ success: true });
    const manifest = read('dist/manifests/foo/develop/manifest.yaml');
    expect(manifest).toContain(`image: gcr.io/p/foo:release-1@sha256:${'a'.repeat(64)}`);
    expect(manifest).toContain('image: busybox:release-1');
    expect(manifest).toContain('namespace: shop');
    expect(manifest).toMatch(/labels:\n\s+team: payments\n\s+tier: web/);
  });

  it('leaves images alone with digestSource none', async () => {
    seedService();
    await commitAll();
    await expect(renderExecutor({ environment: 'develop', digestSource: 'none' }, context())).resolves.toEqual({ success: true });
    const manifest = read('dist/manifests/foo/develop/manifest.yaml');
    expect(manifest).toContain('- image: foo\n');
    expect(JSON.parse(read('dist/manifests/foo/develop/images.json')).images).toEqual([]);
  });

  it('renders a requires chain with the dependency first', async () => {
    seedService();
    write(
      'services/foo/skaffold.yaml',
      // requires exists from skaffold/v2beta11 on.
      read('services/foo/skaffold.yaml').replace('skaffold/v2beta10', 'skaffold/v2beta11').replace('kind: Config\n', 'kind: Config\nrequires:\n- path: ../../platform\n'),
    );
    write('platform/skaffold.yaml', 'apiVersion: skaffold/v4beta13\nkind: Config\nmetadata: {name: platform}\nmanifests:\n  rawYaml: [namespace.yaml]\n');
    write('platform/namespace.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n');
    await commitAll();
    await expect(renderExecutor({ environment: 'develop' }, context())).resolves.toEqual({ success: true });
    expect(read('dist/manifests/foo/develop/manifest.yaml')).toMatch(/^apiVersion: v1\nkind: Namespace\nmetadata:\n {2}name: shop\n---\napiVersion: apps\/v1\nkind: Deployment/);
  });

  it.each([
    ['an unknown profile', { environment: 'staging', profiles: ['staging'] }, (): void => undefined, /Unknown skaffold profile "staging"[\s\S]*Known profiles: production/],
    [
      'a missing overlay',
      { environment: 'develop' },
      () => rmSync(join(root, 'services/foo/kubernetes/overlays/develop'), { recursive: true }),
      /No kustomization\.yaml in .*overlays\/develop[\s\S]*manifests\.kustomize\.paths/,
    ],
    [
      'malformed skaffold.yaml',
      { environment: 'develop' },
      () => write('services/foo/skaffold.yaml', 'apiVersion: skaffold/v4beta13\nkind: Config\nbuild:\n  artifacts: [\n'),
      /services\/foo\/skaffold\.yaml:5:1: invalid YAML/,
    ],
    [
      'a tagger that cannot work outside git',
      { environment: 'develop' },
      () => rmSync(join(root, '.git'), { recursive: true, force: true }),
      /git/i,
    ],
    ['a bad digest source', { environment: 'develop', digestSource: 'local' as never }, (): void => undefined, /Unknown digestSource "local"/],
  ])('fails on %s, names the fix, and writes nothing', async (_name, options, breakIt, message) => {
    seedService();
    await commitAll();
    breakIt();
    await expect(renderExecutor(options as RenderExecutorOptions, context())).resolves.toEqual({ success: false });
    expect(printed()).toMatch(message);
    expect(existsSync(join(root, 'dist/manifests/foo'))).toBe(false);
  });
});

describe('render executor (skaffold engine)', () => {
  it('passes the options to a stand-in skaffold executable as flags (stand-in: no skaffold binary here)', async () => {
    seedService();
    const argsFile = join(root, 'args.txt');
    write(
      'bin/skaffold',
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nwhile [ $# -gt 0 ]; do if [ "$1" = "--output" ]; then shift; printf 'apiVersion: v1\\nkind: Pod\\nmetadata:\\n  name: p\\nspec:\\n  containers:\\n  - name: foo\\n    image: ${repo}/foo:production-abc\\n' > "$1"; fi; shift; done\n`,
    );
    chmodSync(join(root, 'bin/skaffold'), 0o755);
    const options: RenderExecutorOptions = {
      environment: 'production',
      engine: 'skaffold',
      skaffoldBinary: join(root, 'bin/skaffold'),
      profiles: ['production'],
      defaultRepo: repo,
      images: ['foo=foo:1'],
      tag: 't1',
      labels: ['team=a'],
      namespace: 'shop',
    };
    await expect(renderExecutor(options, context('foo', 'production'))).resolves.toEqual({ success: true });
    const args = readFileSync(argsFile, 'utf8').trim().split('\n');
    const outputIndex = args.indexOf('--output');
    expect(args.slice(0, outputIndex + 1)).toEqual([
      'render',
      '--filename',
      join(root, 'services/foo/skaffold.yaml'),
      '--profile',
      'production',
      `--default-repo=${repo}`,
      '--digest-source',
      'tag',
      '--images',
      'foo=foo:1',
      '--tag',
      't1',
      '--label',
      'team=a',
      '--namespace',
      'shop',
      '--offline=true',
      '--output',
    ]);
    expect(read('dist/manifests/foo/production/manifest.yaml')).toContain(`image: ${repo}/foo:production-abc`);
    expect(JSON.parse(read('dist/manifests/foo/production/images.json')).images).toEqual([
      { name: 'foo', repository: `${repo}/foo`, tag: 'production-abc', digest: null, reference: `${repo}/foo:production-abc` },
    ]);
  });

  it('runs the stand-in skaffold without the SKAFFOLD_* variables it would read behind the inputs (stand-in: no skaffold binary here)', async () => {
    seedService();
    const envFile = join(root, 'env.txt');
    write(
      'bin/skaffold',
      `#!/bin/sh\nenv | grep '^SKAFFOLD_' | sort > '${envFile}'\nwhile [ $# -gt 0 ]; do if [ "$1" = "--output" ]; then shift; printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: c\\n' > "$1"; fi; shift; done\n`,
    );
    chmodSync(join(root, 'bin/skaffold'), 0o755);
    process.env.SKAFFOLD_NAMESPACE = 'elsewhere';
    try {
      await expect(renderExecutor({ environment: 'develop', engine: 'skaffold', skaffoldBinary: join(root, 'bin/skaffold') }, context())).resolves.toEqual({ success: true });
    } finally {
      delete process.env.SKAFFOLD_NAMESPACE;
    }
    expect(readFileSync(envFile, 'utf8').trim().split('\n')).toEqual(['SKAFFOLD_UPDATE_CHECK=false']);
  });

  it('names skaffoldBinary when skaffold is missing', async () => {
    seedService();
    await expect(
      renderExecutor({ environment: 'develop', engine: 'skaffold', skaffoldBinary: 'no-such-skaffold' }, context()),
    ).resolves.toEqual({ success: false });
    expect(printed()).toContain('skaffoldBinary');
  });
});

describe('render batch', () => {
  it('renders every task of a batch in one process, each with its own result', async () => {
    await git('init', '-q', '-b', 'main');
    seedService('foo');
    seedService('bar');
    seedService('baz');
    write('services/baz/kubernetes/overlays/develop/kustomization.yaml', 'resources:\n- missing.yaml\n');
    await commitAll();
    const ids = ['foo:render:develop', 'bar:render:develop', 'baz:render:develop'];
    const taskGraph = {
      roots: ids,
      dependencies: {},
      tasks: Object.fromEntries(ids.map((id) => [id, { id, target: { project: id.split(':')[0], target: 'render', configuration: 'develop' }, overrides: {} }])),
    } as unknown as TaskGraph;
    const inputs = Object.fromEntries(ids.map((id) => [id, { environment: 'develop' }]));
    const results = await renderBatch(taskGraph, inputs, {}, context());
    expect(Object.fromEntries(Object.entries(results).map(([id, result]) => [id, result.success]))).toEqual({
      'foo:render:develop': true,
      'bar:render:develop': true,
      'baz:render:develop': false,
    });
    expect(results['baz:render:develop'].terminalOutput).toContain('missing.yaml');
    expect(read('dist/manifests/bar/develop/manifest.yaml')).toContain('image: bar:develop-');
  });
});
