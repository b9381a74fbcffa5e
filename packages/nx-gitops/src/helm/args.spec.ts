import {
  depBuildArgs,
  expandHome,
  filterLegacyDuplicates,
  flattenValues,
  imageTemplateValues,
  overridesYaml,
  releaseNamespace,
  sanitizeFilePath,
  templateArgs,
  upgradeV2Release,
  type HelmFlags,
  type HelmRelease,
} from './args';
import { isAtLeastVersion, parseHelmVersion } from './binary';

// Vectors ported from skaffold's pkg/skaffold/render/renderer/helm/args_test.go (TestDepBuildArgs, TestTemplateArgs).
describe('depBuildArgs', () => {
  it.each<[string, HelmFlags, string[]]>([
    ['basic', {}, ['dep', 'build', 'chart/path']],
    ['with flags', { depBuild: ['--skip-refresh'] }, ['dep', 'build', 'chart/path', '--skip-refresh']],
    ['with multiple flags', { depBuild: ['--skip-refresh', '--debug'] }, ['dep', 'build', 'chart/path', '--skip-refresh', '--debug']],
  ])('%s', (_description, flags, expected) => {
    expect(depBuildArgs('chart/path', flags)).toEqual(expected);
  });
});

describe('templateArgs', () => {
  const chart = { name: 'release', chartPath: 'chart/path' };
  it.each<[string, { release: HelmRelease; namespace?: string; additionalArgs?: string[]; flags?: HelmFlags; overridesFile?: string }, string[]]>([
    ['basic args', { release: chart }, ['template', 'release', 'chart/path']],
    ['with version', { release: { ...chart, version: '1.2.3' } }, ['template', 'release', 'chart/path', '--version', '1.2.3']],
    ['with namespace', { release: chart, namespace: 'namespace' }, ['template', 'release', 'chart/path', '--namespace', 'namespace']],
    ['with repo', { release: { ...chart, repo: 'repo-url' } }, ['template', 'release', 'chart/path', '--repo', 'repo-url']],
    ['with skipTests', { release: { ...chart, skipTests: true } }, ['template', 'release', 'chart/path', '--skip-tests']],
    ['with additional args', { release: chart, additionalArgs: ['--foo', 'bar'] }, ['template', 'release', 'chart/path', '--foo', 'bar']],
    ['with template flags', { release: chart, flags: { template: ['--include-crds', '--no-hooks'] } }, ['template', 'release', 'chart/path', '--include-crds', '--no-hooks']],
    ['with set values', { release: { ...chart, setValues: { foo: 'bar', baz: 'qux' } } }, ['template', 'release', 'chart/path', '--set', 'baz=qux', '--set', 'foo=bar']],
    [
      'with values files',
      { release: { ...chart, valuesFiles: ['values.yaml', 'production-values.yaml'] } },
      ['template', 'release', 'chart/path', '-f', 'values.yaml', '-f', 'production-values.yaml'],
    ],
    [
      'with set values and template flags',
      { release: { ...chart, setValues: { app: 'test' } }, flags: { template: ['--include-crds'] } },
      ['template', 'release', 'chart/path', '--include-crds', '--set', 'app=test'],
    ],
    [
      'with set values overrides and additionalArgs',
      { release: { ...chart, setValues: { app: 'test' } }, flags: { template: ['--include-crds'] }, additionalArgs: ['--atomic', '--timeout', '30s'] },
      ['template', 'release', 'chart/path', '--include-crds', '--atomic', '--timeout', '30s', '--set', 'app=test'],
    ],
    [
      'with overrides',
      { release: { ...chart, overrides: { app: 'test', foo: 'bar' } }, flags: { template: ['--include-crds'] }, overridesFile: 'skaffold-overrides.yaml' },
      ['template', 'release', 'chart/path', '--include-crds', '-f', 'skaffold-overrides.yaml'],
    ],
    ['a remote chart wins over chartPath', { release: { name: 'r', remoteChart: 'oci://host/charts/app', version: '1.0.0' } }, ['template', 'r', 'oci://host/charts/app', '--version', '1.0.0']],
    ['no --version for a packaged release', { release: { ...chart, version: '1.0.0', packaged: { version: '1.0.0' } } }, ['template', 'release', 'chart/path']],
  ])('%s', (_description, options, expected) => {
    expect(templateArgs({ releaseName: options.release.name, ...options })).toEqual(expected);
  });

  // From skaffold's pkg/skaffold/deploy/helm/helm_test.go (TestHelmRender: "render with templated config").
  it('expands setValueTemplates keys and values with the image values and the environment, in key order', () => {
    const release: HelmRelease = {
      name: 'skaffold-helm',
      chartPath: 'examples/test',
      setValueTemplates: {
        'some.key': 'somevalue',
        'other.key': '{{.FOO}}',
        'missing.key': '{{default "<MISSING>" .MISSING}}',
        'image.name': '{{.IMAGE_NAME}}',
        'image.tag': '{{.DIGEST}}',
        '{{.FOO}}': 'somevalue',
      },
    };
    const args = templateArgs({ releaseName: 'skaffold-helm', release, builds: [{ imageName: 'skaffold-helm', tag: 'skaffold-helm:tag1' }], env: { FOO: 'FOOBAR' }, overridesFile: 'skaffold-overrides.yaml' });
    expect(args.join(' ')).toBe(
      'template skaffold-helm examples/test --set image.name=skaffold-helm --set image.tag=skaffold-helm:tag1 --set missing.key=<MISSING> --set other.key=FOOBAR --set some.key=somevalue --set FOOBAR=somevalue',
    );
  });

  it('expands values files with the environment ("render with templated values file")', () => {
    const release: HelmRelease = { name: 'skaffold-helm', chartPath: 'examples/test', valuesFiles: ['/some/file-{{.FOO}}.yaml'], overrides: { foo: 'bar' } };
    expect(templateArgs({ releaseName: 'skaffold-helm', release, env: { FOO: 'FOOBAR' }, overridesFile: 'skaffold-overrides.yaml' }).join(' ')).toBe(
      'template skaffold-helm examples/test -f /some/file-FOOBAR.yaml -f skaffold-overrides.yaml',
    );
  });

  it('passes setFiles as --set-file with ~ expanded, in key order', () => {
    const release: HelmRelease = { name: 'skaffold-helm', chartPath: 'examples/test', setFiles: { value: '/some/file.yaml', expanded: '~/file.yaml' } };
    expect(templateArgs({ releaseName: 'skaffold-helm', release, home: '/home/user' }).join(' ')).toBe(
      'template skaffold-helm examples/test --set-file expanded=/home/user/file.yaml --set-file value=/some/file.yaml',
    );
  });

  it('drops a trailing @ left by an empty digest (skaffold v1 imageStrategy helm)', () => {
    const release: HelmRelease = { name: 'r', chartPath: 'c', setValueTemplates: { 'image.tag': '{{.IMAGE_TAG_app}}@{{.IMAGE_DIGEST_app}}' } };
    expect(templateArgs({ releaseName: 'r', release, builds: [{ imageName: 'app', tag: 'app:v1' }] })).toEqual(['template', 'r', 'c', '--set', 'image.tag=v1']);
  });
});

