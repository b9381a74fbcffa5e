import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitopsError } from '../lib/errors';
import { seedSkaffoldYaml } from '../testing/seed-service';
import { loadSkaffoldConfigs, parseSkaffoldConfigs, parseWithPositions, SUPPORTED_API_VERSIONS } from './config';

const seed = seedSkaffoldYaml();

function parseError(text: string): GitopsError {
  try {
    parseSkaffoldConfigs({ text, file: 'services/foo/skaffold.yaml' });
  } catch (error) {
    return error as GitopsError;
  }
  throw new Error('expected an error');
}

describe('parseSkaffoldConfigs', () => {
  it('upgrades the seed v2beta10 config to the manifests layout, profiles included', () => {
    const { configs, warnings } = parseSkaffoldConfigs({ text: seed, file: 'skaffold.yaml' });
    expect(warnings).toEqual([]);
    expect(configs).toHaveLength(1);
    const { config } = configs[0];
    expect(config.manifests).toEqual({ kustomize: { paths: ['kubernetes/overlays/develop'] } });
    expect(config.deploy).toEqual({});
    expect(config.profiles?.[0].manifests).toEqual({ kustomize: { paths: ['kubernetes/overlays/production'] } });
  });

  it('defaults v2 kustomize paths to "." and kubectl manifests to k8s/*.yaml', () => {
    const { configs } = parseSkaffoldConfigs({
      text: 'apiVersion: skaffold/v2beta29\nkind: Config\ndeploy:\n  kustomize: {}\n  kubectl: {}\n',
      file: 'skaffold.yaml',
    });
    expect(configs[0].config.manifests).toEqual({ kustomize: { paths: ['.'] }, rawYaml: ['k8s/*.yaml'] });
  });

  it('rewrites v2 profile patch paths to the v3 layout', () => {
    const { configs } = parseSkaffoldConfigs({
      text: `apiVersion: skaffold/v2beta28
kind: Config
profiles:
- name: p
  patches:
  - op: replace
    path: /deploy/kustomize/paths/0
    value: other
  - path: /deploy/kubectl/manifests/0
    value: x.yaml
`,
      file: 'skaffold.yaml',
    });
    expect(configs[0].config.profiles?.[0].patches).toEqual([
      { op: 'replace', path: '/manifests/kustomize/paths/0', value: 'other' },
      { path: '/manifests/rawYaml/0', value: 'x.yaml' },
    ]);
  });

  it('reads every document of a multi-config file, skipping empty ones', () => {
    const text = `apiVersion: skaffold/v4beta13\nkind: Config\nmetadata:\n  name: a\n---\n---\napiVersion: skaffold/v4beta14\nkind: Config\nmetadata:\n  name: b\n`;
    const { configs } = parseSkaffoldConfigs({ text, file: 'skaffold.yaml' });
    expect(configs.map((c) => [c.config.metadata?.name, c.documentIndex])).toEqual([
      ['a', 0],
      ['b', 2],
    ]);
  });

  it.each([
    ['the seed', seedSkaffoldYaml()],
    ['several documents with empty ones', 'apiVersion: skaffold/v4beta13\nkind: Config\n---\n---\napiVersion: skaffold/v3\nkind: Config\nmetadata: {name: b}\n'],
    ['anchors, quoting and core-schema scalars', 'apiVersion: skaffold/v4beta13\nkind: Config\nbuild:\n  artifacts:\n  - &a {image: "on", context: ../app}\n  - *a\nprofiles:\n- name: p\n  patches:\n  - {op: add, path: /x, value: [yes, null, 1.5, ~, 2001-12-14, 0x10, 0o17, .inf, True]}\n'],
  ])('gives the same configs on the fast path as with positions: %s', (_name, text) => {
    expect(parseSkaffoldConfigs({ text, file: 'skaffold.yaml' })).toEqual(parseWithPositions({ text, file: 'skaffold.yaml' }));
  });

  it('knows v2beta10 through v4beta14', () => {
    expect(SUPPORTED_API_VERSIONS[0]).toBe('skaffold/v2beta10');
    expect(SUPPORTED_API_VERSIONS).toContain('skaffold/v2beta29');
    expect(SUPPORTED_API_VERSIONS).toContain('skaffold/v3');
    expect(SUPPORTED_API_VERSIONS[SUPPORTED_API_VERSIONS.length - 1]).toBe('skaffold/v4beta14');
  });

  it.each([
    ['malformed YAML', 'apiVersion: skaffold/v4beta13\nkind: Config\nbuild: [a,\n', /skaffold\.yaml:4:1: invalid YAML/],
    ['an unknown apiVersion', 'apiVersion: skaffold/v1beta2\nkind: Config\n', /skaffold\.yaml:1:13: unsupported apiVersion "skaffold\/v1beta2"/],
    ['an unknown kind', 'apiVersion: skaffold/v4beta13\nkind: Pipeline\n', /skaffold\.yaml:2:7: unknown kind "Pipeline"/],
    ['an unknown top-level field', 'apiVersion: skaffold/v4beta13\nkind: Config\nbiuld: {}\n', /skaffold\.yaml:3:1: unknown field "biuld"/],
    [
      'a misspelt tag policy',
      'apiVersion: skaffold/v4beta13\nkind: Config\nbuild:\n  tagPolicy:\n    gitcommit: {}\n',
      /skaffold\.yaml:5:5: unknown field "gitcommit" in build.tagPolicy/,
    ],
    [
      'an artifact without image',
      'apiVersion: skaffold/v4beta13\nkind: Config\nbuild:\n  artifacts:\n  - context: .\n',
      /skaffold\.yaml:5:5: build\.artifacts\.0 is missing the required field "image"/,
    ],
    ['a non-list path', 'apiVersion: skaffold/v4beta13\nkind: Config\nmanifests:\n  rawYaml: k8s.yaml\n', /skaffold\.yaml:4:12: manifests\.rawYaml must be array/],
    ['an empty file', '# nothing\n', /no skaffold config found/],
  ])('fails on %s with file, line and column', (_name, text, message) => {
    const error = parseError(text);
    expect(error).toBeInstanceOf(GitopsError);
    expect(error.message).toMatch(message);
  });

  const v4 = 'apiVersion: skaffold/v4beta13\nkind: Config\n';
  it.each([
    ['a misspelt manifests source', `${v4}manifests:\n  kustomise:\n    paths: [k8s]\n`, /skaffold\.yaml:4:3: unknown field "kustomise" in manifests \(did you mean "kustomize"\?\)/],
    ['a misspelt section in a profile', `${v4}profiles:\n- name: prod\n  biuld: {}\n`, /skaffold\.yaml:5:3: unknown field "biuld" in profiles\.0 \(did you mean "build"\?\)/],
    ['an unknown field of an artifact', `${v4}build:\n  artifacts:\n  - image: foo\n    dockerfile: Dockerfile\n`, /skaffold\.yaml:6:5: unknown field "dockerfile" in build\.artifacts\.0\./],
    ['an unknown field of a docker artifact', `${v4}build:\n  artifacts:\n  - image: foo\n    docker:\n      buildArg: {A: b}\n`, /:7:7: unknown field "buildArg" in build\.artifacts\.0\.docker \(did you mean "buildArgs"\?\)/],
    ['an unknown field of a tag policy', `${v4}build:\n  tagPolicy:\n    gitCommit:\n      varient: CommitSha\n`, /:6:7: unknown field "varient" in build\.tagPolicy\.gitCommit \(did you mean "variant"\?\)/],
    ['an unknown field of a deployer', `${v4}deploy:\n  kubectl:\n    manifests: [k8s/*.yaml]\n`, /:5:5: unknown field "manifests" in deploy\.kubectl\./],
    ['an unknown field of a helm release', `${v4}deploy:\n  helm:\n    releases:\n    - name: a\n      chartpath: charts\n`, /:7:7: unknown field "chartpath" in deploy\.helm\.releases\.0 \(did you mean "chartPath"\?\)/],
    ['an unknown field of requires', `${v4}requires:\n- paths: ../lib\n`, /:4:3: unknown field "paths" in requires\.0 \(did you mean "path"\?\)/],
    ['an unknown field of an activation', `${v4}profiles:\n- name: p\n  activation:\n  - environment: CI=true\n`, /:6:5: unknown field "environment" in profiles\.0\.activation\.0\./],
    ['an unknown field of a patch', `${v4}profiles:\n- name: p\n  patches:\n  - path: /build\n    val: {}\n`, /:7:5: unknown field "val" in profiles\.0\.patches\.0\./],
    ['an unknown field of an empty struct', `${v4}build:\n  tagPolicy:\n    sha256:\n      short: true\n`, /:6:7: unknown field "short" in build\.tagPolicy\.sha256\./],
    ['an unknown field of a test section', `${v4}test:\n- image: foo\n  structureTest: [x]\n`, /:5:3: unknown field "structureTest" in test\.0 \(did you mean "structureTests"\?\)/],
    ['a manifests section in a v2 config', 'apiVersion: skaffold/v2beta29\nkind: Config\nmanifests:\n  rawYaml: [k8s.yaml]\n', /:3:1: unknown field "manifests" \(it exists from skaffold\/v3alpha1 on\)/],
    ['requires before skaffold/v2beta11', 'apiVersion: skaffold/v2beta10\nkind: Config\nrequires:\n- path: ../lib\n', /:3:1: unknown field "requires" \(it exists from skaffold\/v2beta11 on\)/],
    ['a mapping where a list belongs', `${v4}portForward:\n  resourceType: service\n`, /:4:3: portForward must be array/],
    ['a list where a mapping belongs', `${v4}deploy:\n  docker: [a]\n`, /:4:11: deploy\.docker must be object/],
    ['a list where a single value belongs', `${v4}build:\n  local:\n    push: [true]\n`, /:5:11: build\.local\.push must be a single value, not array/],
  ])('rejects %s, as skaffold decodes strictly', (_name, text, message) => {
    const error = parseError(text);
    expect(error).toBeInstanceOf(GitopsError);
    expect(error.message).toMatch(message);
  });

  it('says which fields are allowed where an unknown one is', () => {
    const error = parseError(`${v4}build:\n  tagPolicy:\n    latest: {}\n`);
    expect(error.message).toMatch(/:5:5: unknown field "latest" in build\.tagPolicy\.$/);
    expect(error.hint).toBe(
      'Fields allowed in build.tagPolicy in skaffold/v4beta13: customTemplate, dateTime, envTemplate, gitCommit, inputDigest, sha256. Fix the spelling or remove the field.',
    );
  });

  it.each([
    [
      'v4beta13 with every section nx-gitops does not interpret',
      `${v4}metadata:
  name: app
  labels: {team: a}
build:
  local: {push: false, useBuildkit: true, concurrency: 2}
  insecureRegistries: [localhost:5000]
  platforms: [linux/amd64]
  hooks:
    before:
    - command: [sh, -c, "true"]
  artifacts:
  - image: app
    context: .
    platforms: [linux/arm64]
    docker:
      dockerfile: Dockerfile
      target: runtime
      network: host
      buildArgs: {VERSION: "{{.VERSION}}", EMPTY: null}
      cacheFrom: [app:cache]
      noCache: true
      secrets:
      - id: token
        src: token.txt
      ssh: default
    sync:
      manual:
      - src: "static/**"
        dest: /srv
    requires:
    - image: base
      alias: BASE
  - image: base
    jib: {project: base, type: gradle, args: [-x, test]}
  - image: ko://example.com/cmd/app
    ko: {main: ./cmd/app, flags: [-v]}
  - image: packs
    buildpacks: {builder: paketobuildpacks/builder:base, env: [A=b]}
  - image: bazel
    bazel: {target: //:image.tar}
  - image: custom
    custom:
      buildCommand: ./build.sh
      dependencies: {paths: [src]}
  - image: kaniko
    kaniko: {dockerfile: Dockerfile, cache: {repo: cache}}
  tagPolicy:
    gitCommit: {variant: AbbrevCommitSha, ignoreChanges: true}
test:
- image: app
  structureTests: [./test/*]
  custom:
  - command: ./test.sh
    timeoutSeconds: 60
manifests:
  rawYaml: [k8s/*.yaml]
  kustomize:
    paths: [overlays/dev]
    buildArgs: [--load-restrictor LoadRestrictionsNone]
  output: out/
deploy:
  kubeContext: kind
  statusCheckDeadlineSeconds: 60
  kubectl:
    flags: {apply: [--server-side]}
    defaultNamespace: app
  docker:
    images: [app]
  logs: {prefix: container}
portForward:
- resourceType: service
  resourceName: app
  port: 8080
  localPort: 9000
verify:
- name: smoke
  container: {name: smoke, image: curlimages/curl, command: [curl], args: [app]}
customActions:
- name: migrate
  containers:
  - name: migrate
    image: app
resourceSelector:
  allow:
  - groupKind: Foo.example.com
    image: [.spec.image]
profiles:
- name: prod
  activation:
  - env: ENV=prod
    kubeContext: prod
    command: render
  requiresAllActivations: true
  build:
    googleCloudBuild: {projectId: p, machineType: E2_HIGHCPU_8}
  test: []
  portForward: []
  verify: []
  patches:
  - op: replace
    path: /build/artifacts/0/docker/target
    value: prod
`,
    ],
    [
      'v2beta29 with kubectl, kustomize and helm deployers',
      `apiVersion: skaffold/v2beta29
kind: Config
build:
  artifacts:
  - image: app
    docker: {dockerfile: Dockerfile}
  cluster: {namespace: build, pullSecretName: kaniko}
deploy:
  kubectl:
    manifests: [k8s/*.yaml]
    flags: {global: [--v=2]}
  kustomize:
    paths: [overlays/dev]
    flags: {apply: [--prune]}
  helm:
    releases:
    - name: app
      chartPath: charts/app
      artifactOverrides: {image: app}
      imageStrategy: {helm: {}}
  statusCheckDeadlineSeconds: 30
profiles:
- name: prod
  deploy:
    kustomize: {paths: [overlays/prod]}
`,
    ],
    ['top-level anchor keys, as skaffold allows', `${v4}.image: &image app\nbuild:\n  artifacts:\n  - image: *image\n`],
  ])('loads %s', (_name, text) => {
    expect(parseSkaffoldConfigs({ text, file: 'skaffold.yaml' }).configs).toHaveLength(1);
    expect(parseWithPositions({ text, file: 'skaffold.yaml' })).toEqual(parseSkaffoldConfigs({ text, file: 'skaffold.yaml' }));
  });

  it('drops top-level anchor keys from the config', () => {
    const { configs } = parseSkaffoldConfigs({ text: `${v4}.image: &image app\nbuild:\n  artifacts:\n  - image: *image\n`, file: 'skaffold.yaml' });
    expect(Object.keys(configs[0].config)).toEqual(['apiVersion', 'kind', 'build']);
    expect(configs[0].config.build?.artifacts?.[0].image).toBe('app');
  });

  it.each([
    ['an uppercase image', `${v4}build:\n  artifacts:\n  - image: Foo\n`, /skaffold\.yaml:5:12: invalid image "Foo" in build\.artifacts\.0\.image: repository name must be lowercase/],
    ['an image with bad characters', `${v4}build:\n  artifacts:\n  - image: "foo bar"\n`, /:5:12: invalid image "foo bar" in build\.artifacts\.0\.image: invalid reference format/],
    ['an image with a tag', `${v4}build:\n  artifacts:\n  - image: foo:1.0\n`, /:5:12: invalid image "foo:1\.0" in build\.artifacts\.0\.image: no tag should be specified/],
    ['an image with a digest', `${v4}build:\n  artifacts:\n  - image: foo@sha256:${'a'.repeat(64)}\n`, /:5:12: invalid image "foo@sha256:a+" in build\.artifacts\.0\.image: no digest should be specified/],
    ['an invalid image in a profile', `${v4}profiles:\n- name: p\n  build:\n    artifacts:\n    - image: my_App\n`, /:7:14: invalid image "my_App" in profiles\.0\.build\.artifacts\.0\.image: repository name must be lowercase/],
  ])('rejects %s at its line', (_name, text, message) => {
    const error = parseError(text);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(/repository name/);
  });

  it('accepts ko:// import paths with uppercase letters, which skaffold lowercases', () => {
    expect(() => parseSkaffoldConfigs({ text: `${v4}build:\n  artifacts:\n  - image: ko://github.com/Org/cmd\n    ko: {}\n`, file: 'skaffold.yaml' })).not.toThrow();
  });

  it('warns when several tag policies are set', () => {
    const { warnings } = parseSkaffoldConfigs({
      text: 'apiVersion: skaffold/v4beta13\nkind: Config\nbuild:\n  tagPolicy:\n    sha256: {}\n    gitCommit: {}\n',
      file: 'skaffold.yaml',
    });
    expect(warnings).toEqual([expect.objectContaining({ line: 4, message: expect.stringContaining('sha256 and gitCommit') })]);
  });
});

