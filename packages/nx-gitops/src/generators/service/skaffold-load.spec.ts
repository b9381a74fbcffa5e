import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { loadSkaffoldConfigs } from '../../skaffold/config';
import { serviceGenerator } from './generator';
import { SUPPORTED_SKAFFOLD_API_VERSIONS } from './lib/skaffold-versions';

describe('generated skaffold.yaml loads through the config loader', () => {
  let workDir: string;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'nx-gitops-skaffold-'));
  });

  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it.each(SUPPORTED_SKAFFOLD_API_VERSIONS)('%s loads without warnings, kustomize paths and profiles intact', async (skaffoldApiVersion) => {
    const tree = createTreeWithEmptyWorkspace();
    await serviceGenerator(tree, { name: 'foo', environments: ['develop', 'staging', 'production'], skaffoldApiVersion });
    const file = join(workDir, skaffoldApiVersion.replace('/', '-'), 'skaffold.yaml');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, tree.read('services/foo/skaffold.yaml') ?? '');

    const { configs, warnings } = loadSkaffoldConfigs({ file });
    expect(warnings).toEqual([]);
    expect(configs).toHaveLength(1);
    const [{ config }] = configs;
    expect(config.apiVersion).toBe(skaffoldApiVersion);
    expect(config.metadata?.name).toBe('foo');
    expect(config.build?.artifacts).toEqual([{ image: 'foo', docker: { dockerfile: 'Dockerfile' } }]);
    expect(config.build?.tagPolicy).toEqual({ gitCommit: { prefix: 'develop-' } });
    expect(config.manifests?.kustomize?.paths).toEqual(['kubernetes/overlays/develop']);
    expect(
      config.profiles?.map((profile) => [profile.name, profile.build?.tagPolicy?.gitCommit?.prefix, profile.manifests?.kustomize?.paths]),
    ).toEqual([
      ['staging', 'staging-', ['kubernetes/overlays/staging']],
      ['production', 'production-', ['kubernetes/overlays/production']],
    ]);
  });
});