describe('imageTemplateValues', () => {
  it('gives every build its keys by sanitised name, the first without suffix and the next ones numbered', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const values = imageTemplateValues([
      { imageName: 'gcr.io/k8s-skaffold/skaffold-helm', tag: `gcr.io/k8s-skaffold/skaffold-helm:v1@${digest}` },
      { imageName: 'other', tag: 'other:latest' },
    ]);
    expect(values).toMatchObject({
      IMAGE_REPO_gcr_io_k8s_skaffold_skaffold_helm: 'gcr.io/k8s-skaffold/skaffold-helm',
      IMAGE_TAG_gcr_io_k8s_skaffold_skaffold_helm: 'v1',
      IMAGE_DIGEST_gcr_io_k8s_skaffold_skaffold_helm: digest,
      IMAGE_DOMAIN_gcr_io_k8s_skaffold_skaffold_helm: 'gcr.io',
      IMAGE_REPO_NO_DOMAIN_gcr_io_k8s_skaffold_skaffold_helm: 'k8s-skaffold/skaffold-helm',
      IMAGE_FULLY_QUALIFIED_gcr_io_k8s_skaffold_skaffold_helm: `gcr.io/k8s-skaffold/skaffold-helm:v1@${digest}`,
      IMAGE_REPO: 'gcr.io/k8s-skaffold/skaffold-helm',
      IMAGE_NAME: 'gcr.io/k8s-skaffold/skaffold-helm',
      IMAGE_REPO2: 'other',
      IMAGE_TAG2: 'latest',
      IMAGE_DIGEST2: '',
      IMAGE_DOMAIN_other: '',
      IMAGE_REPO_NO_DOMAIN_other: 'other',
      DIGEST_other: 'other:latest',
      DIGEST_ALGO_other: 'other',
      DIGEST_HEX_other: 'latest',
    });
  });

  it('is empty without builds (digestSource none)', () => {
    expect(imageTemplateValues([])).toEqual({});
  });
});

