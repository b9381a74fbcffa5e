import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GitopsError } from '../lib/errors';
import { loadSkaffoldConfigs, parseSkaffoldConfigs, parseWithPositions } from './config';
import { renderManifests } from './render';
import { createGitInfoCache } from './tags';
import type { SkaffoldConfig } from './types';

const v4 = 'apiVersion: skaffold/v4beta13\nkind: Config\n';

function configsOf(text: string): SkaffoldConfig[] {
  const fast = parseSkaffoldConfigs({ text, file: 'skaffold.yaml' });
  // Both parse paths must agree on every text they accept.
  expect(parseWithPositions({ text, file: 'skaffold.yaml' })).toEqual(fast);
  return fast.configs.map((loaded) => loaded.config);
}

function parseError(text: string): GitopsError {
  try {
    parseSkaffoldConfigs({ text, file: 'services/foo/skaffold.yaml' });
  } catch (error) {
    if (error instanceof GitopsError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

/** Profiles written as core-solution-services writes them: a base profile anchored, the others merge it. */
const profilesWithMergeKeys = `${v4}metadata:
  name: svc
build:
  artifacts:
  - image: svc
profiles:
- &gke-profile
  name: gke
  manifests:
    kustomize:
      paths: [k8s/gke]
  deploy:
    kubectl: {}
- <<: *gke-profile
  name: default-deploy
- <<: *gke-profile
  name: custom
  manifests:
    rawYaml: [k8s/custom.yaml]
`;

describe('skaffold.yaml is decoded with yaml.v3 semantics', () => {
  describe('merge keys', () => {
    it('resolve in profiles written as "- <<: *gke-profile" plus name (core-solution-services)', () => {
      const [config] = configsOf(profilesWithMergeKeys);
      expect(config.profiles?.map((profile) => profile.name)).toEqual(['gke', 'default-deploy', 'custom']);
      expect(config.profiles?.[1]).toEqual({ name: 'default-deploy', manifests: { kustomize: { paths: ['k8s/gke'] } }, deploy: { kubectl: {} } });
      // The merge is shallow: the profile's own manifests replace the merged one as a whole.
      expect(config.profiles?.[2].manifests).toEqual({ rawYaml: ['k8s/custom.yaml'] });
    });

    it.each([
      ['an explicit key before the merge key', '.a: &a {context: a, image: x}\nbuild:\n  artifacts:\n  - context: own\n    <<: *a\n', { context: 'own', image: 'x' }],
      ['an explicit key after the merge key', '.a: &a {context: a, image: x}\nbuild:\n  artifacts:\n  - <<: *a\n    context: own\n', { context: 'own', image: 'x' }],
      ['the earlier of a list of merged mappings', '.a: &a {context: a}\n.b: &b {context: b, image: x}\nbuild:\n  artifacts:\n  - <<: [*a, *b]\n', { context: 'a', image: 'x' }],
      ['an inline merged mapping', 'build:\n  artifacts:\n  - <<: {context: a, image: x}\n', { context: 'a', image: 'x' }],
      ['a merged mapping that merges another (its own keys first)', '.a: &a {context: a, image: x}\n.b: &b\n  <<: *a\n  context: b\nbuild:\n  artifacts:\n  - <<: *b\n', { context: 'b', image: 'x' }],
    ])('let %s win', (_name, body, artifact) => {
      const [config] = configsOf(`${v4}${body}`);
      expect(config.build?.artifacts?.[0]).toEqual(artifact);
    });

    it('drop top-level "."-prefixed keys after merging, as removeYamlAnchors does', () => {
      const [config] = configsOf(`${v4}.common: &common\n  tagPolicy: {sha256: {}}\nbuild:\n  <<: *common\n  artifacts: [{image: app}]\n`);
      expect(config).toEqual({ apiVersion: 'skaffold/v4beta13', kind: 'Config', build: { tagPolicy: { sha256: {} }, artifacts: [{ image: 'app' }] } });
    });

    it('keep a quoted "<<" an ordinary (here unknown) key', () => {
      expect(parseError(`${v4}build:\n  "<<": {tagPolicy: {sha256: {}}}\n`).message).toMatch(/skaffold\.yaml:4:3: unknown field "<<" in build/);
    });

    it.each([
      ['a scalar', `${v4}.a: &a x\nbuild:\n  <<: *a\n`, /skaffold\.yaml:5:7: a merge key \("<<"\) takes a mapping/],
      ['a list of scalars', `${v4}build:\n  <<: [x]\n`, /skaffold\.yaml:4:8: a merge key/],
      ['two merge keys in one mapping', `${v4}.a: &a {}\nbuild:\n  <<: *a\n  <<: *a\n`, /skaffold\.yaml:6:3: invalid YAML: Map keys must be unique/],
    ])('refuse to merge %s', (_name, text, message) => {
      expect(parseError(text).message).toMatch(message);
    });

    it('point an unknown field that comes from a merged anchor at the anchor', () => {
      const text = `${v4}.base: &base\n  manifests:\n    rawYml: [k8s/*.yaml]\nprofiles:\n- <<: *base\n  name: p\n`;
      const error = parseError(text);
      expect(error.message).toMatch(/skaffold\.yaml:5:5: unknown field "rawYml" in profiles\.0\.manifests \(did you mean "rawYaml"\?\)/);
    });

    it('point an unknown field next to a merge key at that field', () => {
      const error = parseError(`${v4}profiles:\n- <<: {name: p}\n  biuld: {}\n`);
      expect(error.message).toMatch(/skaffold\.yaml:5:3: unknown field "biuld" in profiles\.0 \(did you mean "build"\?\)/);
    });
  });

  it('agrees with the fast path on core-schema scalars in a file without anchors', () => {
    const text = `${v4}profiles:\n- name: p\n  patches:\n  - {op: add, path: /x, value: [yes, null, 1.5, ~, 2001-12-14, 0x10, 0o17, .inf, True, "a&b", x*y]}\n`;
    expect(configsOf(text)[0].profiles?.[0].patches?.[0].value).toHaveLength(11);
  });

  describe('aliases', () => {
    it('expand to copies, so that changing one config does not change another', () => {
      const [config] = configsOf(`${v4}.art: &art {image: a}\nbuild:\n  artifacts: [*art]\nprofiles:\n- name: p\n  build:\n    artifacts: [*art]\n`);
      expect(config.build?.artifacts).toEqual([{ image: 'a' }]);
      expect(config.build?.artifacts?.[0]).not.toBe(config.profiles?.[0].build?.artifacts?.[0]);
    });

    it('refuse excessive aliasing (an alias bomb) at the alias that exceeds the budget', () => {
      const levels = ['.l0: &l0 [x, x, x, x, x, x, x, x, x]'];
      for (let level = 1; level < 9; level++) levels.push(`.l${level}: &l${level} [${Array(9).fill(`*l${level - 1}`).join(', ')}]`);
      const error = parseError(`${v4}${levels.join('\n')}\n`);
      expect(error.message).toMatch(/^services\/foo\/skaffold\.yaml:\d+:\d+: the document contains excessive aliasing/);
      expect(error.hint).toMatch(/aliases/);
    });

    it('refuse an anchor that contains itself', () => {
      expect(parseError(`${v4}.a: &a [*a]\n`).message).toMatch(/skaffold\.yaml:3:9: anchor "a" contains an alias to itself/);
    });

    it('refuse an alias without its anchor', () => {
      expect(parseError(`${v4}build: *nowhere\n`).message).toMatch(/skaffold\.yaml:3:8: /);
    });
  });

  describe('null sections load like absent ones (a nil pointer in Go)', () => {
    it.each([
      ['deploy.kubectl of a v2 config', 'apiVersion: skaffold/v2beta29\nkind: Config\ndeploy:\n  kubectl:\n', 'apiVersion: skaffold/v2beta29\nkind: Config\ndeploy: {}\n'],
      ['a whole section', `${v4}build:\nmanifests:\ndeploy:\n`, v4],
      ['a nested section', `${v4}build:\n  tagPolicy:\n  artifacts:\n  - image: app\n    docker:\n`, `${v4}build:\n  artifacts:\n  - image: app\n`],
      ['a list field', `${v4}manifests:\n  rawYaml:\n  kustomize:\n    paths:\n`, `${v4}manifests:\n  kustomize: {}\n`],
      ['sections of a profile', `${v4}profiles:\n- name: p\n  build:\n  deploy:\n    kubectl:\n  activation:\n`, `${v4}profiles:\n- name: p\n  deploy: {}\n`],
      ['a scalar field', `${v4}metadata:\n  name:\n`, `${v4}metadata: {}\n`],
    ])('%s', (_name, withNulls, withoutThem) => {
      expect(configsOf(withNulls)).toEqual(configsOf(withoutThem));
    });

    it('keep null values of free-form maps (helm setValues-like fields are not struct fields)', () => {
      const [config] = configsOf(`${v4}build:\n  artifacts:\n  - image: app\n    docker:\n      buildArgs:\n        FROM_ENV:\n`);
      expect((config.build?.artifacts?.[0] as { docker?: unknown }).docker).toEqual({ buildArgs: { FROM_ENV: null } });
    });
  });
});

describe('a config with merge-key profiles renders what the merged profile names', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-yaml-v3-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(path: string, content: string) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }

  it('renders the default-deploy profile like the profile it merges (not 0 objects)', async () => {
    write(
      'skaffold.yaml',
      `${v4}metadata:\n  name: svc\nmanifests:\n  rawYaml: [other/*.yaml]\n.gke: &gke-profile\n  manifests:\n    rawYaml: [k8s/*.yaml]\nprofiles:\n- <<: *gke-profile\n  name: gke\n- <<: *gke-profile\n  name: default-deploy\n`,
    );
    write('k8s/config.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: svc\ndata:\n  a: b\n');
    expect(loadSkaffoldConfigs({ file: join(dir, 'skaffold.yaml') }).configs[0].config.profiles?.[1].manifests).toEqual({ rawYaml: ['k8s/*.yaml'] });
    const result = await renderManifests({ configFile: join(dir, 'skaffold.yaml'), profiles: ['default-deploy'], env: {}, digestSource: 'none', git: createGitInfoCache() });
    expect(result.manifest).toContain('kind: ConfigMap');
  });
});
