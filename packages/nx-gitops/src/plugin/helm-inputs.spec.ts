/**
 * Helm releases make their chart folders, values files and setFiles inputs of the render, and a chart folder
 * of another Nx project a graph edge, so a change to a shared chart re-renders exactly its users.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CreateDependenciesContext, CreateNodesContext, TargetConfiguration } from '@nx/devkit';
import { createDependencies, createNodes } from '../index';
import { listRenderSources } from './render-sources';

let workspaceRoot: string;
beforeEach(() => {
  workspaceRoot = mkdtempSync(join(tmpdir(), 'nx-gitops-helm-inputs-'));
  write('charts/common/project.json', JSON.stringify({ name: 'common-chart' }));
  write('charts/common/Chart.yaml', 'apiVersion: v2\nname: common\nversion: 0.1.0\n');
  write('charts/library/Chart.yaml', 'apiVersion: v2\nname: library\nversion: 0.1.0\n');
  write('shared/values/base.yaml', 'replicas: 1\n');
});
afterEach(() => rmSync(workspaceRoot, { recursive: true, force: true }));

function write(path: string, text: string) {
  mkdirSync(dirname(join(workspaceRoot, path)), { recursive: true });
  writeFileSync(join(workspaceRoot, path), text);
}

function service(name: string, body: string) {
  write(`services/${name}/skaffold.yaml`, `apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  tagPolicy: {envTemplate: {template: v1}}\n  artifacts:\n  - image: ${name}\n${body}`);
}

async function renderTarget(name: string): Promise<TargetConfiguration> {
  const context: CreateNodesContext = { workspaceRoot, nxJsonConfiguration: {} };
  const results = await createNodes[1]([`services/${name}/skaffold.yaml`], {}, context);
  return results[0][1].projects![`services/${name}`].targets!.render;
}

const fileInputs = (target: TargetConfiguration) => (target.inputs ?? []).filter((input): input is string => typeof input === 'string');
const envInputs = (target: TargetConfiguration) => (target.inputs ?? []).flatMap((input) => (typeof input === 'object' && 'env' in input ? [input.env] : []));

describe('helm release inputs', () => {
  it('makes a chart folder outside the project, its file:// dependencies and values files inputs, and the chart project a graph edge', async () => {
    write('charts/common/Chart.yaml', 'apiVersion: v2\nname: common\nversion: 0.1.0\ndependencies:\n- name: library\n  version: 0.1.0\n  repository: file://../library\n');
    service('web', 'manifests:\n  helm:\n    releases:\n    - name: web\n      chartPath: ../../charts/common\n      valuesFiles: [../../shared/values/base.yaml, values.yaml]\n');
    service('batch', 'deploy:\n  helm:\n    releases:\n    - name: batch\n      chartPath: ../../charts/common\n      setFiles: {config: ../../shared/values/base.yaml}\n');
    service('alone', 'manifests:\n  helm:\n    releases:\n    - name: alone\n      chartPath: chart\n');
    const web = fileInputs(await renderTarget('web'));
    expect(web).toEqual(expect.arrayContaining(['{workspaceRoot}/charts/common/**/*', '{workspaceRoot}/charts/library/**/*', '{workspaceRoot}/shared/values/base.yaml']));
    expect(fileInputs(await renderTarget('batch'))).toEqual(expect.arrayContaining(['{workspaceRoot}/charts/common/**/*', '{workspaceRoot}/shared/values/base.yaml']));
    expect(fileInputs(await renderTarget('alone')).filter((input) => input.includes('charts/'))).toEqual([]);

    // createDependencies follows the services createNodes inferred last.
    await createNodes[1](['services/alone/skaffold.yaml', 'services/batch/skaffold.yaml', 'services/web/skaffold.yaml'], {}, { workspaceRoot, nxJsonConfiguration: {} });
    const context = {
      workspaceRoot,
      nxJsonConfiguration: {},
      externalNodes: {},
      fileMap: { projectFileMap: {}, nonProjectFiles: [] },
      filesToProcess: { projectFileMap: {}, nonProjectFiles: [] },
      projects: { web: { root: 'services/web' }, batch: { root: 'services/batch' }, alone: { root: 'services/alone' }, 'common-chart': { root: 'charts/common' } },
    } as unknown as CreateDependenciesContext;
    const edges = await createDependencies({}, context);
    expect(edges.filter((edge) => edge.target === 'common-chart').map((edge) => edge.source).sort()).toEqual(['batch', 'web']);
  });

  it('notes the environment variables templated release fields read, but not the image values', async () => {
    service(
      'web',
      'manifests:\n  helm:\n    releases:\n    - name: "{{.RELEASE}}"\n      chartPath: "../../charts/{{.CHART}}"\n      namespace: "{{.NS}}"\n      setValueTemplates:\n        image.tag: "{{.IMAGE_TAG_web}}"\n        region: "{{.REGION}}"\n',
    );
    expect(envInputs(await renderTarget('web'))).toEqual(expect.arrayContaining(['CHART', 'NS', 'REGION', 'RELEASE']));
    expect(envInputs(await renderTarget('web'))).not.toContain('IMAGE_TAG_web');
    expect(listRenderSources({ workspaceRoot, configFile: 'services/web/skaffold.yaml', profiles: [], env: { CHART: 'common' } })).toEqual(['charts/common', 'services/web']);
  });

  it('does not read remote charts', async () => {
    service('web', 'manifests:\n  helm:\n    releases:\n    - name: web\n      remoteChart: oci://registry.example.com/charts/web\n      version: 1.0.0\n');
    expect(fileInputs(await renderTarget('web')).filter((input) => input.includes('charts'))).toEqual([]);
  });
});
