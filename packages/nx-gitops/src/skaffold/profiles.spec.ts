import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSkaffoldConfigs, parseSkaffoldConfigs, type ResolvedConfig } from './config';
import { applyJsonPatch, applyProfilesToConfigs, isProfileAutoActivated } from './profiles';

function resolved(text: string): ResolvedConfig[] {
  return parseSkaffoldConfigs({ text, file: 'skaffold.yaml' }).configs.map((loaded) => ({ ...loaded, requiredProfiles: [], isRoot: true }));
}

const base = `apiVersion: skaffold/v4beta13
kind: Config
build:
  tagPolicy:
    gitCommit:
      prefix: develop-
      ignoreChanges: true
  artifacts:
  - image: foo
  - image: bar
manifests:
  rawYaml:
  - k8s/*.yaml
  kustomize:
    paths: [overlays/develop]
    buildArgs: [--load-restrictor LoadRestrictionsNone]
profiles:
- name: production
  build:
    tagPolicy:
      sha256: {}
  manifests:
    kustomize:
      paths: [overlays/production]
- name: only-kustomize
  manifests:
    kustomize:
      paths: [overlays/x]
- name: patched
  patches:
  - path: /build/artifacts/1/image
    value: baz
  - op: add
    path: /build/artifacts/-
    value: {image: qux}
  - op: remove
    path: /manifests/rawYaml
- name: broken
  patches:
  - path: /build/artifacts/7/image
    value: x
- name: auto
  activation:
  - env: DEPLOY_ENV=prod.*
  build:
    artifacts:
    - image: auto
`;

function render(profiles: string[], env: Record<string, string> = {}) {
  const [result] = applyProfilesToConfigs({ configs: resolved(base), profiles, env });
  return result;
}

describe('applyProfilesToConfigs', () => {
  it('replaces the tag policy whole (a oneOf group) and a pointer section whole', () => {
    const { config, activeProfiles } = render(['production']);
    expect(activeProfiles).toEqual(['production']);
    expect(config.build?.tagPolicy).toEqual({ sha256: {} });
    expect(config.manifests?.kustomize).toEqual({ paths: ['overlays/production'] });
    // Lists not set by the profile survive, as in skaffold (the rawYaml pitfall).
    expect(config.manifests?.rawYaml).toEqual(['k8s/*.yaml']);
    expect(config.build?.artifacts).toEqual([{ image: 'foo' }, { image: 'bar' }]);
  });

  it('applies JSON patches after the merge, op defaulting to replace', () => {
    const { config } = render(['patched']);
    expect(config.build?.artifacts).toEqual([{ image: 'foo' }, { image: 'baz' }, { image: 'qux' }]);
    expect(config.manifests?.rawYaml).toBeUndefined();
  });

  it('names the profile and patch that cannot be applied', () => {
    expect(() => render(['broken'])).toThrow(/profile "broken" patch 0 \(replace \/build\/artifacts\/7\/image\) cannot be applied/);
  });

  it('fails on an unknown profile with the list of known ones', () => {
    expect(() => render(['staging'])).toThrow(/Unknown skaffold profile "staging"/);
    try {
      render(['staging']);
    } catch (error) {
      expect((error as { hint: string }).hint).toContain('Known profiles: auto, broken, only-kustomize, patched, production');
    }
  });

  it('auto-activates by env before requested profiles, and -name turns one off', () => {
    expect(render(['production'], { DEPLOY_ENV: 'production' }).activeProfiles).toEqual(['auto', 'production']);
    expect(render(['production'], { DEPLOY_ENV: 'production' }).config.build?.artifacts).toEqual([{ image: 'auto' }]);
    expect(render(['-auto'], { DEPLOY_ENV: 'production' }).activeProfiles).toEqual([]);
    expect(render([], { DEPLOY_ENV: 'dev' }).activeProfiles).toEqual([]);
  });

  it('propagates requested profiles and requires[].activeProfiles to dependencies', () => {
    const [dependency, root] = resolved(`apiVersion: skaffold/v4beta13
kind: Config
metadata: {name: dep}
profiles:
- name: production
  build: {tagPolicy: {sha256: {}}}
- name: extra
  build: {artifacts: [{image: extra}]}
---
apiVersion: skaffold/v4beta13
kind: Config
metadata: {name: root}
profiles:
- name: production
`);
    dependency.requiredProfiles = [{ name: 'extra', activatedBy: ['production'], requiredBy: `${root.file}#${root.documentIndex}` }];
    const results = applyProfilesToConfigs({ configs: [dependency, root], profiles: ['production'], env: {} });
    expect(results.map((r) => r.activeProfiles)).toEqual([['extra', 'production'], ['production']]);
    const without = applyProfilesToConfigs({ configs: [dependency, root], profiles: [], env: {} });
    expect(without.map((r) => r.activeProfiles)).toEqual([[], []]);
  });
});

