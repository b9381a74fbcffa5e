/**
 * The inputs of the inferred targets are derived from what a render reads: each case writes a real
 * workspace and checks the inputs, the cache setting and the graph edges that `createNodes` and
 * `createDependencies` give for it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTempWorkspace } from '../testing/temp-workspace';
import type { CreateDependenciesContext, CreateNodesContext, TargetConfiguration } from '@nx/devkit';
import { createDependencies, createNodes } from '../index';
import { BUILD_ARTIFACTS_CONTENT_INPUT, GIT_STATE_COMMANDS } from './create-nodes';
import { listRenderSources } from './render-sources';

const workspace = useTempWorkspace('nx-gitops-inputs-');
const write = workspace.write;

/** A v4 service `foo` with the given skaffold.yaml body (after apiVersion/kind) and a base overlay. */
function service(body: string, name = 'foo') {
  write(`services/${name}/skaffold.yaml`, `apiVersion: skaffold/v4beta13\nkind: Config\n${body}`);
  write(`services/${name}/k8s/base/kustomization.yaml`, 'resources:\n- deployment.yaml\n');
  write(`services/${name}/k8s/base/deployment.yaml`, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: foo\n');
  write(`services/${name}/Dockerfile`, 'FROM busybox:1.36\n');
}

async function renderTarget(options: Record<string, unknown> = {}, name = 'foo'): Promise<TargetConfiguration> {
  const context: CreateNodesContext = { workspaceRoot: workspace.root, nxJsonConfiguration: {} };
  const results = await createNodes[1]([`services/${name}/skaffold.yaml`], options, context);
  return results[0][1].projects![`services/${name}`].targets!.render;
}

const runtimeInputs = (target: TargetConfiguration) =>
  (target.inputs ?? []).flatMap((input) => (typeof input === 'object' && 'runtime' in input ? [input.runtime] : []));
const envInputs = (target: TargetConfiguration) => (target.inputs ?? []).flatMap((input) => (typeof input === 'object' && 'env' in input ? [input.env] : []));
const fileInputs = (target: TargetConfiguration) => (target.inputs ?? []).filter((input): input is string => typeof input === 'string');

describe('render inputs follow the git facts a tag is made of', () => {
  it.each([
    ['no tag policy (gitCommit Tags): commit and tags', '', ['git rev-parse HEAD', 'git describe --tags --always']],
    ['gitCommit Branches: branch and commit', 'tagPolicy: {gitCommit: {variant: Branches}}', ['git branch --show-current', 'git rev-parse HEAD']],
    ['gitCommit AbbrevCommitSha: commit only', 'tagPolicy: {gitCommit: {variant: AbbrevCommitSha}}', ['git rev-parse HEAD']],
    ['inputDigest: no git fact', 'tagPolicy: {inputDigest: {}}', []],
    ['a customTemplate using GIT', 'tagPolicy: {customTemplate: {template: "{{.GIT}}"}}', ['git rev-parse HEAD', 'git describe --tags --always']],
  ])('%s', async (_name, policy, expected) => {
    service(`build:\n  ${policy}\n  artifacts:\n  - image: foo\nmanifests:\n  kustomize:\n    paths: [k8s/base]\n`);
    const target = await renderTarget();
    expect(runtimeInputs(target).filter((command) => command.startsWith('git'))).toEqual(expected);
    // The build-output file SKAFFOLD_BUILD_ARTIFACTS names is hashed by content, whatever the policy.
    expect(runtimeInputs(target)).toContain(BUILD_ARTIFACTS_CONTENT_INPUT);
    expect(target.cache).toBe(true);
  });

  it('uses the same command for every project, so Nx runs each once per run', () => {
    expect(Object.values(GIT_STATE_COMMANDS).every((command) => !command.includes('{'))).toBe(true);
  });
});

describe('render inputs list every environment variable a render reads', () => {
  it('profile activations, envTemplate, kustomize path templates and build args', async () => {
    service(`build:
  tagPolicy:
    envTemplate:
      template: "{{.IMAGE_TAG}}"
  artifacts:
  - image: foo
    docker:
      buildArgs:
        VERSION: "{{.APP_VERSION}}"
        PLAIN: fixed
manifests:
  kustomize:
    paths: ["k8s/{{.OVERLAY}}"]
profiles:
- name: debug
  activation:
  - env: DEBUG_BUILD=1
  manifests:
    kustomize:
      paths: [k8s/base]
`);
    const target = await renderTarget();
    expect(envInputs(target)).toEqual(
      expect.arrayContaining(['APP_VERSION', 'DEBUG_BUILD', 'IMAGE_TAG', 'OVERLAY', 'SKAFFOLD_BUILD_ARTIFACTS', 'SKAFFOLD_DEFAULT_REPO', 'SKAFFOLD_DIGEST_SOURCE', 'SKAFFOLD_TAG']),
    );
    expect(envInputs(target)).not.toContain('PLAIN');
  });

  it('files an env-activated profile reads are inputs even though the graph cannot know the variable', async () => {
    write('platform/project.json', JSON.stringify({ name: 'platform' }));
    write('platform/debug/kustomization.yaml', 'resources:\n- sidecar.yaml\n');
    write('platform/debug/sidecar.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: debug\n');
    service(`manifests:
  kustomize:
    paths: [k8s/base]
profiles:
- name: debug
  activation:
  - env: DEBUG_BUILD=1
  manifests:
    kustomize:
      paths: [../../platform/debug]
`);
    const target = await renderTarget();
    expect(fileInputs(target)).toEqual(
      expect.arrayContaining(['{workspaceRoot}/platform/debug/kustomization.yaml', '{workspaceRoot}/platform/debug/sidecar.yaml']),
    );
  });
});

describe('rawYaml entries', () => {
  it('cover directories a pattern matches (skaffold walks them) and the variables of env templates', async () => {
    write('shared/manifests/nested/a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n');
    service('manifests:\n  rawYaml: ["../../shared/manifests/*", "k8s/{{.FLAVOR}}.yaml"]\n');
    const target = await renderTarget();
    expect(fileInputs(target)).toEqual(expect.arrayContaining(['{workspaceRoot}/shared/manifests/*', '{workspaceRoot}/shared/manifests/nested/**/*']));
    expect(envInputs(target)).toContain('FLAVOR');
  });
});

describe('artifact contexts outside the project', () => {
  beforeEach(() => {
    write('libs/common/project.json', JSON.stringify({ name: 'common' }));
    write('libs/common/index.js', 'module.exports = 1;\n');
    write('libs/common/Dockerfile', 'FROM busybox:1.36\nCOPY . /app\n');
  });

  it('are inputs as a whole and graph edges when the tag reads their files (inputDigest)', async () => {
    service(`build:
  tagPolicy: {inputDigest: {}}
  artifacts:
  - image: foo
    context: ../../libs/common
manifests:
  kustomize:
    paths: [k8s/base]
`);
    const target = await renderTarget();
    expect(fileInputs(target)).toContain('{workspaceRoot}/libs/common/**/*');
    const dependencyContext = {
      workspaceRoot: workspace.root,
      nxJsonConfiguration: {},
      externalNodes: {},
      fileMap: { projectFileMap: {}, nonProjectFiles: [] },
      filesToProcess: { projectFileMap: {}, nonProjectFiles: [] },
      projects: { foo: { root: 'services/foo' }, common: { root: 'libs/common' } },
    } as unknown as CreateDependenciesContext;
    const edges = await createDependencies({}, dependencyContext);
    expect(edges).toEqual([{ source: 'foo', target: 'common', sourceFile: 'services/foo/skaffold.yaml', type: 'static' }]);
  });

  it('are not inputs when the tag ignores them (envTemplate)', async () => {
    service(`build:
  tagPolicy: {envTemplate: {template: "v1"}}
  artifacts:
  - image: foo
    context: ../../libs/common
manifests:
  kustomize:
    paths: [k8s/base]
`);
    expect(fileInputs(await renderTarget())).not.toContain('{workspaceRoot}/libs/common/**/*');
  });
});

describe('what Nx cannot hash makes render uncacheable, and says why', () => {
  it('a kustomize resource outside the workspace', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'nx-gitops-outside-'));
    try {
      writeFileSync(join(outside, 'extra.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n');
      service('manifests:\n  kustomize:\n    paths: [k8s/overlay]\n');
      write('services/foo/k8s/overlay/kustomization.yaml', `resources:\n- ../base\n- ${join(outside, 'extra.yaml')}\n`);
      const target = await renderTarget();
      expect(target.cache).toBe(false);
      expect(target.metadata?.description).toMatch(/not cached: it reads .*extra\.yaml, outside the workspace/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('the plugin option digestSource "remote", which is passed to render', async () => {
    service('manifests:\n  kustomize:\n    paths: [k8s/base]\n');
    const target = await renderTarget({ digestSource: 'remote' });
    expect(target.cache).toBe(false);
    expect(target.options.digestSource).toBe('remote');
    expect(target.metadata?.description).toMatch(/not cached: digestSource "remote"/);
  });
});

describe('listRenderSources', () => {
  it('names the project root and every file or folder read outside it, for the given profile and environment', () => {
    write('platform/components/probes/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- path: probes.yaml\n');
    write('platform/components/probes/probes.yaml', '[]\n');
    write('libs/common/Dockerfile', 'FROM busybox:1.36\n');
    service(`build:
  tagPolicy: {inputDigest: {}}
  artifacts:
  - image: foo
    context: ../../libs/common
manifests:
  kustomize:
    paths: ["k8s/{{.OVERLAY}}"]
profiles:
- name: production
  manifests:
    kustomize:
      paths: [k8s/production]
`);
    write('services/foo/k8s/production/kustomization.yaml', 'resources:\n- ../base\ncomponents:\n- ../../../../platform/components/probes\n');
    const configFile = 'services/foo/skaffold.yaml';
    expect(listRenderSources({ workspaceRoot: workspace.root, configFile, profiles: [], env: { OVERLAY: 'base' } })).toEqual(['libs/common', 'services/foo']);
    expect(listRenderSources({ workspaceRoot: workspace.root, configFile, profiles: ['production'], env: {} })).toEqual([
      'libs/common',
      'platform/components/probes/kustomization.yaml',
      'platform/components/probes/probes.yaml',
      'services/foo',
    ]);
  });
});