describe('loadSkaffoldConfigs', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nx-gitops-config-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function write(path: string, text: string) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }

  it('resolves a requires chain by path, dependencies first, each once', () => {
    write('app/skaffold.yaml', 'apiVersion: skaffold/v4beta13\nkind: Config\nmetadata: {name: app}\nrequires:\n- path: ../lib\n- path: ../base/skaffold.yaml\n');
    write('lib/skaffold.yaml', 'apiVersion: skaffold/v4beta13\nkind: Config\nmetadata: {name: lib}\nrequires:\n- path: ../base\n  activeProfiles:\n  - name: extra\n');
    write('base/skaffold.yaml', 'apiVersion: skaffold/v2beta10\nkind: Config\nmetadata: {name: base}\nprofiles:\n- name: extra\n');
    const { configs } = loadSkaffoldConfigs({ file: join(root, 'app/skaffold.yaml') });
    expect(configs.map((c) => [c.config.metadata?.name, c.isRoot])).toEqual([
      ['base', false],
      ['lib', false],
      ['app', true],
    ]);
    expect(configs[0].requiredProfiles).toEqual([expect.objectContaining({ name: 'extra', activatedBy: [] })]);
  });

  it('keeps only the configs named in requires[].configs', () => {
    write('app/skaffold.yaml', 'apiVersion: skaffold/v4beta13\nkind: Config\nrequires:\n- path: ../multi\n  configs: [two]\n');
    write('multi/skaffold.yaml', 'apiVersion: skaffold/v4beta13\nkind: Config\nmetadata: {name: one}\n---\napiVersion: skaffold/v4beta13\nkind: Config\nmetadata: {name: two}\n');
    const { configs } = loadSkaffoldConfigs({ file: join(root, 'app/skaffold.yaml') });
    expect(configs.map((c) => c.config.metadata?.name)).toEqual(['two', undefined]);
  });

  it.each([
    ['a git dependency', 'requires:\n- git: {repo: "https://example.com/x.git"}\n', /requires\.git is not supported/],
    ['a missing dependency', 'requires:\n- path: ../nowhere\n', /Cannot read skaffold config .*nowhere.*required by/],
    ['a cycle', 'requires:\n- path: .\n', /cycle/],
  ])('fails clearly on %s', (_name, requires, message) => {
    write('app/skaffold.yaml', `apiVersion: skaffold/v4beta13\nkind: Config\n${requires}`);
    expect(() => loadSkaffoldConfigs({ file: join(root, 'app/skaffold.yaml') })).toThrow(message);
  });
});
