import { addProjectConfiguration, logger, readNxJson, updateNxJson, type NxJsonConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import Ajv from 'ajv';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { flushChanges, FsTree } from 'nx/src/generators/tree';
import { serviceGenerator } from '../generators/service/generator';
import { findOnPath, isOnPath } from '../kustomize/build';
import { normalizePluginOptions } from '../plugin/normalize-options';
import publishSchema from '../executors/publish-manifest/schema.json';
import keepHydratorMetadataOff from './update-0-2-0/keep-hydrator-metadata-off';
import keepKustomizeOutputWithBuiltinEngine from './update-0-2-0/keep-kustomize-output-with-builtin-engine';
import keepRequiredProfilesOutOfEnvironments from './update-0-2-0/keep-required-profiles-out-of-environments';
import noticePublishBounds from './update-0-2-0/notice-publish-bounds';
import renameTargetNamesWithColons from './update-0-2-0/rename-target-names-with-colons';
import warnInsecureTokenTransport from './update-0-2-0/warn-insecure-token-transport';

const packageRoot = join(__dirname, '../..');

/** The version whose behaviour the 0.2.0 migrations keep or warn about: the last one without them. */
const PREVIOUS_VERSION = '0.1.0';

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/;

function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((version) => SEMVER.exec(version)!.slice(1, 4).map(Number));
  for (let index = 0; index < 3; index++) if (x[index] !== y[index]) return x[index] - y[index];
  return 0;
}

describe('migrations.json', () => {
  const manifest = JSON.parse(readFileSync(join(packageRoot, 'migrations.json'), 'utf8')) as {
    generators: Record<string, { version: string; description: string; implementation: string }>;
  };
  const packageJson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { 'nx-migrations'?: { migrations?: string } };

  it('is the nx-migrations of the package, and the build copies it into the package', () => {
    expect(packageJson['nx-migrations']?.migrations).toBe('./migrations.json');
    const build = readFileSync(join(packageRoot, '../../scripts/build.ts'), 'utf8');
    expect(build).toMatch(/for \(const file of \[[^\]]*'migrations\.json'[^\]]*\]\)/);
  });

  it.each(Object.entries(manifest.generators))('%s: a valid version after the one it migrates from, a description, and a file exporting a default function', async (_name, entry) => {
    expect(entry.version).toMatch(SEMVER);
    expect(compareVersions(entry.version, PREVIOUS_VERSION)).toBeGreaterThan(0);
    expect(entry.description.length).toBeGreaterThan(20);
    const file = join(packageRoot, `${entry.implementation}.ts`);
    expect(existsSync(file)).toBe(true);
    const loaded = (await import(file)) as { default?: unknown };
    expect(typeof loaded.default).toBe('function');
  });
});

/** Logged lines of the devkit logger, by level. */
function captureLogs() {
  const lines = { info: [] as string[], warn: [] as string[] };
  jest.spyOn(logger, 'info').mockImplementation((message: unknown) => void lines.info.push(String(message)));
  jest.spyOn(logger, 'warn').mockImplementation((message: unknown) => void lines.warn.push(String(message)));
  return lines;
}

function setNxJson(tree: Tree, patch: Partial<NxJsonConfiguration>) {
  updateNxJson(tree, { ...readNxJson(tree), ...patch });
}

const REQUIRING_SKAFFOLD = 'apiVersion: skaffold/v4beta11\nkind: Config\nrequires:\n- path: ../../libs/db\n  activeProfiles:\n  - name: production\n';

