/**
 * Layouts modelled on three public multi-service repositories (written here from their structure, not
 * copied): the graph loads with every project, and the configurations their docs tell users to run render
 * the objects skaffold renders for them.
 *
 * - microservices-demo: one skaffold.yaml with an `app` config of many artifacts and rawYaml manifests, a
 *   `loadgenerator` config, and a dev-only `debug` profile whose JSON patch no longer matches the config
 *   (skaffold applies it only on request).
 * - bank-of-anthos: a root skaffold.yaml that only `requires` per-service configs, whose `development` and
 *   `staging` profiles exist in the required configs alone (skaffold propagates `-p staging`).
 * - core-solution-services: profiles written as a YAML anchor and merge keys (`- <<: *gke-profile`).
 */
import { join } from 'node:path';
import { useTempWorkspace } from '../testing/temp-workspace';
import type { CreateNodesContext } from '@nx/devkit';
import { parseManifests } from '../manifests/yaml';
import { renderManifests } from '../skaffold/render';
import { createGitInfoCache } from '../skaffold/tags';
import { createNodes } from './create-nodes';

jest.setTimeout(60_000);

const workspace = useTempWorkspace('nx-gitops-layouts-');
const write = workspace.write;

function deployment(name: string, image = name): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: server
        image: ${image}
`;
}

function service(name: string): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector:
    app: ${name}
  ports:
  - port: 80
`;
}

const context = (): CreateNodesContext => ({ workspaceRoot: workspace.root, nxJsonConfiguration: {} });

async function objects(configFile: string, profiles: string[]): Promise<string[]> {
  const result = await renderManifests({
    configFile: join(workspace.root, configFile),
    profiles,
    env: {},
    digestSource: 'tag',
    customTag: 'v1',
    git: createGitInfoCache(),
  });
  return parseManifests(result.manifest, configFile).map((document) => {
    const object = document as { kind: string; metadata: { name: string }; spec?: { template?: { spec?: { containers?: Array<{ image: string }> } } } };
    const image = object.spec?.template?.spec?.containers?.[0]?.image;
    return `${object.kind}/${object.metadata.name}${image ? ` ${image}` : ''}`;
  });
}

const SHOP_SERVICES = ['adservice', 'cartservice', 'checkoutservice', 'frontend'];

/** microservices-demo's shape. */
function shopLayout() {
  write(
    'shop/skaffold.yaml',
    `apiVersion: skaffold/v4beta13
kind: Config
metadata:
  name: app
build:
  artifacts:
${SHOP_SERVICES.map((name) => `  - image: ${name}\n    context: src/${name}`).join('\n')}
  tagPolicy:
    gitCommit: {}
  local:
    useBuildkit: false
manifests:
  kustomize:
    paths:
    - kubernetes-manifests
deploy:
  kubectl: {}
profiles:
- name: gcb
  build:
    googleCloudBuild:
      diskSizeGb: 300
      machineType: N1_HIGHCPU_32
      timeout: 4000s
- name: debug
  activation:
  - command: debug
  patches:
  # A stale patch: the config has four artifacts now.
  - op: replace
    path: /build/artifacts/7/docker/dockerfile
    value: Dockerfile.debug
- name: network-policies
  patches:
  - op: add
    path: /manifests/kustomize/paths/1
    value: kustomize/components/network-policies
---
apiVersion: skaffold/v4beta13
kind: Config
metadata:
  name: loadgenerator
requires:
- configs:
  - app
build:
  artifacts:
  - image: loadgenerator
    context: src/loadgenerator
manifests:
  rawYaml:
  - ./kubernetes-manifests/loadgenerator.yaml
deploy:
  kubectl: {}
`,
  );
  for (const name of [...SHOP_SERVICES, 'loadgenerator']) write(`shop/src/${name}/Dockerfile`, 'FROM busybox:1.36\n');
  for (const name of SHOP_SERVICES) write(`shop/kubernetes-manifests/${name}.yaml`, `${deployment(name)}---\n${service(name)}`);
  write('shop/kubernetes-manifests/kustomization.yaml', `resources:\n${SHOP_SERVICES.map((name) => `- ${name}.yaml`).join('\n')}\n`);
  write('shop/kubernetes-manifests/loadgenerator.yaml', deployment('loadgenerator'));
  write('shop/kustomize/components/network-policies/kustomization.yaml', 'resources:\n- deny-all.yaml\n');
  write(
    'shop/kustomize/components/network-policies/deny-all.yaml',
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-all\nspec:\n  podSelector: {}\n',
  );
}

