import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import type { RenderedImagesFile } from '../manifests/render-output';
import { branchFiles, branchLog, branchTip, commitToBareBranch, createPublishSandbox, git, readBranchFile, type PublishSandbox } from '../testing/publish-fixtures';
import { seedServiceFiles } from '../testing/seed-service';
import publishManifestBatch from './publish-manifest/batch';
import publishManifestExecutor from './publish-manifest/executor';
import type { PublishManifestExecutorSchema } from './publish-manifest/schema';
import renderExecutor from './render/executor';
import type { RenderExecutorOptions } from './render/schema';

jest.setTimeout(60_000);

// Render and publish through the executors, in a real workspace repository and a real bare manifest repository.
let sandbox: PublishSandbox;
let root: string;
let printedLines: string[];

beforeEach(async () => {
  sandbox = await createPublishSandbox();
  root = sandbox.workspace;
  printedLines = [];
  for (const method of ['log', 'info', 'warn', 'error'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void printedLines.push(args.join(' ')));
  }
  write('.gitignore', 'dist/\nnode_modules/\nout/\n*.local\n');
  for (const name of ['foo', 'bar']) for (const [file, text] of Object.entries(seedServiceFiles(name))) write(`services/${name}/${file}`, text);
  await commitAll('services');
});
afterEach(() => {
  jest.restoreAllMocks();
  sandbox.cleanup();
});

function write(path: string, text: string) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function read(path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

function printed(): string {
  return printedLines.join('\n');
}

async function commitAll(message: string): Promise<string> {
  await git(root, ['add', '-A']);
  await git(root, ['commit', '-q', '-m', message]);
  return git(root, ['rev-parse', 'HEAD']);
}

const environments = { develop: [] as string[], production: ['production'] };

/** The targets the plugin infers for a seed service: one configuration per environment, render cacheable. */
function inferredTargets(renderCache = true) {
  return {
    render: {
      cache: renderCache,
      options: { environment: 'develop', profiles: [] },
      configurations: Object.fromEntries(Object.entries(environments).map(([name, profiles]) => [name, { environment: name, profiles }])),
      defaultConfiguration: 'develop',
    },
    'publish-manifest': {
      cache: false,
      options: { environment: 'develop' },
      configurations: Object.fromEntries(Object.keys(environments).map((name) => [name, { environment: name }])),
      defaultConfiguration: 'develop',
    },
  };
}

function context(options: { project?: string; targetName: string; configurationName?: string; renderCache?: boolean }): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: options.project ?? 'foo',
    targetName: options.targetName,
    configurationName: options.configurationName,
    projectsConfigurations: {
      version: 2,
      projects: Object.fromEntries(['foo', 'bar'].map((name) => [name, { root: `services/${name}`, targets: inferredTargets(options.renderCache) }])),
    },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as unknown as ExecutorContext;
}

/** Options as Nx merges them for a configuration: the target's, then the configuration's. */
function renderOptions(environment = 'develop', extra: RenderExecutorOptions = {}): RenderExecutorOptions {
  return { environment, profiles: environments[environment as keyof typeof environments] ?? [], ...extra };
}

async function render(environment = 'develop', extra: RenderExecutorOptions = {}, project = 'foo') {
  return renderExecutor(renderOptions(environment, extra), context({ project, targetName: 'render', configurationName: environment }));
}

async function publish(environment = 'develop', extra: PublishManifestExecutorSchema = {}, project = 'foo') {
  return publishManifestExecutor(
    { environment, manifestRepository: sandbox.remoteUrl, ...extra },
    context({ project, targetName: 'publish-manifest', configurationName: environment }),
  );
}

function imagesJson(project = 'foo', environment = 'develop'): RenderedImagesFile {
  return JSON.parse(read(`dist/manifests/${project}/${environment}/images.json`));
}

