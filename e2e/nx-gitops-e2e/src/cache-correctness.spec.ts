/**
 * Issue #10, "Never publish a wrong manifest": with the Nx cache on, as users run it, a render replayed from
 * the cache must be the render of the current state. One Nx 23 workspace holds one service per input class
 * (git tags, the checked-out branch, environment variables read by profiles, tag policies, kustomize paths and
 * docker build args, a build-output file, files outside the service); each test changes that input alone,
 * publishes, and reads the manifest branch. After every publish the branch must hold the same bytes a
 * `--skip-nx-cache` render of the same commit and environment gives.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  blobId,
  branchTips,
  createBareRepository,
  createFixtureWorkspace,
  ensurePluginBuilt,
  hashFile,
  imagesIn,
  makeTempDir,
  packPlugin,
  removeTempDir,
  runInFixture,
  showFile,
  type FixtureWorkspace,
} from './harness';

jest.setTimeout(5 * 60 * 1000);

const NX_VERSION = '23.2.1';

/** The values of the environment variables the fixture's configs read, unless a step changes one. */
const BASE_ENV = { IMAGE_TAG: '1.0.0', OVERLAY: 'blue', SRC_DIR: 'a' } as const;

/** Variables this suite controls: taken out of the caller's environment so that only the steps set them. */
const CONTROLLED_ENV = ['DEBUG_BUILD', ...Object.keys(BASE_ENV), 'SKAFFOLD_BUILD_ARTIFACTS', 'SKAFFOLD_DEFAULT_REPO', 'SKAFFOLD_DIGEST_SOURCE', 'SKAFFOLD_TAG'];

/** The build-output file of the pre-built service (gitignored: CI writes it, nobody commits it). */
const BUILD_OUTPUT_FILE = 'build.json';

/** The shared kustomize component and the shared docker context, each an Nx project of its own. */
const PLATFORM_COMPONENT = 'libs/platform/components/team-labels';
const COMMON_CONTEXT = 'libs/common';

type Yaml = Record<string, unknown>;

const yaml = (value: unknown) => stringify(value, { lineWidth: 0 });

function deployment(name: string): Yaml {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: name }] } },
    },
  };
}

