import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { useTempWorkspace } from '../testing/temp-workspace';
import { buildKustomization, resolveKustomizeCommand } from './build';
import { listKustomizationFiles } from './dependencies';

const workspace = useTempWorkspace('nx-gitops-kustomize-');
const write = workspace.write;

function layout() {
  write('platform/components/probes/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- path: probe.yaml\n  target: {kind: Deployment}\n');
  write('platform/components/probes/probe.yaml', '- op: add\n  path: /metadata/labels/probed\n  value: "yes"\n');
  write('services/foo/kubernetes/base/kustomization.yaml', 'resources:\n- deployment.yaml\nconfigMapGenerator:\n- name: cfg\n  files:\n  - app.conf\n  - renamed=other.conf\n');
  write('services/foo/kubernetes/base/deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: foo\n  labels:\n    app: foo\nspec:\n  template:\n    spec:\n      containers:\n      - name: foo\n        image: foo\n');
  write('services/foo/kubernetes/base/app.conf', 'a=1\n');
  write('services/foo/kubernetes/base/other.conf', 'b=2\n');
  write(
    'services/foo/kubernetes/overlays/develop/kustomization.yaml',
    'resources:\n- ../../base\n- https://example.com/remote.yaml\n- missing.yaml\ncomponents:\n- ../../../../../platform/components/probes\n',
  );
}

describe('listKustomizationFiles', () => {
  it('follows resources, components, patches and generator files, skipping remote and missing ones', () => {
    layout();
    const files = listKustomizationFiles(join(workspace.root, 'services/foo/kubernetes/overlays/develop')).map((file) => file.slice(workspace.root.length + 1));
    expect(files).toEqual([
      'platform/components/probes/kustomization.yaml',
      'platform/components/probes/probe.yaml',
      'services/foo/kubernetes/base/app.conf',
      'services/foo/kubernetes/base/deployment.yaml',
      'services/foo/kubernetes/base/kustomization.yaml',
      'services/foo/kubernetes/base/other.conf',
      'services/foo/kubernetes/overlays/develop/kustomization.yaml',
    ]);
  });

  it('returns nothing for a directory without a kustomization', () => {
    expect(listKustomizationFiles(join(workspace.root, 'nowhere'))).toEqual([]);
  });
});

describe('resolveKustomizeCommand', () => {
  it('prefers kustomize on PATH, else kubectl kustomize', () => {
    write('bin/kustomize', '#!/bin/sh\n');
    chmodSync(join(workspace.root, 'bin/kustomize'), 0o755);
    expect(resolveKustomizeCommand(undefined, { PATH: join(workspace.root, 'bin') })).toEqual({ file: 'kustomize', args: ['build'] });
    expect(resolveKustomizeCommand(undefined, { PATH: join(workspace.root, 'empty') })).toEqual({ file: 'kubectl', args: ['kustomize'] });
  });

  it('honours kustomizeBinary', () => {
    expect(resolveKustomizeCommand('/opt/kubectl-1.30')).toEqual({ file: '/opt/kubectl-1.30', args: ['kustomize'] });
    expect(resolveKustomizeCommand('/opt/kustomize5')).toEqual({ file: '/opt/kustomize5', args: ['build'] });
  });
});

describe('buildKustomization (real kubectl kustomize)', () => {
  it('builds an overlay with a component outside the service', async () => {
    layout();
    write('services/foo/kubernetes/overlays/develop/kustomization.yaml', 'resources:\n- ../../base\ncomponents:\n- ../../../../../platform/components/probes\n');
    const yaml = await buildKustomization({
      dir: join(workspace.root, 'services/foo/kubernetes/overlays/develop'),
      buildArgs: ['--load-restrictor LoadRestrictionsNone'],
      command: { file: 'kubectl', args: ['kustomize'] },
    });
    expect(yaml).toContain('kind: Deployment');
    expect(yaml).toContain('probed: "yes"');
    expect(yaml).toMatch(/name: cfg-[a-z0-9]+/);
  });

  it('fails before starting a process when the overlay is missing', async () => {
    await expect(buildKustomization({ dir: join(workspace.root, 'missing'), command: { file: 'kubectl', args: ['kustomize'] } })).rejects.toThrow(
      /No kustomization\.yaml in .*missing/,
    );
  });

  it('quotes kustomize\'s own error for a broken overlay', async () => {
    write('bad/kustomization.yaml', 'resources:\n- nothere.yaml\n');
    await expect(buildKustomization({ dir: join(workspace.root, 'bad'), command: { file: 'kubectl', args: ['kustomize'] } })).rejects.toThrow(
      /Command failed with exit code 1: kubectl kustomize .*bad[\s\S]*nothere\.yaml/,
    );
  });
});