// skaffold's FlatMap tests (pkg/skaffold/schema/util/util_test.go).
describe('flattenValues', () => {
  it('flattens nested maps into dotted keys', () => {
    const nested = flattenValues({ val1: 'foo1', val2: { val3: 'bar1', val4: 'foo2', val5: { val6: 'bar2' } } });
    expect(nested).toEqual(flattenValues({ val1: 'foo1', 'val2.val3': 'bar1', 'val2.val4': 'foo2', 'val2.val5.val6': 'bar2' }));
  });

  it('flattens lists into indexed keys', () => {
    expect(flattenValues({ val1: 'foo1', values: { val2: [{ val4: 'bar1', val5: 'foo2' }, { val6: 'bar2', val7: 'foo3' }], val3: [{ val8: 'bar3', val9: 'foo4' }] } })).toEqual({
      val1: 'foo1',
      'values.val2[0].val4': 'bar1',
      'values.val2[0].val5': 'foo2',
      'values.val2[1].val6': 'bar2',
      'values.val2[1].val7': 'foo3',
      'values.val3[0].val8': 'bar3',
      'values.val3[0].val9': 'foo4',
    });
  });

  it("prints scalars as Go's %v", () => {
    expect(flattenValues({ a: true, b: 3, c: 1.5, d: null, e: 1e21, f: 1e-7 })).toEqual({ a: 'true', b: '3', c: '1.5', d: '<nil>', e: '1e+21', f: '1e-07' });
  });
});

// skaffold's TestSanitizeFilePath, the non-Windows cases.
describe('sanitizeFilePath', () => {
  it.each([
    ['./foo/spaces.relative.yaml', './foo/spaces.relative.yaml'],
    ['z/foo/spaces.abs.yaml', 'z/foo/spaces.abs.yaml'],
    ['./foo bar/spaces.relative.yaml', '"./foo bar/spaces.relative.yaml"'],
    ['z/foo bar/spaces.abs.yaml', '"z/foo bar/spaces.abs.yaml"'],
    ['./foo/not_escaped_relative/', './foo/not_escaped_relative/'],
    ['', '""'],
  ])('%j → %j', (input, output) => {
    expect(sanitizeFilePath(input)).toBe(output);
  });

  it('expands ~ and refuses ~user', () => {
    expect(expandHome('~/a', '/h')).toBe('/h/a');
    expect(expandHome('a/~', '/h')).toBe('a/~');
    expect(() => expandHome('~bob/a', '/h')).toThrow(/only "~"/);
  });
});