describe('0.2.0 keep-required-profiles-out-of-environments', () => {
  let tree: Tree;
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    logs = captureLogs();
  });
  afterEach(() => jest.restoreAllMocks());

  it('writes propagateProfiles: false into every nx-gitops entry (also the string form) when a skaffold.yaml requires configs, and logs it', async () => {
    setNxJson(tree, { plugins: ['nx-gitops', { plugin: 'nx-gitops', options: { defaultEnvironment: 'dev' }, include: ['apps/**'] }, '@nx/js'] });
    tree.write('services/api/skaffold.yaml', REQUIRING_SKAFFOLD);
    await keepRequiredProfilesOutOfEnvironments(tree);
    expect(readNxJson(tree)!.plugins).toEqual([
      { plugin: 'nx-gitops', options: { propagateProfiles: false } },
      { plugin: 'nx-gitops', options: { defaultEnvironment: 'dev', propagateProfiles: false }, include: ['apps/**'] },
      '@nx/js',
    ]);
    // The plugin accepts what was written.
    expect(normalizePluginOptions({ propagateProfiles: false }).propagateProfiles).toBe(false);
    expect(logs.info.join('\n')).toMatch(/set "propagateProfiles": false in nx.json \(2 plugin entries\).*services\/api\/skaffold.yaml/);
  });

  it('leaves nx.json alone when no skaffold.yaml requires configs, when the option is set, or without the plugin', async () => {
    setNxJson(tree, { plugins: ['nx-gitops'] });
    tree.write('services/api/skaffold.yaml', 'apiVersion: skaffold/v4beta11\nkind: Config\n');
    const before = tree.read('nx.json', 'utf-8');
    await keepRequiredProfilesOutOfEnvironments(tree);
    expect(tree.read('nx.json', 'utf-8')).toBe(before);

    tree.write('services/api/skaffold.yaml', REQUIRING_SKAFFOLD);
    setNxJson(tree, { plugins: [{ plugin: 'nx-gitops', options: { propagateProfiles: true } }] });
    const set = tree.read('nx.json', 'utf-8');
    await keepRequiredProfilesOutOfEnvironments(tree);
    expect(tree.read('nx.json', 'utf-8')).toBe(set);

    setNxJson(tree, { plugins: ['@nx/js'] });
    const without = tree.read('nx.json', 'utf-8');
    await keepRequiredProfilesOutOfEnvironments(tree);
    expect(tree.read('nx.json', 'utf-8')).toBe(without);
    expect(logs.info).toEqual([]);
  });
});

describe('0.2.0 keep-hydrator-metadata-off', () => {
  let tree: Tree;
  let logs: ReturnType<typeof captureLogs>;
  const validate = (() => {
    const { $schema: _schema, version: _version, ...optionsSchema } = publishSchema as Record<string, unknown>;
    return new Ajv({ strict: false }).compile(optionsSchema);
  })();
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    logs = captureLogs();
  });
  afterEach(() => jest.restoreAllMocks());

  it('sets hydratorMetadata: false in targetDefaults of every publish target name, keeping what is there', async () => {
    setNxJson(tree, {
      plugins: [{ plugin: 'nx-gitops', options: { publishTargetName: 'ship' } }, 'nx-gitops'],
      targetDefaults: { ship: { options: { manifestRepository: 'https://git.example.com/m.git' }, cache: false } },
    });
    addProjectConfiguration(tree, 'legacy', { root: 'apps/legacy', targets: { deploy: { executor: 'nx-gitops:publish-manifest', options: {} } } });
    await keepHydratorMetadataOff(tree);
    const defaults = readNxJson(tree)!.targetDefaults!;
    expect(defaults).toEqual({
      deploy: { options: { hydratorMetadata: false } },
      'publish-manifest': { options: { hydratorMetadata: false } },
      ship: { options: { manifestRepository: 'https://git.example.com/m.git', hydratorMetadata: false }, cache: false },
    });
    for (const entry of Object.values(defaults)) expect(validate((entry as { options: unknown }).options)).toBe(true);
    expect(logs.info.join('\n')).toContain('"hydratorMetadata": false in nx.json targetDefaults of "deploy", "publish-manifest", "ship"');
  });

  it('keeps a hydratorMetadata already set, and does nothing in a workspace without nx-gitops', async () => {
    setNxJson(tree, { plugins: ['nx-gitops'], targetDefaults: { 'publish-manifest': { options: { hydratorMetadata: true } } } });
    const before = tree.read('nx.json', 'utf-8');
    await keepHydratorMetadataOff(tree);
    expect(tree.read('nx.json', 'utf-8')).toBe(before);

    // Nx 23's list of filtered entries is left alone, with a warning.
    setNxJson(tree, { plugins: ['nx-gitops'], targetDefaults: { 'publish-manifest': [{ options: { dryRun: true } }] as never } });
    const filtered = tree.read('nx.json', 'utf-8');
    await keepHydratorMetadataOff(tree);
    expect(tree.read('nx.json', 'utf-8')).toBe(filtered);
    expect(logs.warn).toEqual([expect.stringContaining('targetDefaults "publish-manifest" is a list of filtered entries')]);

    const empty = createTreeWithEmptyWorkspace();
    const untouched = empty.read('nx.json', 'utf-8');
    await keepHydratorMetadataOff(empty);
    expect(empty.read('nx.json', 'utf-8')).toBe(untouched);
    expect(logs.info).toEqual([]);
  });
});