describe('an unknown configuration is an error, never the default', () => {
  it('fails render and publish naming the valid configurations, and writes nothing', async () => {
    // Nx merges no configuration options for a configuration that does not exist: the defaults remain.
    const renderResult = await renderExecutor(renderOptions('develop'), context({ targetName: 'render', configurationName: 'prodution' }));
    expect(renderResult).toEqual({ success: false });
    expect(printed()).toContain('foo:render has no configuration "prodution"; its configurations are: develop, production.');
    expect(existsSync(join(root, 'dist/manifests/foo'))).toBe(false);

    expect(await render('develop')).toEqual({ success: true });
    const publishResult = await publishManifestExecutor(
      { environment: 'develop', manifestRepository: sandbox.remoteUrl },
      context({ targetName: 'publish-manifest', configurationName: 'prodution' }),
    );
    expect(publishResult).toEqual({ success: false });
    expect(printed()).toContain('foo:publish-manifest has no configuration "prodution"; its configurations are: develop, production.');
    expect(await branchTip(sandbox.remote, 'foo/develop')).toBeNull();
  });

  it('fails only that task of a batch', async () => {
    expect(await render('develop', {}, 'bar')).toEqual({ success: true });
    const ids = ['foo:publish-manifest:staging', 'bar:publish-manifest:develop'];
    const graph = {
      roots: ids,
      dependencies: {},
      continuousDependencies: {},
      tasks: Object.fromEntries(
        ids.map((id) => {
          const [project, target, configuration] = id.split(':');
          return [id, { id, target: { project, target, configuration }, overrides: {}, outputs: [] }];
        }),
      ),
    } as unknown as TaskGraph;
    const inputs = Object.fromEntries(ids.map((id) => [id, { environment: 'develop', manifestRepository: sandbox.remoteUrl }]));
    const results = await publishManifestBatch(graph, inputs, {}, context({ targetName: 'publish-manifest' }));
    expect(results['foo:publish-manifest:staging'].success).toBe(false);
    expect(results['foo:publish-manifest:staging'].terminalOutput).toContain('has no configuration "staging"; its configurations are: develop, production.');
    expect(results['bar:publish-manifest:develop'].success).toBe(true);
    expect(await branchTip(sandbox.remote, 'foo/develop')).toBeNull();
    expect(await readBranchFile(sandbox.remote, 'bar/develop', 'manifest.yaml')).toContain('name: bar');
  });

  it('takes the environment of a configuration that sets none from its name, not the default', async () => {
    const ctx = context({ targetName: 'publish-manifest', configurationName: 'staging' });
    const target = (ctx.projectsConfigurations.projects.foo.targets ?? {})['publish-manifest'];
    target.configurations = { ...target.configurations, staging: {} };
    const renderContext = { ...context({ targetName: 'render' }), configurationName: undefined };
    expect(await renderExecutor({ environment: 'staging' }, renderContext)).toEqual({ success: true });
    expect(await publishManifestExecutor({ environment: 'develop', manifestRepository: sandbox.remoteUrl }, ctx)).toEqual({ success: true });
    expect(await branchTip(sandbox.remote, 'foo/staging')).not.toBeNull();
    expect(await branchTip(sandbox.remote, 'foo/develop')).toBeNull();
  });
});

