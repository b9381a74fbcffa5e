import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildKustomizationWithEngine, findOnPath, isOnPath } from '../build';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nx-gitops-kengine-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

const noBinary = { PATH: '' };
const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n';

/** One kustomization per field the built-in engine hands off, with the name an error must carry. */
const unsupported: Array<[string, string, Record<string, string>]> = [
  ['helmCharts', 'helmCharts:\n- name: x\n  repo: https://example.com\n', {}],
  ['replacements', 'replacements:\n- source: {kind: Deployment, name: web}\n  targets: []\n', {}],
  ['vars', 'vars:\n- name: X\n  objref: {kind: Deployment, name: web, apiVersion: apps/v1}\n', {}],
  ['openapi', 'openapi:\n  path: schema.json\n', {}],
  ['crds', 'crds:\n- crd.yaml\n', {}],
  ['configurations', 'configurations:\n- config.yaml\n', {}],
  ['transformers', 'transformers:\n- t.yaml\n', {}],
  ['generators', 'generators:\n- g.yaml\n', {}],
  ['sortOptions', 'sortOptions:\n  order: fifo\n', {}],
  ['patchesStrategicMerge[0]', 'patchesStrategicMerge:\n- |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\n  spec:\n    replicas: 2\n', {}],
  ['patches[0].options', 'patches:\n- path: patch.yaml\n  options:\n    allowNameChange: true\n', { 'patch.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n' }],
  ['patches[0]', 'patches:\n- path: patch.yaml\n  target:\n    kind: Deployment\n', { 'patch.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n' }],
  ['patches[0].target.name', 'patches:\n- path: patch.yaml\n  target:\n    name: "(?i)web"\n', { 'patch.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n' }],
  ['patches[1]', 'patches:\n- target:\n    kind: Deployment\n  patch: \'[{"op": "add", "path": "/spec/paused", "value": true}]\'\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      embedded:\n        apiVersion: v1\n        kind: ConfigMap\n', {}],
  ['configMapGenerator[0].behavior', 'configMapGenerator:\n- name: c\n  behavior: merge\n  literals: [A=B]\n', {}],
  ['resources[1]', 'resources:\n- deployment.yaml\n- https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.5.0\n', {}],
];

function layout(fields: string, extra: Record<string, string> = {}): string {
  write('deployment.yaml', deployment);
  const resources = fields.startsWith('resources:') ? '' : 'resources:\n- deployment.yaml\n';
  write('kustomization.yaml', `${resources}${fields}`);
  for (const [path, text] of Object.entries(extra)) write(path, text);
  return root;
}