describe('0.2.0 warn-insecure-token-transport (warns only: sending a token in clear text again would be unsafe)', () => {
  let tree: Tree;
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    logs = captureLogs();
  });
  afterEach(() => jest.restoreAllMocks());

  it('warns about each plain-http repository that now gets no token, naming where it is set and never the URL credentials; changes nothing', async () => {
    setNxJson(tree, {
      plugins: [{ plugin: 'nx-gitops', options: { manifestRepository: 'http://ci:s3cret-pass@git.internal/acme/manifests.git' } }],
      targetDefaults: {
        'publish-manifest': { configurations: { staging: { manifestRepository: 'http://git.staging.internal/m.git' } } },
      },
    });
    addProjectConfiguration(tree, 'local', { root: 'apps/local', targets: { 'publish-manifest': { executor: 'nx-gitops:publish-manifest', options: { manifestRepository: 'http://127.0.0.1:8080/m.git' } } } });
    addProjectConfiguration(tree, 'allowed', {
      root: 'apps/allowed',
      targets: { 'publish-manifest': { executor: 'nx-gitops:publish-manifest', options: { manifestRepository: 'http://git.internal/m.git', allowInsecureTransport: true } } },
    });
    addProjectConfiguration(tree, 'lab', { root: 'apps/lab', targets: { diff: { executor: 'nx-gitops:diff-manifest', options: { manifestRepository: 'https://gitlab.example.com/m.git' } } } });
    const before = tree.listChanges().map((change) => [change.path, change.content?.toString()]);
    await warnInsecureTokenTransport(tree);
    expect(tree.listChanges().map((change) => [change.path, change.content?.toString()])).toEqual(before);
    expect(logs.warn).toHaveLength(2);
    expect(logs.warn[0]).toContain('nx.json plugin options names the manifest repository http://git.internal/acme/manifests.git over plain http');
    expect(logs.warn[0]).toContain('"allowInsecureTransport": true');
    expect(logs.warn[1]).toContain('nx.json targetDefaults "publish-manifest", configuration "staging" names the manifest repository http://git.staging.internal/m.git');
    expect(logs.warn.join('\n')).not.toContain('s3cret-pass');
    expect(logs.info).toEqual([expect.stringContaining('project "lab" target "diff" names the manifest repository https://gitlab.example.com/m.git: GITHUB_TOKEN is now sent only to github.com')]);
  });

  it('says nothing for https GitHub and loopback repositories', async () => {
    setNxJson(tree, { plugins: [{ plugin: 'nx-gitops', options: { manifestRepository: 'https://github.com/acme/manifests.git' } }] });
    addProjectConfiguration(tree, 'local', { root: 'apps/local', targets: { 'publish-manifest': { executor: 'nx-gitops:publish-manifest', options: { manifestRepository: 'http://localhost:3000/m.git' } } } });
    await warnInsecureTokenTransport(tree);
    expect([...logs.warn, ...logs.info]).toEqual([]);
  });
});

describe('0.2.0 rename-target-names-with-colons', () => {
  let tree: Tree;
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    logs = captureLogs();
  });
  afterEach(() => jest.restoreAllMocks());

  it('renames a target name the plugin now refuses, moves its targetDefaults, and the plugin then accepts the options', async () => {
    setNxJson(tree, {
      plugins: [{ plugin: 'nx-gitops', options: { renderTargetName: 'gitops:render', publishTargetName: 'publish-manifest', diffTargetName: 'gitops.diff' } }],
      targetDefaults: { 'gitops:render': { options: { kustomize: 'builtin' } }, build: { cache: true } },
    });
    expect(() => normalizePluginOptions({ renderTargetName: 'gitops:render' })).toThrow(/renderTargetName/);
    await renameTargetNamesWithColons(tree);
    const nxJson = readNxJson(tree)!;
    const options = (nxJson.plugins![0] as { options: Record<string, unknown> }).options;
    expect(options).toEqual({ renderTargetName: 'gitops-render', publishTargetName: 'publish-manifest', diffTargetName: 'gitops-diff' });
    expect(() => normalizePluginOptions(options)).not.toThrow();
    expect(nxJson.targetDefaults).toEqual({ 'gitops-render': { options: { kustomize: 'builtin' } }, build: { cache: true } });
    expect(logs.warn.join('\n')).toMatch(/renamed renderTargetName "gitops:render" → "gitops-render", diffTargetName "gitops.diff" → "gitops-diff".*dependsOn/);
  });

  it('only reports a name it cannot rename safely, and leaves valid names alone', async () => {
    setNxJson(tree, { plugins: [{ plugin: 'nx-gitops', options: { renderTargetName: 'ship:it', publishTargetName: 'ship-it' } }] });
    const before = tree.read('nx.json', 'utf-8');
    await renameTargetNamesWithColons(tree);
    expect(tree.read('nx.json', 'utf-8')).toBe(before);
    expect(logs.warn).toEqual([expect.stringContaining('renderTargetName "ship:it" is no longer a valid target name')]);

    setNxJson(tree, { plugins: [{ plugin: 'nx-gitops', options: { renderTargetName: 'render_v2' } }] });
    const valid = tree.read('nx.json', 'utf-8');
    await renameTargetNamesWithColons(tree);
    expect(tree.read('nx.json', 'utf-8')).toBe(valid);
  });
});

