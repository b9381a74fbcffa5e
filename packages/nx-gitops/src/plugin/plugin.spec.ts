import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CreateDependenciesContext, CreateNodesContext } from '@nx/devkit';
import { createDependencies, createNodes, createNodesV2 } from '../index';
import { NX_RELEASE_VERSION_FILES_INPUT } from '../skaffold/nx-release-image';
import { BUILD_ARTIFACTS_CONTENT_INPUT } from './create-nodes';
import { seedSkaffoldYaml } from '../testing/seed-service';

let workspaceRoot: string;
beforeEach(() => {
  workspaceRoot = mkdtempSync(join(tmpdir(), 'nx-gitops-plugin-'));
});
afterEach(() => rmSync(workspaceRoot, { recursive: true, force: true }));

function write(path: string, text: string) {
  mkdirSync(dirname(join(workspaceRoot, path)), { recursive: true });
  writeFileSync(join(workspaceRoot, path), text);
}

function overlay(service: string, environment: string, extra = '') {
  write(`services/${service}/kubernetes/overlays/${environment}/kustomization.yaml`, `resources:\n- ../../base\n${extra}`);
}

/** The seed's `foo` service: skaffold/v2beta10, develop by default, a production profile. */
function seedService() {
  write('services/foo/skaffold.yaml', seedSkaffoldYaml());
  write('services/foo/kubernetes/base/kustomization.yaml', 'resources:\n- deployment.yaml\n');
  write('services/foo/kubernetes/base/deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: foo\n');
  overlay('foo', 'develop');
  overlay('foo', 'production');
}

/** A v4 service with three environments whose overlays use a component held in the platform project. */
function serviceWithComponent() {
  write('platform/project.json', JSON.stringify({ name: 'platform' }));
  write('platform/components/probes/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- path: probes.yaml\n');
  write('platform/components/probes/probes.yaml', '[]\n');
  write(
    'services/bar/skaffold.yaml',
    `apiVersion: skaffold/v4beta13
kind: Config
metadata:
  name: bar
build:
  tagPolicy:
    envTemplate:
      template: "{{.RELEASE}}-{{.IMAGE_NAME}}"
  artifacts:
  - image: bar
manifests:
  kustomize:
    paths: [kubernetes/overlays/develop]
profiles:
- name: staging
  manifests:
    kustomize:
      paths: [kubernetes/overlays/staging]
- name: production
  build:
    tagPolicy:
      dateTime: {}
  manifests:
    kustomize:
      paths: [kubernetes/overlays/production]
`,
  );
  write('services/bar/kubernetes/base/kustomization.yaml', 'resources: []\n');
  overlay('bar', 'develop');
  overlay('bar', 'staging');
  overlay('bar', 'production', 'components:\n- ../../../../../platform/components/probes\n');
}

const context = (): CreateNodesContext => ({ workspaceRoot, nxJsonConfiguration: {} });