function kustomization(fields: Yaml): Yaml {
  return { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', ...fields };
}

function labelsKustomization(resources: string[], pairs?: Record<string, string>): string {
  return yaml(kustomization({ resources, ...(pairs ? { labels: [{ pairs }] } : {}) }));
}

function componentKustomization(team: string): string {
  return yaml({ apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component', labels: [{ pairs: { team } }] });
}

function skaffoldConfig(name: string, fields: { build: Yaml; paths: string[]; profiles?: Yaml[] }): string {
  return yaml({
    apiVersion: 'skaffold/v4beta13',
    kind: 'Config',
    metadata: { name },
    build: fields.build,
    manifests: { kustomize: { paths: fields.paths } },
    ...(fields.profiles ? { profiles: fields.profiles } : {}),
  });
}

/** A docker artifact built from the service folder with its own Dockerfile. */
function dockerArtifact(image: string, docker: Yaml = {}): Yaml {
  return { image, docker: { dockerfile: 'Dockerfile', ...docker } };
}

const NGINX_DOCKERFILE = 'FROM nginx:1.27-alpine\nCOPY index.html /usr/share/nginx/html/\n';

/** A service whose manifests are `k8s/` (one Deployment), built by `tagPolicy`. */
function simpleService(name: string, tagPolicy: Yaml): Record<string, string> {
  return {
    'skaffold.yaml': skaffoldConfig(name, { build: { tagPolicy, artifacts: [dockerArtifact(name)] }, paths: ['k8s'] }),
    Dockerfile: NGINX_DOCKERFILE,
    'index.html': `<h1>${name}</h1>\n`,
    'k8s/kustomization.yaml': labelsKustomization(['deployment.yaml']),
    'k8s/deployment.yaml': yaml(deployment(name)),
  };
}

/** `k8s/base` with one Deployment plus one overlay per entry of `overlays` (folder name to labels). */
function baseAndOverlays(name: string, overlays: Record<string, Record<string, string> | undefined>): Record<string, string> {
  const files: Record<string, string> = {
    'k8s/base/kustomization.yaml': labelsKustomization(['deployment.yaml']),
    'k8s/base/deployment.yaml': yaml(deployment(name)),
  };
  for (const [overlay, pairs] of Object.entries(overlays)) files[`k8s/${overlay}/kustomization.yaml`] = labelsKustomization(['../base'], pairs);
  return files;
}

const INPUT_DIGEST = { inputDigest: {} };

/** Every service of the fixture, by name: the files of `services/<name>/`. */
const SERVICES: Record<string, Record<string, string>> = {
  // gitCommit without a variant is skaffold's Tags variant: `git describe --tags --always`.
  tagged: simpleService('tagged', { gitCommit: {} }),
  branched: simpleService('branched', { gitCommit: { variant: 'Branches' } }),
  'env-tagged': simpleService('env-tagged', { envTemplate: { template: '{{.IMAGE_TAG}}' } }),
  prebuilt: simpleService('prebuilt', INPUT_DIGEST),
  debuggable: {
    'skaffold.yaml': skaffoldConfig('debuggable', {
      build: { tagPolicy: INPUT_DIGEST, artifacts: [dockerArtifact('debuggable')] },
      paths: ['k8s/default'],
      profiles: [{ name: 'debug', activation: [{ env: 'DEBUG_BUILD=1' }], manifests: { kustomize: { paths: ['k8s/debug'] } } }],
    }),
    Dockerfile: NGINX_DOCKERFILE,
    'index.html': '<h1>debuggable</h1>\n',
    ...baseAndOverlays('debuggable', { default: undefined, debug: { build: 'debug' } }),
  },
  overlaid: {
    // Env templates in kustomize paths exist since skaffold/v4beta11.
    'skaffold.yaml': skaffoldConfig('overlaid', {
      build: { tagPolicy: INPUT_DIGEST, artifacts: [dockerArtifact('overlaid')] },
      paths: ['k8s/{{.OVERLAY}}'],
    }),
    Dockerfile: NGINX_DOCKERFILE,
    'index.html': '<h1>overlaid</h1>\n',
    ...baseAndOverlays('overlaid', { blue: { color: 'blue' }, green: { color: 'green' } }),
  },
  'build-args': {
    'skaffold.yaml': skaffoldConfig('build-args', {
      build: { tagPolicy: INPUT_DIGEST, artifacts: [dockerArtifact('build-args', { buildArgs: { SRC: '{{.SRC_DIR}}' } })] },
      paths: ['k8s'],
    }),
    // The build arg chooses which folder the image is built from, so it chooses the files inputDigest hashes.
    Dockerfile: 'FROM nginx:1.27-alpine\nARG SRC=a\nCOPY ${SRC}/ /usr/share/nginx/html/\n',
    'a/index.html': '<h1>site a</h1>\n',
    'b/index.html': '<h1>site b</h1>\n',
    'k8s/kustomization.yaml': labelsKustomization(['deployment.yaml']),
    'k8s/deployment.yaml': yaml(deployment('build-args')),
  },
  'common-user': {
    'skaffold.yaml': skaffoldConfig('common-user', {
      build: { tagPolicy: INPUT_DIGEST, artifacts: [{ image: 'common-user', context: `../../${COMMON_CONTEXT}`, docker: { dockerfile: 'Dockerfile' } }] },
      paths: ['k8s'],
    }),
    'k8s/kustomization.yaml': labelsKustomization(['deployment.yaml']),
    'k8s/deployment.yaml': yaml(deployment('common-user')),
  },
  'platform-user': {
    'skaffold.yaml': skaffoldConfig('platform-user', { build: { tagPolicy: INPUT_DIGEST, artifacts: [dockerArtifact('platform-user')] }, paths: ['k8s'] }),
    Dockerfile: NGINX_DOCKERFILE,
    'index.html': '<h1>platform-user</h1>\n',
    'k8s/kustomization.yaml': yaml(kustomization({ resources: ['deployment.yaml'], components: [`../../../${PLATFORM_COMPONENT}`] })),
    'k8s/deployment.yaml': yaml(deployment('platform-user')),
  },
  // Its tag depends on its files only, so a commit elsewhere leaves its render a cache hit.
  steady: {
    'skaffold.yaml': skaffoldConfig('steady', {
      build: { tagPolicy: INPUT_DIGEST, artifacts: [dockerArtifact('steady')] },
      paths: ['k8s/develop'],
      profiles: [{ name: 'production', manifests: { kustomize: { paths: ['k8s/production'] } } }],
    }),
    Dockerfile: NGINX_DOCKERFILE,
    'index.html': '<h1>steady</h1>\n',
    ...baseAndOverlays('steady', { develop: { tier: 'develop' }, production: { tier: 'production' } }),
  },
};

/** Files outside the services: the two shared projects. */
const SHARED_FILES: Record<string, string> = {
  'libs/platform/project.json': `${JSON.stringify({ name: 'platform', projectType: 'library' }, null, 2)}\n`,
  [`${PLATFORM_COMPONENT}/kustomization.yaml`]: componentKustomization('platform'),
  [`${COMMON_CONTEXT}/project.json`]: `${JSON.stringify({ name: 'common', projectType: 'library' }, null, 2)}\n`,
  [`${COMMON_CONTEXT}/Dockerfile`]: 'FROM nginx:1.27-alpine\nCOPY src/ /usr/share/nginx/html/\n',
  [`${COMMON_CONTEXT}/src/index.html`]: '<h1>common v1</h1>\n',
};

const SERVICE_NAMES = Object.keys(SERVICES).sort();

let packDir: string | undefined;
let sandbox: string | undefined;
let workspace: FixtureWorkspace;
let manifests: string;
let firstCommit: string;
const savedEnv = new Map<string, string | undefined>();

beforeAll(async () => {
  for (const name of CONTROLLED_ENV) {
    savedEnv.set(name, process.env[name]);
    delete process.env[name];
  }
  await ensurePluginBuilt();
  packDir = makeTempDir('nx-gitops-e2e-pack-');
  const tarball = await packPlugin(packDir);
  sandbox = makeTempDir('nx-gitops-e2e-cache-');
  manifests = join(sandbox, 'manifests.git');
  await createBareRepository(manifests);
  workspace = await createFixtureWorkspace({ root: join(sandbox, 'workspace'), nxVersion: NX_VERSION, pluginTarball: tarball });
  firstCommit = await workspace.head();
});

afterAll(() => {
  removeTempDir(sandbox);
  removeTempDir(packDir);
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** The environment of a step: the base values with `changes` applied. */
const stepEnv = (changes: Record<string, string> = {}) => ({ ...BASE_ENV, ...changes });

/** `nx affected -t publish-manifest` over the commits after `base`, with the cache on. */
async function publishAffected(base: string, env: Record<string, string> = {}): Promise<string> {
  return (await workspace.nx(['affected', '-t', 'publish-manifest', `--base=${base}`, '--head=HEAD'], { env: stepEnv(env) })).stdout;
}

/** `nx run <project>:publish-manifest[:<environment>]` with the cache on. */
async function publishProject(project: string, options: { env?: Record<string, string>; environment?: string } = {}): Promise<string> {
  const target = `${project}:publish-manifest${options.environment ? `:${options.environment}` : ''}`;
  return (await workspace.nx(['run', target], { env: stepEnv(options.env) })).stdout;
}

/** The projects `nx show projects --affected` lists for the commits after `base`. */
async function affectedProjects(base: string): Promise<string[]> {
  const { stdout } = await workspace.nx(['show', 'projects', '--affected', `--base=${base}`, '--head=HEAD']);
  return stdout.split('\n').map((line) => line.trim()).filter((line) => /^[a-z0-9-]+$/.test(line)).sort();
}

/** The manifest on `<project>/<environment>` of the manifest repository. */
const publishedManifest = (project: string, environment = 'develop') => showFile(manifests, `${project}/${environment}`, 'manifest.yaml');

/** The images of the manifest on `<project>/<environment>`. */
async function publishedImages(project: string, environment = 'develop'): Promise<string[]> {
  return imagesIn(await publishedManifest(project, environment));
}

/**
 * Renders `<project>:<environment>` again with `--skip-nx-cache` into `dist/check/` (the same commit and
 * environment variables, its own output so that the cached outputs stay as they are) and expects the
 * manifest branch to hold exactly those bytes.
 */
async function expectPublishedEqualsFreshRender(project: string, options: { env?: Record<string, string>; environment?: string } = {}): Promise<void> {
  const environment = options.environment ?? 'develop';
  const checkDir = `dist/check/${project}/${environment}`;
  rmSync(join(workspace.root, checkDir), { recursive: true, force: true });
  await workspace.nx(['run', `${project}:render:${environment}`, '--skip-nx-cache', `--output=${checkDir}/manifest.yaml`], { env: stepEnv(options.env) });
  const fresh = join(workspace.root, checkDir, 'manifest.yaml');
  const branch = `${project}/${environment}`;
  expect({ branch, manifest: await publishedManifest(project, environment) }).toEqual({ branch, manifest: readFileSync(fresh, 'utf8').replace(/\n$/, '') });
  expect(await blobId(manifests, branch, 'manifest.yaml')).toBe(await hashFile(fresh));
}

/** Expects the last commit of `<project>/<environment>` to name the workspace's HEAD as its source. */
async function expectPublishedFromHead(project: string, environment = 'develop'): Promise<void> {
  const branch = `${project}/${environment}`;
  const [sha, fullSha] = [await workspace.head({ short: true }), await workspace.head()];
  const message = await workspace.git(['-C', manifests, 'log', '-1', '--format=%B', branch]);
  expect(message.split('\n')[0]).toBe(`${branch}: render ${sha}`);
  expect(message.split('\n')).toContain(`Source-Commit: ${fullSha}`);
}

/** Publishes `project` as things stand, so that the cache holds a render of the current state before a step changes it. */
async function primeCache(project: string): Promise<void> {
  await publishProject(project);
}

/** The tag of the only image of `<project>/<environment>`. */
async function publishedTag(project: string, environment = 'develop'): Promise<string> {
  const images = await publishedImages(project, environment);
  expect(images).toHaveLength(1);
  return images[0].slice(images[0].lastIndexOf(':') + 1);
}

describe(`with the Nx cache on, publish-manifest publishes the render of the current state (Nx ${NX_VERSION})`, () => {
  it('publishes every service to <service>/develop on the first affected run', async () => {
    for (const [service, files] of Object.entries(SERVICES)) {
      for (const [path, content] of Object.entries(files)) workspace.writeFile(`services/${service}/${path}`, content);
    }
    for (const [path, content] of Object.entries(SHARED_FILES)) workspace.writeFile(path, content);
    workspace.writeFile('.gitignore', `${workspace.readFile('.gitignore')}${BUILD_OUTPUT_FILE}\n`);
    const nxJson = JSON.parse(workspace.readFile('nx.json'));
    nxJson.plugins = [{ plugin: 'nx-gitops', options: { manifestRepository: `file://${manifests}` } }];
    workspace.writeFile('nx.json', `${JSON.stringify(nxJson, null, 2)}\n`);
    await workspace.commitAll('Services, one per input class of a render');

    await publishAffected(firstCommit);

    expect(Object.keys(await branchTips(manifests)).sort()).toEqual(SERVICE_NAMES.map((service) => `${service}/develop`));
    for (const service of SERVICE_NAMES) {
      const rendered = join(workspace.root, `dist/manifests/${service}/develop/manifest.yaml`);
      expect(await blobId(manifests, `${service}/develop`, 'manifest.yaml')).toBe(await hashFile(rendered));
      await expectPublishedFromHead(service);
    }
    expect(await publishedImages('env-tagged')).toEqual([`env-tagged:${BASE_ENV.IMAGE_TAG}`]);
    expect(await publishedManifest('overlaid')).toContain(`color: ${BASE_ENV.OVERLAY}`);
    expect(await publishedManifest('platform-user')).toContain('team: platform');
  });

  it('tags a gitCommit (Tags variant) image with a git tag put on HEAD, not with the cached commit sha', async () => {
    await primeCache('tagged');
    // Before any tag, `git describe --tags --always` gives the abbreviated commit.
    expect(await publishedTag('tagged')).toBe(await workspace.git(['describe', '--tags', '--always']));
    expect(await publishedTag('tagged')).toBe(await workspace.head({ short: true }));

    await workspace.git(['tag', 'v1.0.0']);
    await publishProject('tagged');

    expect(await publishedImages('tagged')).toEqual(['tagged:v1.0.0']);
    await expectPublishedFromHead('tagged');
    await expectPublishedEqualsFreshRender('tagged');
  });

  it('tags a gitCommit (Tags variant) image with git describe after a commit, and with a new tag put on that commit', async () => {
    const previous = await workspace.head();
    workspace.writeFile('services/tagged/index.html', '<h1>tagged, second release</h1>\n');
    await workspace.commitAll('tagged: second release');

    await publishAffected(previous);

    // skaffold's Tags variant is `git describe --tags --always`: the last tag, the commits since, g + the commit.
    const described = await workspace.git(['describe', '--tags', '--always']);
    expect(described).toBe(`v1.0.0-1-g${await workspace.head({ short: true })}`);
    expect(await publishedImages('tagged')).toEqual([`tagged:${described}`]);
    await expectPublishedEqualsFreshRender('tagged');

    await workspace.git(['tag', 'v1.1.0']);
    await publishProject('tagged');

    expect(await publishedImages('tagged')).toEqual(['tagged:v1.1.0']);
    await expectPublishedFromHead('tagged');
    await expectPublishedEqualsFreshRender('tagged');
  });

  it('tags a gitCommit (Branches variant) image with the branch checked out, for the same commit', async () => {
    await primeCache('branched');
    expect(await publishedImages('branched')).toEqual(['branched:main']);

    await workspace.git(['checkout', '-q', '-b', 'feature']);
    try {
      await publishProject('branched');

      expect(await publishedImages('branched')).toEqual(['branched:feature']);
      await expectPublishedEqualsFreshRender('branched');
    } finally {
      await workspace.git(['checkout', '-q', 'main']);
    }

    await publishProject('branched');

    expect(await publishedImages('branched')).toEqual(['branched:main']);
    await expectPublishedEqualsFreshRender('branched');
  });

  it('applies a profile activated by env DEBUG_BUILD=1 while the variable is set, and drops it when it is not', async () => {
    await primeCache('debuggable');
    expect(await publishedManifest('debuggable')).not.toContain('build: debug');

    await publishProject('debuggable', { env: { DEBUG_BUILD: '1' } });

    expect(await publishedManifest('debuggable')).toContain('build: debug');
    await expectPublishedEqualsFreshRender('debuggable', { env: { DEBUG_BUILD: '1' } });

    await publishProject('debuggable');

    expect(await publishedManifest('debuggable')).not.toContain('build: debug');
    await expectPublishedEqualsFreshRender('debuggable');
  });

  it('tags an envTemplate {{.IMAGE_TAG}} image with the current IMAGE_TAG', async () => {
    await primeCache('env-tagged');
    expect(await publishedImages('env-tagged')).toEqual([`env-tagged:${BASE_ENV.IMAGE_TAG}`]);

    await publishProject('env-tagged', { env: { IMAGE_TAG: '1.1.0' } });

    expect(await publishedImages('env-tagged')).toEqual(['env-tagged:1.1.0']);
    await expectPublishedEqualsFreshRender('env-tagged', { env: { IMAGE_TAG: '1.1.0' } });
  });

  it('renders the kustomize path the current OVERLAY names in a {{.OVERLAY}} path template', async () => {
    await primeCache('overlaid');
    expect(await publishedManifest('overlaid')).toContain('color: blue');

    await publishProject('overlaid', { env: { OVERLAY: 'green' } });

    const manifest = await publishedManifest('overlaid');
    expect(manifest).toContain('color: green');
    expect(manifest).not.toContain('color: blue');
    await expectPublishedEqualsFreshRender('overlaid', { env: { OVERLAY: 'green' } });
  });

  it('gives an inputDigest image a new tag when an env-templated docker build arg chooses other files', async () => {
    await primeCache('build-args');
    const tagFromA = await publishedTag('build-args');
    expect(tagFromA).toMatch(/^[0-9a-f]{64}$/);

    await publishProject('build-args', { env: { SRC_DIR: 'b' } });

    const tagFromB = await publishedTag('build-args');
    expect(tagFromB).toMatch(/^[0-9a-f]{64}$/);
    expect(tagFromB).not.toBe(tagFromA);
    await expectPublishedEqualsFreshRender('build-args', { env: { SRC_DIR: 'b' } });
  });

  it('publishes the images of the current SKAFFOLD_BUILD_ARTIFACTS file when its content changes', async () => {
    await primeCache('prebuilt');
    const buildOutput = (tag: string) => `${JSON.stringify({ builds: [{ imageName: 'prebuilt', tag: `registry.example.com/team/prebuilt:${tag}` }] })}\n`;
    const env = { SKAFFOLD_BUILD_ARTIFACTS: BUILD_OUTPUT_FILE };

    workspace.writeFile(BUILD_OUTPUT_FILE, buildOutput('build-1'));
    await publishProject('prebuilt', { env });

    expect(await publishedImages('prebuilt')).toEqual(['registry.example.com/team/prebuilt:build-1']);
    await expectPublishedEqualsFreshRender('prebuilt', { env });

    workspace.writeFile(BUILD_OUTPUT_FILE, buildOutput('build-2'));
    await publishProject('prebuilt', { env });

    expect(await publishedImages('prebuilt')).toEqual(['registry.example.com/team/prebuilt:build-2']);
    await expectPublishedEqualsFreshRender('prebuilt', { env });
  });

  it('makes a service affected by a committed change in its artifact context outside the service, and retags it', async () => {
    await primeCache('common-user');
    const tagBefore = await publishedTag('common-user');
    const previous = await workspace.head();
    workspace.writeFile(`${COMMON_CONTEXT}/src/index.html`, '<h1>common v2</h1>\n');
    await workspace.commitAll('common: v2');

    expect(await affectedProjects(previous)).toContain('common-user');
    await publishAffected(previous);

    expect(await publishedTag('common-user')).not.toBe(tagBefore);
    await expectPublishedFromHead('common-user');
    await expectPublishedEqualsFreshRender('common-user');
  });

  it('republishes a service when a shared kustomize component it uses outside the service is committed', async () => {
    await primeCache('platform-user');
    const previous = await workspace.head();
    workspace.writeFile(`${PLATFORM_COMPONENT}/kustomization.yaml`, componentKustomization('payments'));
    await workspace.commitAll('Platform component: team payments');

    expect(await affectedProjects(previous)).toContain('platform-user');
    await publishAffected(previous);

    const manifest = await publishedManifest('platform-user');
    expect(manifest).toContain('team: payments');
    expect(manifest).not.toContain('team: platform');
    await expectPublishedFromHead('platform-user');
    await expectPublishedEqualsFreshRender('platform-user');
  });

  it('names the new HEAD as the source when a render cached before an unrelated commit is published', async () => {
    await primeCache('steady');
    await workspace.nx(['run', 'steady:render:production'], { env: stepEnv() });
    const developTip = (await branchTips(manifests))['steady/develop'];
    workspace.writeFile('docs/operations.md', '# Operations\n');
    await workspace.commitAll('Docs: operations');

    const output = await publishProject('steady', { environment: 'production' });

    expect(output).toMatch(/steady:render:production.*(\[local cache\]|\[existing outputs match the cache, left as is\])/);
    expect(await publishedManifest('steady', 'production')).toContain('tier: production');
    await expectPublishedFromHead('steady', 'production');
    await expectPublishedEqualsFreshRender('steady', { environment: 'production' });

    // The develop tree is the same as before the commit: DESIGN says publish does nothing then.
    await publishProject('steady');

    expect((await branchTips(manifests))['steady/develop']).toBe(developTip);
    await expectPublishedEqualsFreshRender('steady');
  });

  it('replays the cached render and commits nothing after a commit outside every input', async () => {
    await primeCache('steady');
    const before = await branchTips(manifests);
    const previous = await workspace.head();
    workspace.writeFile('README.md', '# The services\n');
    await workspace.commitAll('README');

    expect(await affectedProjects(previous)).toEqual([]);
    await publishAffected(previous);
    const output = await publishProject('steady');

    expect(output).toMatch(/steady:render:develop.*(\[local cache\]|\[existing outputs match the cache, left as is\])/);
    expect(await branchTips(manifests)).toEqual(before);
    await expectPublishedEqualsFreshRender('steady');
  });

  it.each([
    ['steady', 'services/steady/k8s/develop/kustomization.yaml'],
    ['tagged', 'services/tagged/k8s/kustomization.yaml'],
  ])('refuses to publish %s while an overlay is edited and not committed, leaving the branch where it was', async (service, overlay) => {
    await primeCache(service);
    const before = await branchTips(manifests);
    const committed = workspace.readFile(overlay);
    workspace.writeFile(overlay, `${committed}commonAnnotations:\n  uncommitted: "true"\n`);
    try {
      const result = await runInFixture(join(workspace.root, 'node_modules/.bin/nx'), ['run', `${service}:publish-manifest`], {
        cwd: workspace.root,
        env: stepEnv(),
        allowFailure: true,
      });

      expect(result.exitCode).not.toBe(0);
      // The failure is publish refusing this target, not some other error.
      expect(`${result.stdout}\n${result.stderr}`).toMatch(new RegExp(`Refus\\w* to publish ${service}/develop`));
      expect(await branchTips(manifests)).toEqual(before);
    } finally {
      await workspace.git(['checkout', '--', overlay]);
    }
  });
});