describe('applyProfilesToConfigs on the config its patches leave', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-patch-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function environment(text: string, profile: string) {
    writeFileSync(join(dir, 'skaffold.yaml'), text);
    const { configs } = loadSkaffoldConfigs({ file: join(dir, 'skaffold.yaml') });
    return applyProfilesToConfigs({ configs, profiles: [profile], env: {} });
  }

  const withPatch = (patch: string) =>
    `apiVersion: skaffold/v4beta13\nkind: Config\nbuild:\n  artifacts:\n  - image: foo\n---\napiVersion: skaffold/v4beta13\nkind: Config\nbuild:\n  artifacts:\n  - image: bar\nprofiles:\n- name: prod\n  patches:\n  - op: replace\n    path: /build/artifacts/0/image\n    value: baz\n${patch}`;

  it.each([
    [
      'an unknown field',
      '  - op: add\n    path: /build/artifacts/0/docker\n    value: {dockerfil: Dockerfile.prod}\n',
      /skaffold\.yaml:18:5: profile "prod" patch 1 \(add \/build\/artifacts\/0\/docker\) makes the config invalid: unknown field "dockerfil" in build\.artifacts\.0\.docker \(did you mean "dockerfile"\?\)\./,
    ],
    [
      'an unknown section',
      '  - op: add\n    path: /manifest\n    value: {rawYaml: [k8s.yaml]}\n',
      /skaffold\.yaml:18:5: profile "prod" patch 1 \(add \/manifest\) makes the config invalid: unknown field "manifest" \(did you mean "manifests"\?\)\./,
    ],
    [
      'an invalid image',
      '  - path: /build/artifacts/0/image\n    value: Baz\n',
      /skaffold\.yaml:18:5: profile "prod" patch 1 \(replace \/build\/artifacts\/0\/image\) makes the config invalid: invalid image "Baz" in build\.artifacts\.0\.image: repository name must be lowercase\./,
    ],
  ])('fails at the patch that leaves %s', (_name, patch, message) => {
    expect(() => environment(withPatch(patch), 'prod')).toThrow(message);
  });

  it('applies patches that leave a valid config, v2 paths included', () => {
    const [config] = environment(
      'apiVersion: skaffold/v2beta28\nkind: Config\ndeploy:\n  kustomize:\n    paths: [overlays/dev]\nprofiles:\n- name: prod\n  patches:\n  - path: /deploy/kustomize/paths/0\n    value: overlays/prod\n  - op: add\n    path: /deploy/kustomize/buildArgs\n    value: [--enable-helm]\n',
      'prod',
    );
    expect(config.config.manifests).toEqual({ kustomize: { paths: ['overlays/prod'], buildArgs: ['--enable-helm'] } });
  });
});

describe('isProfileAutoActivated', () => {
  const context = { env: { A: 'one', EMPTY: '' }, command: 'render', kubeContext: '' };
  it.each([
    [[{ env: 'A=one' }], false, true],
    [[{ env: 'A=o.e' }], false, true],
    [[{ env: 'A=!one' }], false, false],
    [[{ env: 'MISSING=' }], false, true],
    [[{ env: 'EMPTY=' }], false, true],
    [[{ env: 'A=' }], false, false],
    [[{ command: 'render' }], false, true],
    [[{ command: 'dev' }], false, false],
    [[{ kubeContext: 'minikube' }], false, false],
    [[{ kubeContext: '!minikube' }], false, true],
    [[{ env: 'A=one', command: 'dev' }], false, false],
    [[{ env: 'A=two' }, { command: 'render' }], false, true],
    [[{ env: 'A=two' }, { command: 'render' }], true, false],
    [[], false, false],
  ])('%j (requiresAllActivations %s) → %s', (activation, requiresAllActivations, expected) => {
    expect(isProfileAutoActivated({ name: 'p', activation, requiresAllActivations }, context)).toBe(expected);
  });
});

describe('applyJsonPatch', () => {
  it.each([
    [{ op: 'add', path: '/a/1', value: 9 }, { a: [1, 9, 2] }],
    [{ op: 'remove', path: '/a/0' }, { a: [2] }],
    [{ op: 'replace', path: '/a/1', value: 3 }, { a: [1, 3] }],
    [{ op: 'move', from: '/a', path: '/b' }, { b: [1, 2] }],
    [{ op: 'copy', from: '/a/0', path: '/c' }, { a: [1, 2], c: 1 }],
    [{ op: 'test', path: '/a/0', value: 1 }, { a: [1, 2] }],
  ])('%j', (patch, expected) => {
    expect(applyJsonPatch({ a: [1, 2] }, patch)).toEqual(expected);
  });

  it('rejects missing paths and failed tests', () => {
    expect(() => applyJsonPatch({ a: [] }, { op: 'replace', path: '/b', value: 1 })).toThrow(/does not exist/);
    expect(() => applyJsonPatch({ a: [1] }, { op: 'test', path: '/a/0', value: 2 })).toThrow(/test failed/);
  });
});