/** bank-of-anthos's shape: the root only requires per-service configs, which hold the profiles. */
function bankLayout() {
  write(
    'bank/skaffold.yaml',
    `apiVersion: skaffold/v4beta13
kind: Config
requires:
- path: src/accounts/userservice
- path: src/ledger/balancereader
`,
  );
  for (const [dir, name] of [
    ['src/accounts/userservice', 'userservice'],
    ['src/ledger/balancereader', 'balancereader'],
  ]) {
    write(
      `bank/${dir}/skaffold.yaml`,
      `apiVersion: skaffold/v4beta13
kind: Config
metadata:
  name: ${name}
build:
  artifacts:
  - image: ${name}
    docker:
      dockerfile: Dockerfile
profiles:
- name: development
  manifests:
    kustomize:
      paths:
      - k8s/overlays/development
- name: staging
  manifests:
    kustomize:
      paths:
      - k8s/overlays/staging
`,
    );
    write(`bank/${dir}/Dockerfile`, 'FROM busybox:1.36\n');
    write(`bank/${dir}/k8s/base/kustomization.yaml`, 'resources:\n- deployment.yaml\n');
    write(`bank/${dir}/k8s/base/deployment.yaml`, deployment(name));
    write(`bank/${dir}/k8s/overlays/development/kustomization.yaml`, 'resources:\n- ../../base\n');
    write(`bank/${dir}/k8s/overlays/staging/kustomization.yaml`, `resources:\n- ../../base\n- service.yaml\n`);
    write(`bank/${dir}/k8s/overlays/staging/service.yaml`, service(name));
  }
}

/** core-solution-services's shape: profiles share an anchored base through merge keys. */
function solutionsLayout() {
  write(
    'solutions/skaffold.yaml',
    `apiVersion: skaffold/v4beta13
kind: Config
metadata:
  name: common
.gke-profile: &gke-profile
  build:
    artifacts:
    - image: jobs-service
      context: components/jobs
  manifests:
    rawYaml:
    - components/jobs/kubernetes/deployment.yaml
profiles:
- <<: *gke-profile
  name: default-deploy
- <<: *gke-profile
  name: gke
  manifests:
    rawYaml:
    - components/jobs/kubernetes/deployment.yaml
    - components/jobs/kubernetes/service.yaml
`,
  );
  write('solutions/components/jobs/Dockerfile', 'FROM busybox:1.36\n');
  write('solutions/components/jobs/kubernetes/deployment.yaml', deployment('jobs-service'));
  write('solutions/components/jobs/kubernetes/service.yaml', service('jobs-service'));
}

describe('real-world layouts', () => {
  beforeEach(() => {
    shopLayout();
    bankLayout();
    solutionsLayout();
  });

  it('load into one graph: a stale dev-only patch marks only its environment, required configs are projects too', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const files = [
        'bank/skaffold.yaml',
        'bank/src/accounts/userservice/skaffold.yaml',
        'bank/src/ledger/balancereader/skaffold.yaml',
        'shop/skaffold.yaml',
        'solutions/skaffold.yaml',
      ];
      const results = await createNodes[1](files, {}, context());
      const configurations = Object.fromEntries(
        results.map(([file, node]) => [file, Object.keys(Object.values(node.projects!)[0].targets!.render.configurations ?? {})]),
      );
      expect(configurations).toEqual({
        'bank/skaffold.yaml': ['develop', 'development', 'staging'],
        'bank/src/accounts/userservice/skaffold.yaml': ['develop', 'development', 'staging'],
        'bank/src/ledger/balancereader/skaffold.yaml': ['develop', 'development', 'staging'],
        'shop/skaffold.yaml': ['develop', 'debug', 'gcb', 'network-policies'],
        'solutions/skaffold.yaml': ['develop', 'default-deploy', 'gke'],
      });
      // Only the shop's debug environment is marked; its other environments stay cacheable.
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(/shop\/skaffold\.yaml: environment "debug"/);
    } finally {
      warn.mockRestore();
    }
  });

  it('render the configurations their docs name, as skaffold renders them', async () => {
    // kustomize writes Services before Deployments (its legacy order); the rawYaml config comes after.
    expect(await objects('shop/skaffold.yaml', [])).toEqual([
      ...SHOP_SERVICES.map((name) => `Service/${name}`),
      ...SHOP_SERVICES.map((name) => `Deployment/${name} ${name}:v1`),
      'Deployment/loadgenerator loadgenerator:v1',
    ]);
    expect(await objects('shop/skaffold.yaml', ['network-policies'])).toContain('NetworkPolicy/deny-all');
    await expect(objects('shop/skaffold.yaml', ['debug'])).rejects.toThrow(/debug/);

    expect(await objects('bank/skaffold.yaml', ['staging'])).toEqual([
      'Service/userservice',
      'Deployment/userservice userservice:v1',
      'Service/balancereader',
      'Deployment/balancereader balancereader:v1',
    ]);
    expect(await objects('bank/skaffold.yaml', ['development'])).toEqual(['Deployment/userservice userservice:v1', 'Deployment/balancereader balancereader:v1']);

    expect(await objects('solutions/skaffold.yaml', ['default-deploy'])).toEqual(['Deployment/jobs-service jobs-service:v1']);
    expect(await objects('solutions/skaffold.yaml', ['gke'])).toEqual(['Deployment/jobs-service jobs-service:v1', 'Service/jobs-service']);
  });
});