describe('releaseNamespace', () => {
  it.each<[string, string | undefined, string | undefined, string]>([
    ['the release namespace', undefined, 'testReleaseNamespace', 'testReleaseNamespace'],
    ['templated from the environment', undefined, 'testRelease{{.FOO}}Namespace', 'testReleaseFOOBARNamespace'],
    ['the namespace option wins', 'cli', 'testReleaseNamespace', 'cli'],
    ['none', undefined, undefined, ''],
  ])('%s', (_description, namespace, releaseNs, expected) => {
    expect(releaseNamespace({ namespace, release: { name: 'r', namespace: releaseNs }, env: { FOO: 'FOOBAR' } })).toBe(expected);
  });

  it('fails on a missing variable, as ExpandEnvTemplateOrFail', () => {
    expect(() => releaseNamespace({ release: { name: 'r', namespace: '{{.MISSING}}' }, env: {} })).toThrow(/MISSING/);
  });
});

// skaffold's runner/renderer.go filterDuplicates.
describe('filterLegacyDuplicates', () => {
  it.each<[string, HelmRelease[] | undefined, HelmRelease[] | undefined, string[]]>([
    ['no legacy deployer', undefined, [{ name: 'a' }], []],
    ['no manifests.helm', [{ name: 'a' }, { name: 'b' }], undefined, ['a', 'b']],
    ['duplicates by name dropped', [{ name: 'a' }, { name: 'b' }], [{ name: 'b' }], ['a']],
  ])('%s', (_description, legacy, rendered, expected) => {
    expect(filterLegacyDuplicates(legacy, rendered).map((release) => release.name)).toEqual(expected);
  });
});

// skaffold's v2beta29 upgrade of artifactOverrides and imageStrategy.
describe('upgradeV2Release', () => {
  it.each<[string, HelmRelease, Record<string, unknown>]>([
    ['fqn (default)', { name: 'r', chartPath: 'c', artifactOverrides: { image: 'gcr.io/k8s-skaffold/skaffold-helm' } }, { image: '{{.IMAGE_FULLY_QUALIFIED_gcr_io_k8s_skaffold_skaffold_helm}}' }],
    [
      'helm convention',
      { name: 'r', chartPath: 'c', artifactOverrides: { image: 'skaffold-helm' }, imageStrategy: { helm: {} } },
      { 'image.tag': '{{.IMAGE_TAG_skaffold_helm}}@{{.IMAGE_DIGEST_skaffold_helm}}', 'image.repository': '{{.IMAGE_REPO_skaffold_helm}}' },
    ],
    [
      'helm convention with explicitRegistry',
      { name: 'r', chartPath: 'c', artifactOverrides: { image: 'skaffold-helm' }, imageStrategy: { helm: { explicitRegistry: true } } },
      { 'image.tag': '{{.IMAGE_TAG_skaffold_helm}}@{{.IMAGE_DIGEST_skaffold_helm}}', 'image.repository': '{{.IMAGE_REPO_NO_DOMAIN_skaffold_helm}}', 'image.registry': '{{.IMAGE_DOMAIN_skaffold_helm}}' },
    ],
  ])('%s', (_description, release, templates) => {
    const upgraded = upgradeV2Release(release);
    expect(upgraded.setValueTemplates).toEqual(templates);
    expect(upgraded).not.toHaveProperty('artifactOverrides');
    expect(upgraded).not.toHaveProperty('imageStrategy');
  });
});

describe('overridesYaml', () => {
  it('writes the overrides as skaffold does (TestSkaffoldOverrides)', () => {
    expect(overridesYaml({ test: 'test-field-value' })).toBe('test: test-field-value\n');
  });
});

describe('helm version', () => {
  it.each([
    ['version.BuildInfo{Version:"v3.22.0", GitCommit:"", GitTreeState:"", GoVersion:"go1.24"}', '3.22.0'],
    ['v3.13.1+g3547a4b', '3.13.1'],
    ['v4.0.0-beta.1', '4.0.0-beta.1'],
  ])('parses %j', (output, version) => {
    expect(parseHelmVersion(output)).toBe(version);
  });

  it.each([
    ['3.13.0', true],
    ['3.22.0', true],
    ['3.12.3', false],
    ['4.0.0', true],
    ['2.17.0', false],
  ])('%s is at least 3.13: %s', (version, expected) => {
    expect(isAtLeastVersion(version, '3.13.0')).toBe(expected);
  });
});