describe('never empty by accident', () => {
  beforeEach(async () => {
    write('services/empty/skaffold.yaml', 'apiVersion: skaffold/v4beta13\nkind: Config\nmanifests:\n  rawYaml: [k8s/nothing.yaml]\n');
    write('services/empty/k8s/nothing.yaml', '# everything was removed\n');
    await commitAll('empty service');
  });

  const emptyContext = (targetName: string) => {
    const ctx = context({ project: 'empty', targetName, configurationName: 'develop' });
    ctx.projectsConfigurations.projects.empty = { root: 'services/empty', targets: inferredTargets() };
    return ctx;
  };

  it('refuses a render with no Kubernetes objects, naming the service, environment and skaffold config', async () => {
    expect(await renderExecutor({ environment: 'develop' }, emptyContext('render'))).toEqual({ success: true });
    expect(imagesJson('empty')).toMatchObject({ objectCount: 0, skaffoldConfig: 'services/empty/skaffold.yaml' });
    expect(await publishManifestExecutor({ environment: 'develop', manifestRepository: sandbox.remoteUrl }, emptyContext('publish-manifest'))).toEqual({
      success: false,
    });
    expect(printed()).toContain(
      'Refusing to publish empty/develop: the render has no Kubernetes objects (services/empty/skaffold.yaml produced nothing for environment "develop").',
    );
    expect(printed()).toContain('"allowEmpty"');
    expect(await branchTip(sandbox.remote, 'empty/develop')).toBeNull();

    const allowed = await publishManifestExecutor(
      { environment: 'develop', manifestRepository: sandbox.remoteUrl, allowEmpty: true },
      emptyContext('publish-manifest'),
    );
    expect(allowed).toEqual({ success: true });
    expect(await branchTip(sandbox.remote, 'empty/develop')).not.toBeNull();
  });

  it('counts the objects of a render from before objectCount was recorded by parsing its manifest', async () => {
    expect(await renderExecutor({ environment: 'develop' }, emptyContext('render'))).toEqual({ success: true });
    const imagesFile = join(root, 'dist/manifests/empty/develop/images.json');
    const { objectCount: _count, ...older } = JSON.parse(readFileSync(imagesFile, 'utf8')) as RenderedImagesFile;
    writeFileSync(imagesFile, `${JSON.stringify(older, null, 2)}\n`);
    expect(await publishManifestExecutor({ environment: 'develop', manifestRepository: sandbox.remoteUrl }, emptyContext('publish-manifest'))).toEqual({
      success: false,
    });
    expect(printed()).toContain('Refusing to publish empty/develop: the render has no Kubernetes objects');

    writeFileSync(join(root, 'dist/manifests/empty/develop/manifest.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n');
    expect(await publishManifestExecutor({ environment: 'develop', manifestRepository: sandbox.remoteUrl }, emptyContext('publish-manifest'))).toEqual({
      success: true,
    });
    expect(await branchTip(sandbox.remote, 'empty/develop')).not.toBeNull();
  });
});

describe('clean means clean', () => {
  it('records the paths the render read', async () => {
    expect(await render()).toEqual({ success: true });
    expect(imagesJson().sources).toEqual(['services/foo']);
  });

  it.each([
    ['modified', () => write('services/foo/kubernetes/base/deployment.yaml', read('services/foo/kubernetes/base/deployment.yaml').replace('sidecar', 'helper'))],
    ['staged', async () => {
      write('services/foo/kubernetes/base/deployment.yaml', read('services/foo/kubernetes/base/deployment.yaml').replace('sidecar', 'helper'));
      await git(root, ['add', 'services/foo/kubernetes/base/deployment.yaml']);
    }],
    ['deleted', () => rmSync(join(root, 'services/foo/kubernetes/base/deployment.yaml'))],
    ['untracked', () => write('services/foo/kubernetes/base/extra.yaml', 'kind: ConfigMap\n')],
  ])('refuses a file the render read that is %s, whatever the tag policy, and names it', async (change, makeChange) => {
    // A tag that does not mark uncommitted changes: only the clean check can notice them.
    expect(await render('develop', { tag: 'v1' })).toEqual({ success: true });
    await makeChange();
    expect(await publish()).toEqual({ success: false });
    const file = change === 'untracked' ? 'services/foo/kubernetes/base/extra.yaml' : 'services/foo/kubernetes/base/deployment.yaml';
    expect(printed()).toContain(
      `Refusing to publish foo/develop: files the render read differ from HEAD, so the commit's Source-Commit would not contain them: ${file} (`,
    );
    expect(printed()).toContain('"allowDirty"');
    expect(await branchTip(sandbox.remote, 'foo/develop')).toBeNull();
  });

  it('refuses a change in a shared kustomize component outside the service', async () => {
    write('shared/labels/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels:\n  team: shop\n');
    write('services/foo/kubernetes/overlays/develop/kustomization.yaml', 'resources:\n- ../../base\ncomponents:\n- ../../../../../shared/labels\n');
    await commitAll('shared component');
    expect(await render('develop', { tag: 'v1' })).toEqual({ success: true });
    expect(imagesJson().sources).toEqual(['services/foo', 'shared/labels/kustomization.yaml']);
    write('shared/labels/kustomization.yaml', read('shared/labels/kustomization.yaml').replace('shop', 'billing'));
    expect(await publish()).toEqual({ success: false });
    expect(printed()).toContain('shared/labels/kustomization.yaml (modified)');
  });

  it('ignores ignored files and files the render did not read, with one git status for a whole batch', async () => {
    expect(await render()).toEqual({ success: true });
    expect(await render('develop', {}, 'bar')).toEqual({ success: true });
    write('services/foo/notes.local', 'ignored\n');
    write('README.md', 'changed, but not read by any render\n');
    write('services/bar/kubernetes/base/deployment.yaml', 'kind: Changed\n');
    const ids = ['foo:publish-manifest:develop', 'bar:publish-manifest:develop'];
    const graph = {
      roots: ids,
      dependencies: {},
      tasks: Object.fromEntries(ids.map((id) => [id, { id, target: { project: id.split(':')[0], target: 'publish-manifest', configuration: 'develop' }, overrides: {} }])),
    } as unknown as TaskGraph;
    const inputs = Object.fromEntries(ids.map((id) => [id, { environment: 'develop', manifestRepository: sandbox.remoteUrl }]));
    const results = await publishManifestBatch(graph, inputs, {}, context({ targetName: 'publish-manifest' }));
    expect(results['foo:publish-manifest:develop'].success).toBe(true);
    expect(results['bar:publish-manifest:develop'].success).toBe(false);
    expect(results['bar:publish-manifest:develop'].terminalOutput).toContain('services/bar/kubernetes/base/deployment.yaml (modified)');
  });

  it('publishes with allowDirty, saying so in the commit, the output and the report', async () => {
    expect(await render('develop', { tag: 'v1' })).toEqual({ success: true });
    write('services/foo/Dockerfile', 'FROM busybox:1.37\n');
    expect(await publish('develop', { allowDirty: true })).toEqual({ success: true });
    const [commit] = await branchLog(sandbox.remote, 'foo/develop');
    expect(commit.message).toMatch(/\nSource-Dirty: true\n$/);
    expect(commit.message).not.toContain('Dockerfile');
    expect(printed()).toContain('Publishing uncommitted changes (allowDirty); the commit carries "Source-Dirty: true": services/foo/Dockerfile.');
    const report = JSON.parse(read('dist/manifests/publish-report.json'));
    expect(report.entries[0]).toMatchObject({ project: 'foo', status: 'created', dirtySources: ['services/foo/Dockerfile'] });
  });
});

describe('provenance from the workspace', () => {
  it('names HEAD of the publishing workspace, not the commit a cached render was made at', async () => {
    expect(await render()).toEqual({ success: true });
    const renderedAt = imagesJson().sourceCommit;
    write('docs/unrelated.md', 'a later commit that does not touch foo\n');
    const head = await commitAll('later');
    expect(renderedAt).not.toBe(head);
    expect(await publish()).toEqual({ success: true });
    const [commit] = await branchLog(sandbox.remote, 'foo/develop');
    expect(commit.message.split('\n')[0]).toBe(`foo/develop: render ${head.slice(0, 7)}`);
    expect(commit.message).toContain(`Source-Commit: ${head}\n`);
  });
});

describe('stale render detection for files named by options', () => {
  it('refuses when the build artifacts file changed since the render read it', async () => {
    write('out/build.json', JSON.stringify({ builds: [{ imageName: 'foo', tag: 'registry.example.com/foo:v1' }] }));
    expect(await render('develop', { buildArtifacts: 'out/build.json' })).toEqual({ success: true });
    expect(imagesJson().buildArtifacts).toEqual({ file: 'out/build.json', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    write('out/build.json', JSON.stringify({ builds: [{ imageName: 'foo', tag: 'registry.example.com/foo:v2' }] }));
    expect(await publish()).toEqual({ success: false });
    expect(printed()).toMatch(
      /Refusing to publish foo\/develop: the build artifacts file out\/build\.json changed since the render read it \(sha256 [0-9a-f]{12} then, [0-9a-f]{12} now\); the render was made from other build artifacts, e\.g\. replayed from the Nx cache\./,
    );
    expect(printed()).toContain('--skip-nx-cache');
    rmSync(join(root, 'out/build.json'));
    expect(await publish()).toEqual({ success: false });
    expect(printed()).toContain('the build artifacts file out/build.json no longer exists');

    write('out/build.json', JSON.stringify({ builds: [{ imageName: 'foo', tag: 'registry.example.com/foo:v2' }] }));
    expect(await render('develop', { buildArtifacts: 'out/build.json' })).toEqual({ success: true });
    expect(await publish()).toEqual({ success: true });
    expect(await readBranchFile(sandbox.remote, 'foo/develop', 'manifest.yaml')).toContain('image: registry.example.com/foo:v2');
  });
});

describe('digestSource remote cannot be cached', () => {
  it.each([
    ['the option', { digestSource: 'remote' as const }, {}],
    ['SKAFFOLD_DIGEST_SOURCE', {}, { SKAFFOLD_DIGEST_SOURCE: 'remote' }],
  ])('fails a cacheable render target asking for remote digests through %s', async (_name, options, env) => {
    Object.assign(process.env, env);
    try {
      expect(await render('develop', options)).toEqual({ success: false });
    } finally {
      delete process.env.SKAFFOLD_DIGEST_SOURCE;
    }
    expect(printed()).toContain('digestSource "remote"');
    expect(printed()).toContain('Hint: Set the plugin option digestSource: "remote"');
    expect(existsSync(join(root, 'dist/manifests/foo'))).toBe(false);
  });
});

describe('templates that survive Nx', () => {
  it('accepts %name% placeholders in branch, path and message', async () => {
    expect(await render()).toEqual({ success: true });
    const head = await git(root, ['rev-parse', 'HEAD']);
    expect(
      await publish('develop', { branch: 'env/%environment%', path: '%project%/manifest.yaml', message: 'deploy %project% to %environment% at %shortSourceCommit%' }),
    ).toEqual({ success: true });
    // With the hydrator files (on by default) at the root and in the project's folder.
    expect(await branchFiles(sandbox.remote, 'env/develop')).toEqual(['.gitattributes', 'README.md', 'foo/README.md', 'foo/hydrator.metadata', 'foo/manifest.yaml', 'hydrator.metadata']);
    const [commit] = await branchLog(sandbox.remote, 'env/develop');
    expect(commit.message.split('\n')[0]).toBe(`deploy foo to develop at ${head.slice(0, 7)}`);
  });

  it.each([
    ['branch', '[object Object]/develop'],
    ['path', '[object Object]/manifest.yaml'],
    ['message', 'deploy [object Object]'],
    ['baseBranch', '[object Object]/main'],
  ])('rejects a %s that Nx interpolated, with a hint to use %%project%%', async (option, value) => {
    expect(await render()).toEqual({ success: true });
    expect(await publish('develop', { [option]: value })).toEqual({ success: false });
    expect(printed()).toContain(`The "${option}" template "${value}" contains "[object Object]"`);
    expect(printed()).toContain('%project%');
  });

  it.each([
    ['branch', '%project%/../%environment%', 'Refusing the "branch" template "%project%/../%environment%": it contains ".."'],
    ['path', '%project%/../../%environment%.yaml', 'Refusing the "path" template "%project%/../../%environment%.yaml": it contains a ".." component'],
    ['path', '/{project}.yaml', 'Refusing the "path" template "/{project}.yaml": it is absolute'],
  ])('checks the %s template before expansion: %s', async (option, value, message) => {
    expect(await render()).toEqual({ success: true });
    expect(await publish('develop', { [option]: value })).toEqual({ success: false });
    expect(printed()).toContain(message);
    expect(existsSync(sandbox.cacheRoot)).toBe(false);
  });
});

describe('writes stay inside', () => {
  it.each([
    ['../../outside/manifest.yaml', 'is not'],
    ['services/foo/skaffold.yaml', 'is not'],
    ['/tmp/manifest.yaml', 'is not'],
    ['dist/manifests/foo/develop/images.json', 'images.json is written beside the manifest'],
  ])('refuses output %s and writes nothing', async (output, reason) => {
    const before = read('services/foo/skaffold.yaml');
    expect(await render('develop', { output })).toEqual({ success: false });
    expect(printed()).toContain(`Refusing output "${output}"`);
    expect(printed()).toContain(reason);
    expect(printed()).toContain('"output"');
    expect(read('services/foo/skaffold.yaml')).toBe(before);
    expect(existsSync(join(root, 'dist/manifests/foo/develop/images.json'))).toBe(false);
  });

  it('refuses output naming a directory and leaves no temporary file', async () => {
    mkdirSync(join(root, 'dist/out/manifest.yaml'), { recursive: true });
    expect(await render('develop', { output: 'dist/out/manifest.yaml' })).toEqual({ success: false });
    expect(printed()).toContain('Refusing output "dist/out/manifest.yaml": it is a directory.');
    expect(readdirSync(join(root, 'dist/out'))).toEqual(['manifest.yaml']);
  });

  it('refuses output over a file of the repository inside dist/', async () => {
    write('dist/kept/manifest.yaml', 'kind: Kept\n');
    await git(root, ['add', '-f', 'dist/kept/manifest.yaml']);
    await git(root, ['commit', '-q', '-m', 'a tracked file under dist']);
    expect(await render('develop', { output: 'dist/kept/manifest.yaml' })).toEqual({ success: false });
    expect(printed()).toContain('Refusing output dist/kept/manifest.yaml: it is a file of the repository');
    expect(read('dist/kept/manifest.yaml')).toBe('kind: Kept\n');
  });

  it.each([
    ['project', '../../../x', 'develop', 'Refusing project name "../../../x": it contains a ".." component'],
    ['project', '/abs', 'develop', 'Refusing project name "/abs": it is an absolute path'],
    ['environment', 'foo', '../../x', 'Refusing environment name "../../x" of foo: it contains "/"'],
    ['environment', 'foo', '..', 'Refusing environment name ".." of foo: it contains a ".." component'],
  ])('refuses a %s name %j that would escape dist/manifests in both executors', async (_kind, project, environment, message) => {
    const renderContext = { ...context({ project, targetName: 'render' }), configurationName: undefined };
    expect(await renderExecutor({ environment, skaffoldConfig: 'services/foo/skaffold.yaml' }, renderContext)).toEqual({ success: false });
    expect(printed()).toContain(message);
    printedLines.length = 0;
    const publishContext = { ...context({ project, targetName: 'publish-manifest' }), configurationName: undefined };
    expect(await publishManifestExecutor({ environment, manifestRepository: sandbox.remoteUrl }, publishContext)).toEqual({ success: false });
    expect(printed()).toContain(message);
    expect(readdirSync(join(root, 'dist/manifests')).filter((name) => name !== 'publish-report.json' && !name.startsWith('publish-report'))).toEqual([]);
  });

  it('replaces only the directory the path gives the project on a shared branch', async () => {
    await commitToBareBranch({ remote: sandbox.remote, branch: 'develop', files: { 'README.md': 'shared\n' }, message: 'seed' });
    expect(await render()).toEqual({ success: true });
    expect(await render('develop', {}, 'bar')).toEqual({ success: true });
    const shared = { branch: '{environment}', path: '{project}/manifest.yaml' };
    expect(await publish('develop', shared, 'bar')).toEqual({ success: true });
    expect(await publish('develop', { ...shared, path: '{project}/stale.yaml' })).toEqual({ success: true });
    // The hydrator files (on by default) sit at the root and in each project's folder.
    const hydrator = (folder: string) => [`${folder}/README.md`, `${folder}/hydrator.metadata`];
    const atRoot = ['.gitattributes', 'README.md', 'hydrator.metadata'];
    expect(await branchFiles(sandbox.remote, 'develop')).toEqual([...atRoot, ...hydrator('bar'), 'bar/manifest.yaml', ...hydrator('foo'), 'foo/stale.yaml'].sort());
    expect(await publish('develop', { branch: '{environment}', path: '{project}/manifest.yaml', mode: 'replace' })).toEqual({ success: true });
    expect(await branchFiles(sandbox.remote, 'develop')).toEqual([...atRoot, ...hydrator('bar'), 'bar/manifest.yaml', ...hydrator('foo'), 'foo/manifest.yaml'].sort());
  });

  it('refuses replace when the directory is the root of a branch shared between projects', async () => {
    expect(await render()).toEqual({ success: true });
    expect(await publish('develop', { branch: '{environment}', path: 'manifest.yaml', mode: 'replace' })).toEqual({ success: false });
    expect(printed()).toContain(
      'Refusing mode "replace" for foo: the "branch" template "{environment}" is shared between projects, and replacing the whole branch would delete the other projects\' manifests.',
    );
    expect(await branchTip(sandbox.remote, 'develop')).toBeNull();
  });
});

describe('a render replayed from an earlier commit', () => {
  it('is refused when a file it read changed since, in committed content (a stale replay from incomplete inputs)', async () => {
    await expect(render()).resolves.toEqual({ success: true });
    const renderCommit = imagesJson().sourceCommit!;
    write('services/foo/kubernetes/base/deployment.yaml', `${read('services/foo/kubernetes/base/deployment.yaml')}# changed\n`);
    await commitAll('change a file the render read');
    const before = await branchTip(sandbox.remote, 'foo/develop');

    await expect(publish()).resolves.toEqual({ success: false });

    expect(printed()).toContain(
      `Refusing to publish foo/develop: the render was made at ${renderCommit.slice(0, 7)} and files it read have changed since: services/foo/kubernetes/base/deployment.yaml.`,
    );
    expect(printed()).toContain('--skip-nx-cache');
    expect(await branchTip(sandbox.remote, 'foo/develop')).toBe(before);
  });

  it('is published when only files it did not read changed since', async () => {
    await expect(render()).resolves.toEqual({ success: true });
    write('README.md', '# elsewhere\n');
    write('services/bar/Dockerfile', 'FROM busybox:1.37\n');
    const head = await commitAll('change files the render did not read');

    await expect(publish()).resolves.toEqual({ success: true });

    expect((await branchLog(sandbox.remote, 'foo/develop'))[0].message).toContain(`Source-Commit: ${head}`);
  });
});
