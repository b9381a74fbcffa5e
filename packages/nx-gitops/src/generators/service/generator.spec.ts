import { readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parse } from 'yaml';
import { GitopsError } from '../../lib/errors';
import { serviceGenerator } from './generator';

function filesUnder(tree: Tree, root: string): string[] {
  const files: string[] = [];
  const visit = (dir: string): void => {
    for (const child of tree.children(dir)) {
      const path = `${dir}/${child}`;
      if (tree.isFile(path)) files.push(path);
      else visit(path);
    }
  };
  visit(root);
  return files.sort();
}

describe('service generator', () => {
  let tree: Tree;

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  it('writes the service layout with the defaults', async () => {
    await serviceGenerator(tree, { name: 'foo' });
    expect(filesUnder(tree, 'services/foo')).toEqual([
      'services/foo/Dockerfile',
      'services/foo/index.html',
      'services/foo/kubernetes/base/deployment.yaml',
      'services/foo/kubernetes/base/kustomization.yaml',
      'services/foo/kubernetes/base/service.yaml',
      'services/foo/kubernetes/overlays/develop/kustomization.yaml',
      'services/foo/kubernetes/overlays/production/kustomization.yaml',
      'services/foo/skaffold.yaml',
    ]);
    expect(tree.read('services/foo/skaffold.yaml', 'utf-8')).toMatchInlineSnapshot(`
"apiVersion: skaffold/v4beta13
kind: Config
metadata:
  name: foo
build:
  tagPolicy:
    gitCommit:
      prefix: develop-
  artifacts:
    - image: foo
      docker:
        dockerfile: Dockerfile
manifests:
  kustomize:
    paths:
      - kubernetes/overlays/develop
profiles:
  - name: production
    build:
      tagPolicy:
        gitCommit:
          prefix: production-
    manifests:
      kustomize:
        paths:
          - kubernetes/overlays/production
"
`);
    expect(tree.read('services/foo/kubernetes/base/deployment.yaml', 'utf-8')).toMatchInlineSnapshot(`
"apiVersion: apps/v1
kind: Deployment
metadata:
  name: foo
  labels:
    app.kubernetes.io/name: foo
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: foo
  template:
    metadata:
      labels:
        app.kubernetes.io/name: foo
    spec:
      containers:
        - name: foo
          # No tag here: render writes the tag the skaffold tag policy gives for the commit.
          image: foo
          ports:
            - name: http
              containerPort: 8080
          readinessProbe:
            httpGet:
              path: /
              port: http
"
`);
    expect(tree.read('services/foo/kubernetes/base/service.yaml', 'utf-8')).toMatchInlineSnapshot(`
"apiVersion: v1
kind: Service
metadata:
  name: foo
  labels:
    app.kubernetes.io/name: foo
spec:
  selector:
    app.kubernetes.io/name: foo
  ports:
    - name: http
      port: 80
      targetPort: http
"
`);
    expect(tree.read('services/foo/kubernetes/base/kustomization.yaml', 'utf-8')).toMatchInlineSnapshot(`
"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
"
`);
    expect(tree.read('services/foo/kubernetes/overlays/develop/kustomization.yaml', 'utf-8')).toMatchInlineSnapshot(`
"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
labels:
  - pairs:
      app.kubernetes.io/environment: develop
"
`);
    expect(tree.read('services/foo/kubernetes/overlays/production/kustomization.yaml', 'utf-8')).toMatchInlineSnapshot(`
"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
labels:
  - pairs:
      app.kubernetes.io/environment: production
patches:
  - target:
      kind: Deployment
      name: foo
    patch: |-
      - op: replace
        path: /spec/replicas
        value: 2
"
`);
    expect(tree.read('services/foo/Dockerfile', 'utf-8')).toMatchInlineSnapshot(`
"# A minimal web server so the service builds and answers on its port from the start; replace it with the
# service's own build.
FROM busybox:1.36
COPY index.html /www/index.html
EXPOSE 8080
USER 65534:65534
CMD ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]
"
`);
  });

  it('--template helm writes a local chart, a values file per environment and one helm release', async () => {
    await serviceGenerator(tree, { name: 'foo', template: 'helm', image: 'ghcr.io/acme/foo' });
    expect(filesUnder(tree, 'services/foo')).toEqual([
      'services/foo/Dockerfile',
      'services/foo/chart/Chart.yaml',
      'services/foo/chart/templates/deployment.yaml',
      'services/foo/chart/templates/service.yaml',
      'services/foo/chart/values.yaml',
      'services/foo/index.html',
      'services/foo/skaffold.yaml',
      'services/foo/values-develop.yaml',
      'services/foo/values-production.yaml',
    ]);
    expect(tree.read('services/foo/skaffold.yaml', 'utf-8')).toMatchInlineSnapshot(`
"apiVersion: skaffold/v4beta13
kind: Config
metadata:
  name: foo
build:
  tagPolicy:
    gitCommit:
      prefix: develop-
  artifacts:
    - image: ghcr.io/acme/foo
      docker:
        dockerfile: Dockerfile
manifests:
  helm:
    releases:
      - name: foo
        chartPath: chart
        valuesFiles:
          - values-develop.yaml
        setValueTemplates:
          image.repository: "{{.IMAGE_REPO_ghcr_io_acme_foo}}"
          image.tag: "{{.IMAGE_TAG_ghcr_io_acme_foo}}"
profiles:
  - name: production
    build:
      tagPolicy:
        gitCommit:
          prefix: production-
    patches:
      - op: replace
        path: /manifests/helm/releases/0/valuesFiles/0
        value: values-production.yaml
"
`);
    expect(tree.read('services/foo/chart/Chart.yaml', 'utf-8')).toMatchInlineSnapshot(`
"apiVersion: v2
name: foo
description: The Deployment and Service of foo; skaffold renders it with helm template, one values file per environment.
type: application
version: 0.1.0
"
`);
    expect(tree.read('services/foo/chart/values.yaml', 'utf-8')).toMatchInlineSnapshot(`
"# Defaults for every environment; the values-<environment>.yaml files next to skaffold.yaml override them.
image:
  # skaffold.yaml sets both (setValueTemplates) to the image it tagged for the commit; an empty tag leaves the
  # image untagged.
  repository: ghcr.io/acme/foo
  tag: ""
replicas: 1
port: 8080
# The app.kubernetes.io/environment label; none when empty.
environment: ""
"
`);
    expect(tree.read('services/foo/values-develop.yaml', 'utf-8')).toMatchInlineSnapshot(`
"# Values of the develop environment, passed after chart/values.yaml by skaffold.yaml.
environment: develop
"
`);
    expect(tree.read('services/foo/values-production.yaml', 'utf-8')).toMatchInlineSnapshot(`
"# Values of the production environment, passed after chart/values.yaml by skaffold.yaml.
environment: production
replicas: 2
"
`);
    const deployment = tree.read('services/foo/chart/templates/deployment.yaml', 'utf-8') ?? '';
    expect(deployment).toContain('  name: {{ .Release.Name | quote }}\n');
    expect(deployment).toContain('  replicas: {{ .Values.replicas }}\n');
    expect(deployment).toContain('image: "{{ .Values.image.repository }}{{ with .Values.image.tag }}:{{ . }}{{ end }}"\n');
    expect(deployment).toContain('containerPort: {{ .Values.port }}\n');
    expect(tree.read('services/foo/chart/templates/service.yaml', 'utf-8')).toContain('targetPort: http\n');
    expect(tree.exists('services/foo/kubernetes')).toBe(false);
  });

  it('--template helm: one profile per further environment, each patching in its values file; none for a single environment', async () => {
    await serviceGenerator(tree, { name: 'api', template: 'helm', environments: 'develop,staging,production', port: 3000 });
    await serviceGenerator(tree, { name: 'solo', template: 'helm', environments: ['develop'] });
    const skaffold = parse(tree.read('services/api/skaffold.yaml', 'utf-8') ?? '');
    expect(skaffold.manifests.helm.releases[0].setValueTemplates).toEqual({ 'image.repository': '{{.IMAGE_REPO_api}}', 'image.tag': '{{.IMAGE_TAG_api}}' });
    expect(skaffold.profiles.map((profile: { name: string; patches: Array<{ value: string }> }) => [profile.name, profile.patches[0].value])).toEqual([
      ['staging', 'values-staging.yaml'],
      ['production', 'values-production.yaml'],
    ]);
    expect(parse(tree.read('services/api/values-staging.yaml', 'utf-8') ?? '')).toEqual({ environment: 'staging' });
    expect(parse(tree.read('services/api/chart/values.yaml', 'utf-8') ?? '').port).toBe(3000);
    expect(parse(tree.read('services/solo/skaffold.yaml', 'utf-8') ?? '').profiles).toBeUndefined();
    expect(tree.children('services/solo').filter((file) => file.startsWith('values-'))).toEqual(['values-develop.yaml']);
  });

  it('--template kustomize is the default', async () => {
    await serviceGenerator(tree, { name: 'foo', template: 'kustomize' });
    await serviceGenerator(tree, { name: 'bar' });
    expect(filesUnder(tree, 'services/foo').map((file) => file.replace('services/foo/', ''))).toEqual(
      filesUnder(tree, 'services/bar').map((file) => file.replace('services/bar/', '')),
    );
    expect(tree.read('services/foo/skaffold.yaml', 'utf-8')).toBe(tree.read('services/bar/skaffold.yaml', 'utf-8')?.replaceAll('bar', 'foo'));
  });

  it('--template helm refuses an existing directory too', async () => {
    tree.write('services/foo/chart/Chart.yaml', 'mine');
    await expect(serviceGenerator(tree, { name: 'foo', template: 'helm' })).rejects.toThrow('"services/foo" already exists');
    expect(tree.read('services/foo/chart/Chart.yaml', 'utf-8')).toBe('mine');
  });

  it('writes a skaffold/v2beta* config in the seed shape, with kustomize under deploy', async () => {
    await serviceGenerator(tree, { name: 'foo', skaffoldApiVersion: 'skaffold/v2beta10' });
    expect(parse(tree.read('services/foo/skaffold.yaml', 'utf-8') ?? '')).toEqual({
      apiVersion: 'skaffold/v2beta10',
      kind: 'Config',
      metadata: { name: 'foo' },
      build: { tagPolicy: { gitCommit: { prefix: 'develop-' } }, artifacts: [{ image: 'foo', docker: { dockerfile: 'Dockerfile' } }] },
      deploy: { kustomize: { paths: ['kubernetes/overlays/develop'] } },
      profiles: [
        {
          name: 'production',
          build: { tagPolicy: { gitCommit: { prefix: 'production-' } } },
          deploy: { kustomize: { paths: ['kubernetes/overlays/production'] } },
        },
      ],
    });
  });

  it('honours --directory, --environments (comma list or array), --image and --port', async () => {
    await serviceGenerator(tree, {
      name: 'api',
      directory: 'apps/backend/',
      environments: 'develop, staging ,production',
      image: 'ghcr.io/acme/api',
      port: 80,
    });
    await serviceGenerator(tree, { name: 'web', environments: ['develop', 'qa'] });
    const skaffold = parse(tree.read('apps/backend/api/skaffold.yaml', 'utf-8') ?? '');
    expect(skaffold.build.artifacts).toEqual([{ image: 'ghcr.io/acme/api', docker: { dockerfile: 'Dockerfile' } }]);
    expect(skaffold.profiles.map((profile: { name: string }) => profile.name)).toEqual(['staging', 'production']);
    expect(skaffold.profiles[0].manifests.kustomize.paths).toEqual(['kubernetes/overlays/staging']);
    expect(tree.exists('apps/backend/api/kubernetes/overlays/staging/kustomization.yaml')).toBe(true);
    expect(tree.read('apps/backend/api/kubernetes/base/deployment.yaml', 'utf-8')).toContain('image: ghcr.io/acme/api\n');
    expect(tree.read('apps/backend/api/kubernetes/base/deployment.yaml', 'utf-8')).toContain('containerPort: 80\n');
    // A port below 1024 needs root inside busybox.
    expect(tree.read('apps/backend/api/Dockerfile', 'utf-8')).not.toContain('USER');
    expect(parse(tree.read('services/web/skaffold.yaml', 'utf-8') ?? '').profiles.map((p: { name: string }) => p.name)).toEqual(['qa']);
  });

  it('writes no profile for a single environment', async () => {
    await serviceGenerator(tree, { name: 'solo', environments: ['develop'] });
    expect(parse(tree.read('services/solo/skaffold.yaml', 'utf-8') ?? '').profiles).toBeUndefined();
  });

  it('quotes names YAML would read as something else', async () => {
    await serviceGenerator(tree, { name: '8080', image: 'registry.local:5000/team/8080' });
    const deployment = parse(tree.read('services/8080/kubernetes/base/deployment.yaml', 'utf-8') ?? '');
    expect(deployment.metadata.name).toBe('8080');
    expect(deployment.spec.template.spec.containers[0].image).toBe('registry.local:5000/team/8080');
    expect(parse(tree.read('services/8080/skaffold.yaml', 'utf-8') ?? '').metadata.name).toBe('8080');
  });

  it('registers the plugin when nx.json does not have it yet, and keeps an existing entry', async () => {
    await serviceGenerator(tree, { name: 'foo' });
    expect(readNxJson(tree)?.plugins).toEqual([{ plugin: 'nx-gitops' }]);
    updateNxJson(tree, { ...(readNxJson(tree) ?? {}), plugins: [{ plugin: 'nx-gitops', options: { manifestRepository: 'https://example.com/m.git' } }] });
    await serviceGenerator(tree, { name: 'bar' });
    expect(readNxJson(tree)?.plugins).toEqual([{ plugin: 'nx-gitops', options: { manifestRepository: 'https://example.com/m.git' } }]);
  });

  it('defaults the first environment to the workspace default environment', async () => {
    updateNxJson(tree, { ...(readNxJson(tree) ?? {}), plugins: [{ plugin: 'nx-gitops', options: { defaultEnvironment: 'dev' } }] });
    await serviceGenerator(tree, { name: 'foo' });
    expect(tree.exists('services/foo/kubernetes/overlays/dev/kustomization.yaml')).toBe(true);
    expect(tree.read('services/foo/skaffold.yaml', 'utf-8')).toContain('prefix: dev-');
  });

  it('refuses an existing directory, naming it and --directory, and leaves it untouched', async () => {
    tree.write('services/foo/README.md', 'mine');
    await expect(serviceGenerator(tree, { name: 'foo' })).rejects.toThrow(
      expect.objectContaining({ message: expect.stringContaining('"services/foo" already exists'), hint: expect.stringContaining('--directory') }),
    );
    expect(tree.children('services/foo')).toEqual(['README.md']);
  });

  it('puts the hint into the message, since Nx prints only the message of a failed generator', async () => {
    await expect(serviceGenerator(tree, { name: 'foo', port: 0 })).rejects.toThrow('Invalid --port 0: a port is an integer from 1 to 65535.\nHint: Pass another --port.');
  });

  it.each([
    [{ name: 'Foo' }, /service name "Foo".*DNS-1123/],
    [{ name: 'foo_bar' }, /DNS-1123/],
    [{ name: 'a'.repeat(64) }, /DNS-1123/],
    [{ name: 'foo', environments: 'develop,Prod' }, /environment name "Prod"/],
    [{ name: 'foo', environments: 'develop,production,develop' }, /"develop" is listed twice/],
    [{ name: 'foo', environments: ' , ' }, /No environment/],
    [{ name: 'foo', environments: 'production,develop' }, /first environment "production"/],
    [{ name: 'foo', image: 'foo:1.0' }, /without a tag/],
    [{ name: 'foo', image: 'foo@sha256:abc' }, /without a tag/],
    [{ name: 'foo', image: 'Acme/Foo' }, /Invalid image/],
    [{ name: 'foo', port: 0 }, /--port 0/],
    [{ name: 'foo', port: 65536 }, /--port 65536/],
    [{ name: 'foo', port: 80.5 }, /--port 80.5/],
    [{ name: 'foo', skaffoldApiVersion: 'skaffold/v1beta1' }, /Unknown skaffold apiVersion/],
    [{ name: 'foo', directory: '../outside' }, /leaves the workspace/],
    [{ name: 'foo', template: 'jsonnet' as 'helm' }, /Unknown --template "jsonnet"/],
    [{ name: 'foo', template: 'helm' as const, skaffoldApiVersion: 'skaffold/v2beta29' }, /--template helm writes manifests.helm, which skaffold\/v2beta29 does not have/],
    [{ name: 'a'.repeat(54), template: 'helm' as const }, /too long for a helm release/],
  ])('refuses %j with a GitopsError and writes nothing', async (options, message) => {
    const before = tree.listChanges().length;
    const failure = serviceGenerator(tree, options);
    await expect(failure).rejects.toThrow(message);
    await expect(serviceGenerator(tree, options)).rejects.toBeInstanceOf(GitopsError);
    expect(tree.listChanges()).toHaveLength(before);
  });
});