describe('createNodes', () => {
  it('is exported under both names with a skaffold.yaml glob', () => {
    expect(createNodesV2).toBe(createNodes);
    expect(createNodes[0]).toBe('**/skaffold.yaml');
  });

  it('infers the seed service: targets, one configuration per environment, inputs and outputs', async () => {
    seedService();
    const results = await createNodes[1](['services/foo/skaffold.yaml'], {}, context());
    expect(results).toMatchInlineSnapshot(`
[
  [
    "services/foo/skaffold.yaml",
    {
      "projects": {
        "services/foo": {
          "metadata": {
            "targetGroups": {
              "gitops": [
                "render",
                "publish-manifest",
                "diff-manifest",
              ],
            },
            "technologies": [
              "skaffold",
              "kustomize",
            ],
          },
          "name": "foo",
          "targets": {
            "diff-manifest": {
              "cache": false,
              "configurations": {
                "develop": {
                  "environment": "develop",
                },
                "production": {
                  "environment": "production",
                },
              },
              "defaultConfiguration": "develop",
              "dependsOn": [
                "render",
              ],
              "executor": "nx-gitops:diff-manifest",
              "inputs": [
                {
                  "dependentTasksOutputFiles": "**/*",
                },
              ],
              "metadata": {
                "description": "Compare the rendered manifests with the manifest repository, object by object (read only)",
                "help": {
                  "command": "npx nx run foo:diff-manifest --help",
                  "example": {
                    "args": [
                      "--configuration=production",
                    ],
                    "options": {
                      "exitCode": true,
                    },
                  },
                },
                "technologies": [
                  "git",
                ],
              },
              "options": {
                "environment": "develop",
              },
              "outputs": [
                "{workspaceRoot}/dist/manifests/{projectName}/{options.environment}/diff.json",
                "{workspaceRoot}/dist/manifests/{projectName}/{options.environment}/diff.md",
                "{workspaceRoot}/dist/manifests/diff.json",
                "{workspaceRoot}/dist/manifests/diff.md",
              ],
            },
            "publish-manifest": {
              "cache": false,
              "configurations": {
                "develop": {
                  "environment": "develop",
                },
                "production": {
                  "environment": "production",
                },
              },
              "defaultConfiguration": "develop",
              "dependsOn": [
                "render",
              ],
              "executor": "nx-gitops:publish-manifest",
              "inputs": [
                {
                  "dependentTasksOutputFiles": "**/*",
                },
              ],
              "metadata": {
                "description": "Commit the rendered manifests to the manifest repository, one branch per service and environment",
                "help": {
                  "command": "npx nx run foo:publish-manifest --help",
                  "example": {
                    "args": [
                      "--configuration=production",
                    ],
                    "options": {
                      "dryRun": true,
                    },
                  },
                },
                "technologies": [
                  "git",
                ],
              },
              "options": {
                "environment": "develop",
              },
            },
            "render": {
              "cache": true,
              "configurations": {
                "develop": {
                  "environment": "develop",
                  "profiles": [],
                },
                "production": {
                  "environment": "production",
                  "profiles": [
                    "production",
                  ],
                },
              },
              "defaultConfiguration": "develop",
              "executor": "nx-gitops:render",
              "inputs": [
                "{projectRoot}/**/*",
                {
                  "env": "SKAFFOLD_BUILD_ARTIFACTS",
                },
                {
                  "env": "SKAFFOLD_DEFAULT_REPO",
                },
                {
                  "env": "SKAFFOLD_DIGEST_SOURCE",
                },
                {
                  "env": "SKAFFOLD_TAG",
                },
                {
                  "runtime": "test -z "$SKAFFOLD_BUILD_ARTIFACTS" || cat -- "$SKAFFOLD_BUILD_ARTIFACTS"",
                },
                {
                  "env": "NX_DOCKER_IMAGE_REF",
                },
                {
                  "runtime": "grep -r --include=.docker-version "" tmp 2>/dev/null | LC_ALL=C sort || true",
                },
                {
                  "runtime": "git rev-parse HEAD",
                },
                {
                  "runtime": "git describe --tags --always",
                },
              ],
              "metadata": {
                "description": "Render the Kubernetes manifests of one environment with images pinned to this commit",
                "help": {
                  "command": "npx nx run foo:render --help",
                  "example": {
                    "args": [
                      "--configuration=production",
                    ],
                    "options": {
                      "defaultRepo": "ghcr.io/acme",
                    },
                  },
                },
                "technologies": [
                  "skaffold",
                  "kustomize",
                ],
              },
              "options": {
                "environment": "develop",
                "profiles": [],
                "skaffoldConfig": "{projectRoot}/skaffold.yaml",
              },
              "outputs": [
                "{workspaceRoot}/dist/manifests/{projectName}/{options.environment}",
              ],
            },
          },
        },
      },
    },
  ],
]
`);
  });

  it('infers three environments, external component inputs, env inputs and no cache for dateTime', async () => {
    serviceWithComponent();
    const results = await createNodes[1](['services/bar/skaffold.yaml'], { manifestRepository: 'https://git.example.com/manifests.git', renderTargetName: 'manifests' }, context());
    const project = results[0][1].projects!['services/bar'];
    expect(Object.keys(project.targets!)).toEqual(['manifests', 'publish-manifest', 'diff-manifest']);
    expect(project.targets!.manifests.configurations).toEqual({
      develop: { environment: 'develop', profiles: [] },
      production: { environment: 'production', profiles: ['production'] },
      staging: { environment: 'staging', profiles: ['staging'] },
    });
    expect(project.targets!.manifests.inputs).toEqual([
      '{projectRoot}/**/*',
      '{workspaceRoot}/platform/components/probes/kustomization.yaml',
      '{workspaceRoot}/platform/components/probes/probes.yaml',
      { env: 'SKAFFOLD_BUILD_ARTIFACTS' },
      { env: 'SKAFFOLD_DEFAULT_REPO' },
      { env: 'SKAFFOLD_DIGEST_SOURCE' },
      { env: 'SKAFFOLD_TAG' },
      { env: 'RELEASE' },
      { runtime: BUILD_ARTIFACTS_CONTENT_INPUT },
      { env: 'NX_DOCKER_IMAGE_REF' },
      { runtime: NX_RELEASE_VERSION_FILES_INPUT },
    ]);
    expect(project.targets!.manifests.cache).toBe(false);
    expect(project.targets!['publish-manifest'].dependsOn).toEqual(['manifests']);
    expect(project.targets!['publish-manifest'].options).toEqual({
      environment: 'develop',
      manifestRepository: 'https://git.example.com/manifests.git',
    });
  });

  it('gives the activePath plugin option (one branch per environment) to publish-manifest and diff-manifest alike', async () => {
    const layout = { manifestRepository: 'https://git.example.com/manifests.git', branch: 'environment/{environment}', activePath: 'apps/{project}' };
    const results = await createNodes[1](['services/bar/skaffold.yaml'], layout, context());
    const targets = results[0][1].projects!['services/bar'].targets!;
    for (const name of ['publish-manifest', 'diff-manifest']) {
      expect(targets[name].options).toEqual({ environment: 'develop', ...layout });
    }
    await expect(createNodes[1](['services/bar/skaffold.yaml'], { activePath: 'apps' }, context())).rejects.toThrow('Invalid nx-gitops plugin option "activePath": must name {project}');
    await expect(createNodes[1](['services/bar/skaffold.yaml'], { activePath: 'apps/{project}' }, context())).rejects.toThrow(
      'Invalid nx-gitops plugin option "branch": must not name {project} with activePath',
    );
  });

  it('infers diff-manifest beside publish-manifest: depends on render, one configuration per environment, uncached, named by diffTargetName', async () => {
    const results = await createNodes[1](
      ['services/bar/skaffold.yaml'],
      { manifestRepository: 'https://git.example.com/manifests.git', renderTargetName: 'manifests', diffTargetName: 'preview', branch: 'deploy/{project}/{environment}' },
      context(),
    );
    const project = results[0][1].projects!['services/bar'];
    const preview = project.targets!.preview;
    expect(preview).toMatchObject({
      executor: 'nx-gitops:diff-manifest',
      cache: false,
      dependsOn: ['manifests'],
      defaultConfiguration: 'develop',
      options: { environment: 'develop', manifestRepository: 'https://git.example.com/manifests.git', branch: 'deploy/{project}/{environment}' },
    });
    // One configuration per environment, as publish-manifest has.
    expect(Object.keys(preview.configurations!)).toEqual(Object.keys(project.targets!.manifests.configurations!));
    expect(preview.configurations).toEqual(project.targets!['publish-manifest'].configurations);
    expect(preview.outputs).toContain('{workspaceRoot}/dist/manifests/{projectName}/{options.environment}/diff.md');
    expect(preview.outputs).toContain('{workspaceRoot}/dist/manifests/diff.md');
    // It reads only the render's output: Nx 24 reaches it through an affected render, and hashes nothing else.
    expect(preview.inputs).toEqual([{ dependentTasksOutputFiles: '**/*' }]);
    expect(project.targets!['publish-manifest'].inputs).toEqual(preview.inputs);
    expect(project.metadata?.targetGroups).toEqual({ gitops: ['manifests', 'publish-manifest', 'preview'] });
    await expect(createNodes[1](['services/bar/skaffold.yaml'], { diffTargetName: 'publish-manifest' }, context())).rejects.toThrow(
      'Invalid nx-gitops plugin option "diffTargetName": must differ from renderTargetName and publishTargetName.',
    );
  });

  it('takes environments from the plugin options when given, and the name from project.json', async () => {
    seedService();
    write('services/foo/project.json', JSON.stringify({ name: 'foo-api' }));
    const results = await createNodes[1](
      ['services/foo/skaffold.yaml'],
      { defaultEnvironment: 'dev', environments: { dev: [], prod: ['production'] } },
      context(),
    );
    const project = results[0][1].projects!['services/foo'];
    expect(project.name).toBe('foo-api');
    expect(project.targets!.render.defaultConfiguration).toBe('dev');
    expect(project.targets!.render.configurations).toEqual({
      dev: { environment: 'dev', profiles: [] },
      prod: { environment: 'prod', profiles: ['production'] },
    });
  });

  it('skips node_modules and dist', async () => {
    seedService();
    write('node_modules/x/skaffold.yaml', 'not: valid');
    write('dist/y/skaffold.yaml', 'not: valid');
    const results = await createNodes[1](['node_modules/x/skaffold.yaml', 'dist/y/skaffold.yaml', 'services/foo/skaffold.yaml'], {}, context());
    expect(results.map(([file]) => file)).toEqual(['services/foo/skaffold.yaml']);
  });

  it('keeps the graph when a skaffold.yaml is broken: its render is uncached and names the file and line', async () => {
    write('services/broken/skaffold.yaml', 'apiVersion: skaffold/v4beta13\nkind: Config\nbuild:\n  artifacts: {}\n');
    write('services/other/skaffold.yaml', 'apiVersion: skaffold/v4beta13\nkind: Confg\n');
    seedService();
    const files = ['services/broken/skaffold.yaml', 'services/foo/skaffold.yaml', 'services/other/skaffold.yaml'];
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const results = await createNodes[1](files, {}, context());
      expect(results.map(([file]) => file)).toEqual(files);
      const render = (file: string) => results.find(([each]) => each === file)![1].projects![dirname(file)].targets!.render;
      expect(render('services/foo/skaffold.yaml').cache).toBe(true);
      expect(render('services/broken/skaffold.yaml').cache).toBe(false);
      expect(render('services/broken/skaffold.yaml').metadata?.description).toMatch(/services\/broken\/skaffold\.yaml:4:14: build\.artifacts must be array/);
      expect(render('services/broken/skaffold.yaml').metadata?.description).not.toContain(workspaceRoot);
      // Every broken file is named in one warning, each with its line.
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(/services\/other\/skaffold\.yaml:2:7: unknown kind "Confg"/);
    } finally {
      warn.mockRestore();
    }
  });

  it('a profile whose patch fails only marks that service, and its other environments still exist', async () => {
    write(
      'services/demo/skaffold.yaml',
      'apiVersion: skaffold/v4beta13\nkind: Config\nmanifests:\n  rawYaml: [k8s/a.yaml]\nprofiles:\n- name: debug\n  patches:\n  - op: replace\n    path: /build/artifacts/0/docker\n    value: {}\n',
    );
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const results = await createNodes[1](['services/demo/skaffold.yaml'], {}, context());
      const render = results[0][1].projects!['services/demo'].targets!.render;
      expect(Object.keys(render.configurations ?? {})).toEqual(['develop', 'debug']);
      expect(render.metadata?.description).toMatch(/environment "debug"/);
    } finally {
      warn.mockRestore();
    }
  });

  it('infers the profiles of required configs as environments (skaffold propagates -p), unless propagateProfiles is false', async () => {
    write('services/app/skaffold.yaml', 'apiVersion: skaffold/v4beta13\nkind: Config\nrequires:\n- path: ../lib\nmanifests:\n  rawYaml: [k8s/a.yaml]\n');
    write('services/lib/skaffold.yaml', 'apiVersion: skaffold/v4beta13\nkind: Config\nmetadata:\n  name: lib\nmanifests:\n  rawYaml: [k8s/b.yaml]\nprofiles:\n- name: staging\n  manifests:\n    rawYaml: [k8s/c.yaml]\n');
    const configurations = async (options: object) =>
      Object.keys((await createNodes[1](['services/app/skaffold.yaml'], options, context()))[0][1].projects!['services/app'].targets!.render.configurations ?? {});
    expect(await configurations({})).toEqual(['develop', 'staging']);
    expect(await configurations({ propagateProfiles: false })).toEqual(['develop']);
  });

  it('rejects invalid plugin options by name', async () => {
    seedService();
    await expect(createNodes[1](['services/foo/skaffold.yaml'], { defaultEnvironment: 'Dev_1' } as never, context())).rejects.toThrow(
      /Invalid nx-gitops plugin option "defaultEnvironment"/,
    );
    await expect(createNodes[1](['services/foo/skaffold.yaml'], { envs: {} } as never, context())).rejects.toThrow(/"envs"/);
  });
});

describe('createDependencies', () => {
  it('adds a static edge from a service to the project holding its component', async () => {
    seedService();
    serviceWithComponent();
    const dependencyContext = {
      workspaceRoot,
      nxJsonConfiguration: {},
      externalNodes: {},
      fileMap: { projectFileMap: {}, nonProjectFiles: [] },
      filesToProcess: { projectFileMap: {}, nonProjectFiles: [] },
      projects: {
        foo: { root: 'services/foo' },
        bar: { root: 'services/bar' },
        platform: { root: 'platform' },
      },
    } as unknown as CreateDependenciesContext;
    expect(await createDependencies({}, dependencyContext)).toEqual([
      { source: 'bar', target: 'platform', sourceFile: 'services/bar/skaffold.yaml', type: 'static' },
    ]);
  });
});
