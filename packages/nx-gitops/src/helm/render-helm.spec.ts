import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitopsError } from '../lib/errors';
import { runCommand } from '../lib/exec';
import { isOnPath } from '../kustomize/build';
import type { RenderRequest } from '../skaffold/render';
import { startTestRegistry, TEST_REGISTRY_USER, type TestRegistry } from '../testing/oci-registry';
import { renderWorkspaceConfig, useTempWorkspace, writeFiles } from '../testing/temp-workspace';
import { helmEnvironment } from './binary';

const helmFound = isOnPath('helm');
const describeWithHelm = helmFound ? describe : describe.skip;
if (!helmFound) {
  // CI installs helm (.ci/run); locally these tests need `helm` 3.13+ on PATH.
  console.warn('Skipping the helm integration tests: no "helm" on PATH (go install helm.sh/helm/v3/cmd/helm@v3.22.0).');
}

// skaffold's examples/helm-deployment, as its repository lays it out.
const helmDeploymentChart = {
  'charts/Chart.yaml': 'apiVersion: v1\ndescription: Skaffold example with Helm\nname: skaffold-helm\nversion: 0.1.0\n',
  'charts/values.yaml': '# Default values for skaffold-helm.\nreplicaCount: 2\nimage: skaffold-helm:latest\n',
  'charts/templates/deployment.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ .Chart.Name }}',
    '  labels:',
    '    app: {{ .Chart.Name }}',
    'spec:',
    '  selector:',
    '    matchLabels:',
    '      app: {{ .Chart.Name }}',
    '  replicas: {{ .Values.replicaCount }}',
    '  template:',
    '    metadata:',
    '      labels:',
    '        app: {{ .Chart.Name }}',
    '    spec:',
    '      containers:',
    '      - name: {{ .Chart.Name }}',
    '        image: {{ .Values.image }}',
    '',
  ].join('\n'),
};

/** The manifest `skaffold render --tag <tag>` writes for examples/helm-deployment. */
function helmDeploymentManifest(image: string, replicas = 2): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  labels:',
    '    app: skaffold-helm',
    '  name: skaffold-helm',
    'spec:',
    `  replicas: ${replicas}`,
    '  selector:',
    '    matchLabels:',
    '      app: skaffold-helm',
    '  template:',
    '    metadata:',
    '      labels:',
    '        app: skaffold-helm',
    '    spec:',
    '      containers:',
    `        - image: ${image}`,
    '          name: skaffold-helm',
    '',
  ].join('\n');
}

/** A chart whose templates show what each release setting reaches. */
const appChart = {
  'chart/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
  'chart/values.yaml': 'replicas: 1\nimage:\n  repository: app\n  tag: latest\ngreeting: hello\n',
  'chart/templates/deployment.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: {{ .Release.Name }}',
    '  namespace: {{ .Release.Namespace }}',
    'spec:',
    '  replicas: {{ .Values.replicas }}',
    '  template:',
    '    spec:',
    '      containers:',
    '      - name: app',
    '        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
    '',
  ].join('\n'),
  'chart/templates/configmap.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: {{ .Release.Name }}-config',
    'data:',
    '  greeting: {{ .Values.greeting | quote }}',
    '{{- with .Values.extra }}',
    '  extra: {{ . | quote }}',
    '{{- end }}',
    '{{- with .Values.motd }}',
    '  motd: {{ . | quote }}',
    '{{- end }}',
    '',
  ].join('\n'),
};

