import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { loadSkaffoldConfigs } from '../../skaffold/config';
import { serviceGenerator } from './generator';
import { renderedHelmReleases } from '../../helm/render-helm';
import { applyProfilesToConfigs } from '../../skaffold/profiles';
import { SUPPORTED_SKAFFOLD_API_VERSIONS, usesDeploySection } from './lib/skaffold-versions';

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

  it.each(SUPPORTED_SKAFFOLD_API_VERSIONS.filter((version) => !usesDeploySection(version)))(
    '%s with --template helm loads without warnings, the release and the values file of each profile intact',
    async (skaffoldApiVersion) => {
      const tree = createTreeWithEmptyWorkspace();
      await serviceGenerator(tree, { name: 'foo', environments: ['develop', 'staging', 'production'], skaffoldApiVersion, template: 'helm' });
      const file = join(workDir, `helm-${skaffoldApiVersion.replace('/', '-')}`, 'skaffold.yaml');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, tree.read('services/foo/skaffold.yaml') ?? '');

      const release = { name: 'foo', chartPath: 'chart', setValueTemplates: { 'image.repository': '{{.IMAGE_REPO_foo}}', 'image.tag': '{{.IMAGE_TAG_foo}}' } };
      for (const [profiles, valuesFile] of [[[], 'values-develop.yaml'], [['staging'], 'values-staging.yaml'], [['production'], 'values-production.yaml']] as const) {
        const { configs, warnings } = loadSkaffoldConfigs({ file });
        expect(warnings).toEqual([]);
        const [environmentConfig] = applyProfilesToConfigs({ configs, profiles: [...profiles], env: {} });
        expect(renderedHelmReleases(environmentConfig.config)?.releases).toEqual([{ ...release, valuesFiles: [valuesFile] }]);
      }
    },
  );
});