describe('0.2.0 notice-publish-bounds (warns only: empty renders and unbounded network calls were unsafe)', () => {
  afterEach(() => jest.restoreAllMocks());

  it('tells a workspace with nx-gitops about allowEmpty and networkTimeoutSeconds, changing nothing; silent elsewhere', async () => {
    const logs = captureLogs();
    const tree = createTreeWithEmptyWorkspace();
    await noticePublishBounds(tree);
    expect(logs.warn).toEqual([]);
    setNxJson(tree, { plugins: ['nx-gitops'] });
    const before = tree.read('nx.json', 'utf-8');
    await noticePublishBounds(tree);
    expect(tree.read('nx.json', 'utf-8')).toBe(before);
    expect(logs.warn).toEqual([expect.stringMatching(/"allowEmpty": true.*"networkTimeoutSeconds"/)]);
  });
});

(isOnPath('kubectl') ? describe : describe.skip)('0.2.0 keep-kustomize-output-with-builtin-engine (real workspaces on disk, real kubectl)', () => {
  let root: string;
  let logs: ReturnType<typeof captureLogs>;
  const path = process.env.PATH;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'nx-gitops-migrate-kustomize-'));
    writeFileSync(join(root, 'nx.json'), JSON.stringify({ plugins: ['nx-gitops'] }));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'ws', private: true }));
    const generated = new FsTree(root, false);
    await serviceGenerator(generated, { name: 'api' });
    await serviceGenerator(generated, { name: 'web', environments: ['develop', 'staging', 'production'] });
    flushChanges(root, generated.listChanges());
    logs = captureLogs();
  });
  afterEach(() => {
    process.env.PATH = path;
    jest.restoreAllMocks();
    rmSync(root, { recursive: true, force: true });
  });

  it('changes nothing where every kustomization builds to the same bytes with the built-in engine and kubectl, and says how many it compared', async () => {
    // A field the built-in engine refuses is handed to the binary by auto, so it counts as the same.
    writeFileSync(join(root, 'services/api/kubernetes/overlays/production/kustomization.yaml'), 'resources:\n- ../../base\nsortOptions:\n  order: fifo\n');
    const tree = new FsTree(root, false);
    const before = tree.read('nx.json', 'utf-8');
    await keepKustomizeOutputWithBuiltinEngine(tree);
    expect(tree.read('nx.json', 'utf-8')).toBe(before);
    expect(logs.warn).toEqual([]);
    expect(logs.info).toEqual([expect.stringContaining('the 7 kustomizations of this workspace build to the same bytes')]);
  });

  it('keeps the binary in targetDefaults of each render target name when the kustomize on PATH prints other bytes (a kubectl wrapper standing in for another kustomize version)', async () => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    const kubectl = findOnPath('kubectl')!;
    writeFileSync(join(bin, 'kustomize'), `#!/bin/sh\n"${kubectl}" kustomize "$2" | sed 's/^kind: Service$/kind: Service # other version/'\n`);
    chmodSync(join(bin, 'kustomize'), 0o755);
    process.env.PATH = `${bin}${delimiter}${path}`;
    writeFileSync(join(root, 'nx.json'), JSON.stringify({ plugins: [{ plugin: 'nx-gitops', options: { renderTargetName: 'hydrate' } }], targetDefaults: { hydrate: { cache: true } } }));
    const tree = new FsTree(root, false);
    await keepKustomizeOutputWithBuiltinEngine(tree);
    expect(readNxJson(tree)!.targetDefaults).toEqual({ hydrate: { cache: true, options: { kustomize: 'binary' } } });
    expect(logs.warn).toEqual([expect.stringMatching(/builds services\/api\/kubernetes\/base, .*services\/web\/kubernetes\/overlays\/staging differently.*"kustomize": "binary" is set in nx.json targetDefaults of "hydrate"/)]);
  });

  it('leaves render targets that choose their engine alone, and says nothing in a workspace without nx-gitops', async () => {
    writeFileSync(join(root, 'nx.json'), JSON.stringify({ plugins: ['nx-gitops'], targetDefaults: { render: { options: { kustomize: 'auto' } } } }));
    let tree = new FsTree(root, false);
    const chosen = tree.read('nx.json', 'utf-8');
    await keepKustomizeOutputWithBuiltinEngine(tree);
    expect(tree.read('nx.json', 'utf-8')).toBe(chosen);
    writeFileSync(join(root, 'nx.json'), JSON.stringify({ plugins: ['@nx/js'] }));
    tree = new FsTree(root, false);
    await keepKustomizeOutputWithBuiltinEngine(tree);
    expect(logs.info).toEqual([]);
    expect(logs.warn).toEqual([]);
  });
});
