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
