import * as core from './core';

describe('nx-gitops/src/core', () => {
  it('exposes the pipeline without Nx', () => {
    for (const name of ['renderManifests', 'publishManifests', 'loadSkaffoldConfigs', 'pinDigests', 'substituteDefaultRepo', 'computeImageTag']) {
      expect(typeof (core as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it('renders a service through the exported pipeline', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'nx-gitops-core-'));
    try {
      mkdirSync(join(dir, 'k8s'));
      writeFileSync(join(dir, 'skaffold.yaml'), 'apiVersion: skaffold/v4beta13\nkind: Config\nbuild:\n  tagPolicy: {envTemplate: {template: "{{.V}}"}}\n  artifacts: [{image: app}]\n');
      writeFileSync(join(dir, 'k8s/pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: app}\nspec:\n  containers: [{name: app, image: app}]\n');
      const result = await core.renderManifests({
        configFile: join(dir, 'skaffold.yaml'),
        profiles: [],
        env: { V: '1.2.3' },
        defaultRepo: 'registry.example.com',
        digestSource: 'tag',
        git: core.createGitInfoCache(),
      });
      expect(result.manifest).toBe(
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - image: registry.example.com/app:1.2.3\n      name: app\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