describeWithHelm('helm releases in the native engine (real helm template)', () => {
  const workspace = useTempWorkspace('nx-gitops-helm-');
  const write = workspace.writeFiles;

  function render(overrides: Partial<RenderRequest> = {}) {
    return renderWorkspaceConfig(workspace.root, { digestSource: 'tag', customTag: 'v1', ...overrides });
  }

  async function renderError(overrides: Partial<RenderRequest> = {}): Promise<GitopsError> {
    try {
      await render(overrides);
    } catch (error) {
      return error as GitopsError;
    }
    throw new Error('expected the render to fail');
  }

  it("renders the legacy deploy.helm of a v4 config (skaffold's examples/helm-deployment), image replaced", async () => {
    write({
      ...helmDeploymentChart,
      'skaffold.yaml': 'apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n  - image: skaffold-helm\ndeploy:\n  helm:\n    releases:\n    - name: skaffold-helm\n      chartPath: charts\n',
    });
    const result = await render();
    expect(result.manifest).toBe(helmDeploymentManifest('skaffold-helm:v1'));
    expect(result.images.map((image) => image.reference)).toEqual(['skaffold-helm:v1']);
  });

  it('renders a v2beta config with deploy.helm, artifactOverrides upgraded as skaffold does', async () => {
    write({
      ...helmDeploymentChart,
      'skaffold.yaml': [
        'apiVersion: skaffold/v2beta29',
        'kind: Config',
        'build:',
        '  artifacts:',
        '  - image: gcr.io/k8s-skaffold/skaffold-helm',
        'deploy:',
        '  helm:',
        '    releases:',
        '    - name: skaffold-helm',
        '      chartPath: charts',
        '      artifactOverrides:',
        '        image: gcr.io/k8s-skaffold/skaffold-helm',
        '      setValues:',
        '        replicaCount: 3',
        '',
      ].join('\n'),
    });
    expect((await render()).manifest).toBe(helmDeploymentManifest('gcr.io/k8s-skaffold/skaffold-helm:v1', 3));
  });

  it('renders manifests.helm with values per profile, setValues, setValueTemplates, setFiles, overrides, namespace and template flags', async () => {
    write({
      ...appChart,
      'values/production.yaml': 'replicas: 3\n',
      'motd.txt': 'welcome',
      'skaffold.yaml': [
        'apiVersion: skaffold/v4beta14',
        'kind: Config',
        'build:',
        '  artifacts:',
        '  - image: registry.example.com/team/app',
        'manifests:',
        '  helm:',
        '    flags:',
        '      template: [--skip-tests]',
        '    releases:',
        '    - name: "{{.RELEASE}}"',
        '      chartPath: chart',
        '      namespace: apps',
        '      createNamespace: true',
        '      setValues:',
        '        greeting: hi',
        '      setValueTemplates:',
        '        image.repository: "{{.IMAGE_REPO_registry_example_com_team_app}}"',
        '        image.tag: "{{.IMAGE_TAG_registry_example_com_team_app}}@{{.IMAGE_DIGEST_registry_example_com_team_app}}"',
        '      setFiles:',
        '        motd: motd.txt',
        '      overrides:',
        '        extra: from-overrides',
        'profiles:',
        '- name: production',
        '  patches:',
        '  - op: add',
        '    path: /manifests/helm/releases/0/valuesFiles',
        '    value: [values/production.yaml]',
        '',
      ].join('\n'),
    });
    const develop = await render({ env: { RELEASE: 'web' } });
    expect(develop.manifest).toBe(
      [
        'apiVersion: v1',
        'data:',
        '  extra: from-overrides',
        '  greeting: hi',
        '  motd: welcome',
        'kind: ConfigMap',
        'metadata:',
        '  name: web-config',
        '---',
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: web',
        '  namespace: apps',
        'spec:',
        '  replicas: 1',
        '  template:',
        '    spec:',
        '      containers:',
        '        - image: registry.example.com/team/app:v1',
        '          name: app',
        '',
      ].join('\n'),
    );
    const production = await render({ env: { RELEASE: 'web' }, profiles: ['production'], namespace: 'prod' });
    expect(production.manifest).toContain('  replicas: 3\n');
    expect(production.manifest).toContain('  namespace: prod\n');
  });

  it('builds chart dependencies unless skipBuildDependencies, and fails clearly when they are missing', async () => {
    write({
      'sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 0.2.0\n',
      'sub/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-sub\n',
      'parent/Chart.yaml': 'apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 0.2.0\n  repository: file://../sub\n',
      'parent/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-parent\n',
      'skaffold.yaml': 'apiVersion: skaffold/v4beta14\nkind: Config\nmanifests:\n  helm:\n    releases:\n    - name: rel\n      chartPath: parent\n',
    });
    expect((await render()).manifest).toBe('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rel-sub\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rel-parent\n');
    expect(readdirSync(join(workspace.root, 'parent', 'charts'))).toEqual(['sub-0.2.0.tgz']);

    rmSync(join(workspace.root, 'parent', 'charts'), { recursive: true });
    write({ 'skaffold.yaml': 'apiVersion: skaffold/v4beta14\nkind: Config\nmanifests:\n  helm:\n    releases:\n    - name: rel\n      chartPath: parent\n      skipBuildDependencies: true\n' });
    expect((await renderError()).message).toMatch(/helm template rel .*\n.*missing in charts\/ directory: sub/);
  });

  it('orders documents as skaffold does: rawYaml, manifests.helm, then the legacy releases, duplicates by name dropped', async () => {
    write({
      ...helmDeploymentChart,
      'k8s/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw\n',
      'skaffold.yaml': [
        'apiVersion: skaffold/v4beta14',
        'kind: Config',
        'manifests:',
        '  rawYaml: [k8s/cm.yaml]',
        '  helm:',
        '    releases:',
        '    - name: first',
        '      chartPath: charts',
        'deploy:',
        '  helm:',
        '    releases:',
        '    - name: first',
        '      chartPath: charts',
        '    - name: legacy',
        '      chartPath: charts',
        '      setValues: {replicaCount: 1}',
        '',
      ].join('\n'),
    });
    const { manifest } = await render();
    const names = [...manifest.matchAll(/^ {2}name: (.*)$/gm)].map((match) => match[1]);
    expect(names).toEqual(['raw', 'skaffold-helm', 'skaffold-helm']);
    expect([...manifest.matchAll(/replicas: (\d)/g)].map((match) => match[1])).toEqual(['2', '1']);
  });

  it('passes the namespace option to helm template and, as skaffold, injects it only into the other manifests', async () => {
    write({
      ...helmDeploymentChart,
      'k8s/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: raw\n',
      'skaffold.yaml': 'apiVersion: skaffold/v4beta14\nkind: Config\nmanifests:\n  rawYaml: [k8s/deployment.yaml]\n  helm:\n    releases:\n    - name: skaffold-helm\n      chartPath: charts\n      namespace: ignored\n',
    });
    const { manifest } = await render({ namespace: 'prod', labels: { team: 'web' } });
    const [raw, chart] = manifest.split('\n---\n');
    expect(raw).toContain('  namespace: prod');
    expect(chart).not.toContain('namespace:');
    expect(chart).toContain('    team: web\n');
  });

  it('refuses packaged and useHelmSecrets releases and unpinned remote charts, naming the field', async () => {
    const release = (extra: string) => `apiVersion: skaffold/v4beta14\nkind: Config\nmanifests:\n  helm:\n    releases:\n    - name: r\n${extra}`;
    write({ 'skaffold.yaml': release('      chartPath: charts\n      packaged: {version: 1.0.0}\n') });
    expect((await renderError()).message).toMatch(/manifests\.helm\.releases\[0\] \("r"\)\.packaged is not rendered by the native engine/);
    write({ 'skaffold.yaml': release('      chartPath: charts\n      useHelmSecrets: true\n') });
    expect((await renderError()).message).toMatch(/useHelmSecrets is not rendered/);
    write({ 'skaffold.yaml': release('      remoteChart: redis\n      repo: https://charts.example.com\n') });
    const unpinned = await renderError();
    expect(unpinned.message).toMatch(/manifests\.helm\.releases\[0\] \("r"\)\.version is not rendered by the native engine: the remote chart "redis" without a pinned version/);
    expect(unpinned.hint).toMatch(/allowUnpinnedCharts/);
  });

  it('fails with a hint naming helmBinary when helm cannot be run', async () => {
    write({ ...helmDeploymentChart, 'skaffold.yaml': 'apiVersion: skaffold/v4beta14\nkind: Config\nmanifests:\n  helm:\n    releases:\n    - name: r\n      chartPath: charts\n' });
    const error = await renderError({ helmBinary: join(workspace.root, 'no-helm') });
    expect(error.message).toMatch(/Cannot run helm/);
    expect(error.hint).toMatch(/helmBinary/);
  });

  describe('remote charts', () => {
    let charts: string;
    let env: Record<string, string>;
    beforeAll(async () => {
      charts = mkdtempSync(join(tmpdir(), 'nx-gitops-charts-'));
      env = helmEnvironment({ home: join(charts, 'home') });
      writeFiles(charts, { ...helmDeploymentChart });
      await runCommand('helm', ['package', join(charts, 'charts'), '--destination', join(charts, 'repo')], { env, extendEnv: false });
    });
    afterAll(() => rmSync(charts, { recursive: true, force: true }));

    describe('from a chart repository over HTTP', () => {
      let server: Server;
      let url: string;
      beforeAll(async () => {
        server = createServer((request, response) => {
          try {
            const body = readFileSync(join(charts, 'repo', decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)));
            response.writeHead(200).end(body);
          } catch {
            response.writeHead(404).end();
          }
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const address = server.address();
        url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
        await runCommand('helm', ['repo', 'index', join(charts, 'repo'), '--url', url], { env, extendEnv: false });
      });
      afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

      const config = (version: string) =>
        `apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n  - image: skaffold-helm\nmanifests:\n  helm:\n    releases:\n    - name: skaffold-helm\n      remoteChart: skaffold-helm\n      repo: ${url}\n${version}`;

      it('renders a pinned chart, images replaced', async () => {
        write({ 'skaffold.yaml': config('      version: 0.1.0\n') });
        expect((await render()).manifest).toBe(helmDeploymentManifest('skaffold-helm:v1'));
      });

      it('builds a local chart whose dependency comes from the repository', async () => {
        write({
          'parent/Chart.yaml': `apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n- name: skaffold-helm\n  version: 0.1.0\n  repository: ${url}\n`,
          'skaffold.yaml': 'apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n  - image: skaffold-helm\nmanifests:\n  helm:\n    releases:\n    - name: rel\n      chartPath: parent\n',
        });
        expect((await render()).manifest).toBe(helmDeploymentManifest('skaffold-helm:v1'));
        expect(readdirSync(join(workspace.root, 'parent', 'charts'))).toEqual(['skaffold-helm-0.1.0.tgz']);
      });

      it('renders an unpinned chart only with allowUnpinnedCharts', async () => {
        write({ 'skaffold.yaml': config('') });
        expect((await renderError()).hint).toMatch(/allowUnpinnedCharts/);
        expect((await render({ allowUnpinnedCharts: true })).manifest).toBe(helmDeploymentManifest('skaffold-helm:v1'));
      });
    });

    describe('from an OCI registry (helm push to docker-registry)', () => {
      let registry: TestRegistry;
      beforeAll(async () => {
        registry = await startTestRegistry();
        await runCommand('helm', ['push', join(charts, 'repo', 'skaffold-helm-0.1.0.tgz'), `oci://${registry.host}/charts`, '--plain-http'], { env, extendEnv: false });
      }, 30_000);
      afterAll(() => registry?.stop());

      it('renders oci://host/charts/skaffold-helm at a pinned version', async () => {
        write({
          'skaffold.yaml': `apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n  - image: skaffold-helm\nmanifests:\n  helm:\n    flags:\n      template: [--plain-http]\n    releases:\n    - name: skaffold-helm\n      remoteChart: oci://${registry.host}/charts/skaffold-helm\n      version: 0.1.0\n`,
        });
        expect((await render()).manifest).toBe(helmDeploymentManifest('skaffold-helm:v1'));
      });
    });

    describe('from an OCI registry with basic auth, logins read from the docker config', () => {
      let registry: TestRegistry;
      let dockerConfigDir: string;
      beforeAll(async () => {
        registry = await startTestRegistry({ basicAuth: true });
        dockerConfigDir = join(charts, 'docker');
        const auth = Buffer.from(`${TEST_REGISTRY_USER.username}:${TEST_REGISTRY_USER.password}`).toString('base64');
        writeFiles(charts, { 'docker/config.json': JSON.stringify({ auths: { [registry.host]: { auth } } }) });
        const pushEnv = helmEnvironment({ home: join(charts, 'home'), dockerConfigDir });
        await runCommand('helm', ['push', join(charts, 'repo', 'skaffold-helm-0.1.0.tgz'), `oci://${registry.host}/private`, '--plain-http'], { env: pushEnv, extendEnv: false });
      }, 30_000);
      afterAll(() => registry?.stop());

      const config = () =>
        `apiVersion: skaffold/v4beta14\nkind: Config\nmanifests:\n  helm:\n    flags:\n      template: [--plain-http]\n    releases:\n    - name: skaffold-helm\n      remoteChart: oci://${registry.host}/private/skaffold-helm\n      version: 0.1.0\n`;

      it('renders with the login of the docker config', async () => {
        write({ 'skaffold.yaml': config() });
        expect((await render({ dockerConfigDir })).manifest).toBe(helmDeploymentManifest('skaffold-helm:latest'));
      });

      it('fails without it, quoting helm', async () => {
        write({ 'skaffold.yaml': config() });
        expect((await renderError({ dockerConfigDir: join(charts, 'no-docker-config') })).message).toMatch(/helm template skaffold-helm oci:.*\n.*(401|unauthorized|credential)/is);
      });
    });
  });
});