describe('kustomize engine switch', () => {
  it('auto builds in-process when neither kustomize nor kubectl is on PATH', async () => {
    const dir = layout('namePrefix: p-\n');
    await expect(buildKustomizationWithEngine({ dir, engine: 'auto', env: noBinary })).resolves.toBe(
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: p-web\nspec:\n  template:\n    spec:\n      containers:\n      - image: nginx\n        name: web',
    );
  });

  it.each(unsupported)('auto without a binary refuses %s, naming the field and the file', async (field, fields, extra) => {
    const dir = layout(fields, extra);
    const error = await buildKustomizationWithEngine({ dir, engine: 'auto', env: noBinary }).catch((caught: Error) => caught);
    expect((error as Error).message).toContain(`does not support ${field} (${join(dir, 'kustomization.yaml')})`);
    expect((error as Error).message).toContain('neither is on PATH');
  });

  it.each(unsupported)('builtin refuses %s even when a binary is on PATH', async (field, fields, extra) => {
    const dir = layout(fields, extra);
    await expect(buildKustomizationWithEngine({ dir, engine: 'builtin' })).rejects.toThrow(`does not support ${field}`);
  });

  it('builtin refuses buildArgs, which only the binary understands', async () => {
    const dir = layout('');
    await expect(buildKustomizationWithEngine({ dir, engine: 'builtin', buildArgs: ['--load-restrictor LoadRestrictionsNone'] })).rejects.toThrow('does not take build flags');
  });

  (isOnPath('kubectl') ? describe : describe.skip)('with kubectl on PATH', () => {
    const handedOff = unsupported.filter(([field]) => ['patchesStrategicMerge[0]', 'patches[0].options', 'patches[0].target.name', 'patches[1]', 'sortOptions'].includes(field));

    it.each(handedOff)('auto hands %s to the binary', async (_field, fields, extra) => {
      const dir = layout(fields, extra);
      const output = await buildKustomizationWithEngine({ dir, engine: 'auto' });
      expect(output).toContain('kind: Deployment');
    });

    /** A bin folder whose only program is `kubectl`: the real one, started through a script that notes each run. */
    function recordingKubectl(): { env: NodeJS.ProcessEnv; runs: () => number } {
      const real = findOnPath('kubectl')!;
      const bin = join(root, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\necho run >> "${join(root, 'runs')}"\nexec "${real}" "$@"\n`);
      chmodSync(join(bin, 'kubectl'), 0o755);
      const runs = () => (existsSync(join(root, 'runs')) ? readFileSync(join(root, 'runs'), 'utf8').split('\n').filter(Boolean).length : 0);
      return { env: { PATH: bin }, runs };
    }

    it('auto builds a supported kustomization in-process even with kubectl on PATH, starting no process', async () => {
      const { env, runs } = recordingKubectl();
      const dir = layout('namePrefix: p-\n');
      await expect(buildKustomizationWithEngine({ dir, engine: 'auto', env })).resolves.toContain('name: p-web');
      expect(runs()).toBe(0);
      await expect(buildKustomizationWithEngine({ dir, engine: 'binary', env })).resolves.toContain('name: p-web');
      expect(runs()).toBe(1);
    });

    it('auto starts the binary for a field the built-in engine refuses, for buildArgs, and for an explicit kustomizeBinary', async () => {
      const { env, runs } = recordingKubectl();
      const dir = layout('sortOptions:\n  order: fifo\n');
      await expect(buildKustomizationWithEngine({ dir, engine: 'auto', env })).resolves.toContain('kind: Deployment');
      expect(runs()).toBe(1);
      write('kustomization.yaml', 'resources:\n- deployment.yaml\n');
      await expect(buildKustomizationWithEngine({ dir, engine: 'auto', env, buildArgs: ['--load-restrictor LoadRestrictionsNone'] })).resolves.toContain('kind: Deployment');
      expect(runs()).toBe(2);
      await expect(buildKustomizationWithEngine({ dir, engine: 'auto', env: { PATH: '' }, kustomizeBinary: join(root, 'bin', 'kubectl') })).resolves.toContain('kind: Deployment');
      expect(runs()).toBe(3);
    });

    it('auto and builtin give the same text for a supported kustomization', async () => {
      const dir = layout('namespace: prod\ncommonLabels:\n  app: web\nimages:\n- name: nginx\n  newTag: "1.27"\n');
      const binary = await buildKustomizationWithEngine({ dir, engine: 'auto' });
      await expect(buildKustomizationWithEngine({ dir, engine: 'builtin' })).resolves.toBe(binary);
      await expect(buildKustomizationWithEngine({ dir, engine: 'binary' })).resolves.toBe(binary);
    });
  });
});

/**
 * Layouts whose kustomize output the built-in engine does not reproduce, found by building real repositories'
 * kustomizations with both: each is refused, naming what and where, and auto hands it to the binary.
 */
const roundTripped: Array<[string, string, Record<string, string>]> = [
  [
    'a folded block scalar (>) with more-indented lines (line 6)',
    'resources:\n- script.yaml\n',
    { 'script.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  run: >\n    cat <<EOF\n    <settings>\n      <mirrors/>\n    </settings>\n' },
  ],
  [
    "kustomize's own annotation internal.config.kubernetes.io/needsHashSuffix in a resource",
    'resources:\n- job.yaml\n',
    { 'job.yaml': 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: init\n  annotations:\n    internal.config.kubernetes.io/needsHashSuffix: enabled\n' },
  ],
  [
    'a strategic merge patch on a resource holding null values',
    'resources:\n- service.yaml\npatches:\n- patch: |\n    apiVersion: v1\n    kind: Service\n    metadata: {name: b}\n    spec: {type: ClusterIP}\n',
    { 'service.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: b\n  labels:\nspec:\n  selector:\n' },
  ],
  [
    'a null label or annotation in patchesStrategicMerge',
    'resources:\n- pod.yaml\npatchesStrategicMerge:\n- patch.yaml\n',
    {
      'pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    foo: spam\n',
      'patch.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {foo: null}\n',
    },
  ],
];

describe('what kustomize prints differently from the files, refused by the built-in engine', () => {
  it.each(roundTripped)('builtin refuses %s', async (what, kustomization, files) => {
    write('kustomization.yaml', kustomization);
    for (const [path, text] of Object.entries(files)) write(path, text);
    const error = await buildKustomizationWithEngine({ dir: root, engine: 'builtin' }).catch((caught: Error) => caught);
    expect((error as Error).message).toMatch(/^The built-in kustomize does not support /);
    expect((error as Error).message).toContain(what);
  });

  (isOnPath('kubectl') ? it.each(roundTripped) : it.skip.each(roundTripped))('auto hands %s to kubectl and prints its bytes', async (_what, kustomization, files) => {
    write('kustomization.yaml', kustomization);
    for (const [path, text] of Object.entries(files)) write(path, text);
    const binary = await buildKustomizationWithEngine({ dir: root, engine: 'binary' });
    await expect(buildKustomizationWithEngine({ dir: root, engine: 'auto' })).resolves.toBe(binary);
  });

  it('fails on a kustomization that sets nothing, as kustomize does ("kustomization.yaml is empty")', async () => {
    for (const text of ['', 'kind: Kustomization\n', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n']) {
      write('kustomization.yaml', text);
      await expect(buildKustomizationWithEngine({ dir: root, engine: 'builtin' })).rejects.toThrow('kustomization.yaml is empty');
    }
    write('kustomization.yaml', 'resources: []\n');
    await expect(buildKustomizationWithEngine({ dir: root, engine: 'builtin' })).resolves.toBe('');
  });

  it('treats a symbolic link to a file outside the kustomization as outside, as kustomize\'s load restrictor does', async () => {
    write('outside/deployment.yaml', deployment);
    write('app/kustomization.yaml', 'resources:\n- deployment.yaml\n');
    symlinkSync(join(root, 'outside/deployment.yaml'), join(root, 'app/deployment.yaml'));
    await expect(buildKustomizationWithEngine({ dir: join(root, 'app'), engine: 'builtin' })).rejects.toThrow('deployment.yaml is outside the kustomization directory');
  });
});
