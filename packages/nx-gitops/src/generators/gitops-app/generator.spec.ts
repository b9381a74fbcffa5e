import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addProjectConfiguration, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parse, parseAllDocuments } from 'yaml';
import { GitopsError } from '../../lib/errors';
import { serviceGenerator } from '../service/generator';
import { gitopsAppGenerator } from './generator';
import { validateGitopsObject, type GitopsObject } from './lib/gitops-object-schemas';
import { buildArgocdApplication } from './lib/gitops-objects';

const REPO = 'https://github.com/acme/manifests.git';

function setPluginOptions(tree: Tree, options: Record<string, unknown>): void {
  updateNxJson(tree, { ...(readNxJson(tree) ?? {}), plugins: [{ plugin: 'nx-gitops', options }] });
}

describe('gitops-app generator', () => {
  let tree: Tree;

  beforeEach(async () => {
    tree = createTreeWithEmptyWorkspace();
    await serviceGenerator(tree, { name: 'foo' });
  });

  it.each(['argocd', 'flux'])('accepts every default schema.json gives, as Nx fills them in on the command line (--tool %s)', async (tool) => {
    const schema = JSON.parse(readFileSync(join(__dirname, 'schema.json'), 'utf8')) as { properties: Record<string, { default?: unknown }> };
    const defaults = Object.fromEntries(Object.entries(schema.properties).flatMap(([key, property]) => (property.default === undefined ? [] : [[key, property.default]])));
    await gitopsAppGenerator(tree, { ...defaults, service: 'foo', tool, environment: 'production', manifestRepository: REPO } as never);
    expect(tree.children(`services/foo/deploy/${tool}`).length).toBeGreaterThan(0);
  });

  it('writes an Argo CD Application for the default environment', async () => {
    await gitopsAppGenerator(tree, { service: 'foo', manifestRepository: REPO });
    expect(tree.read('services/foo/deploy/argocd/develop.yaml', 'utf-8')).toMatchInlineSnapshot(`
"apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: foo-develop
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/acme/manifests.git
    targetRevision: foo/develop
    path: .
    directory:
      include: manifest.yaml
  destination:
    server: https://kubernetes.default.svc
    namespace: develop
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    syncOptions:
      - CreateNamespace=true
"
`);
  });

  it('writes a Flux GitRepository and Kustomization', async () => {
    await gitopsAppGenerator(tree, { service: 'foo', tool: 'flux', environment: 'production', manifestRepository: REPO, namespace: 'shop' });
    expect(tree.read('services/foo/deploy/flux/production.yaml', 'utf-8')).toMatchInlineSnapshot(`
"apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: foo-production
  namespace: flux-system
spec:
  interval: 1m
  url: https://github.com/acme/manifests.git
  ref:
    branch: foo/production
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: foo-production
  namespace: flux-system
spec:
  interval: 1m
  sourceRef:
    kind: GitRepository
    name: foo-production
  path: ./
  prune: true
  targetNamespace: shop
"
`);
  });

  it('takes the repository, default environment and publish templates from the plugin options', async () => {
    setPluginOptions(tree, {
      manifestRepository: 'git@github.com:acme/manifests.git',
      defaultEnvironment: 'dev',
      branch: 'deploy/{environment}/{project}',
      path: 'apps/{project}/manifest.yaml',
    });
    await gitopsAppGenerator(tree, { service: 'foo' });
    await gitopsAppGenerator(tree, { service: 'foo', tool: 'flux' });
    const application = parse(tree.read('services/foo/deploy/argocd/dev.yaml', 'utf-8') ?? '');
    expect(application.spec.source).toEqual({
      repoURL: 'git@github.com:acme/manifests.git',
      targetRevision: 'deploy/dev/foo',
      path: 'apps/foo',
      directory: { include: 'manifest.yaml' },
    });
    const [gitRepository, kustomization] = parseAllDocuments(tree.read('services/foo/deploy/flux/dev.yaml', 'utf-8') ?? '').map((d) => d.toJS());
    // Flux takes only URLs with a scheme.
    expect(gitRepository.spec.url).toBe('ssh://git@github.com/acme/manifests.git');
    expect(gitRepository.spec.ref).toEqual({ branch: 'deploy/dev/foo' });
    expect(kustomization.spec.path).toBe('./apps/foo');
  });

  it('honours --output, --destinationServer, --argocdNamespace, --argocdProject, --fluxNamespace and --interval', async () => {
    await gitopsAppGenerator(tree, {
      service: 'foo',
      manifestRepository: REPO,
      output: 'clusters/prod/foo.yaml',
      environment: 'production',
      destinationServer: 'https://10.0.0.1:6443',
      argocdNamespace: 'gitops',
      argocdProject: 'shop',
    });
    const application = parse(tree.read('clusters/prod/foo.yaml', 'utf-8') ?? '');
    expect(application.metadata).toEqual({ name: 'foo-production', namespace: 'gitops' });
    expect(application.spec.project).toBe('shop');
    expect(application.spec.destination).toEqual({ server: 'https://10.0.0.1:6443', namespace: 'production' });

    await gitopsAppGenerator(tree, { service: 'foo', tool: 'flux', manifestRepository: REPO, fluxNamespace: 'flux', interval: '30s' });
    const [source, kustomization] = parseAllDocuments(tree.read('services/foo/deploy/flux/develop.yaml', 'utf-8') ?? '').map((d) => d.toJS());
    expect(source.metadata.namespace).toBe('flux');
    expect([source.spec.interval, kustomization.spec.interval]).toEqual(['30s', '30s']);
  });

  it('finds a service named by its project.json', async () => {
    tree.write('platform/ingress/skaffold.yaml', tree.read('services/foo/skaffold.yaml') ?? '');
    addProjectConfiguration(tree, 'edge-ingress', { root: 'platform/ingress' });
    await gitopsAppGenerator(tree, { service: 'edge-ingress', manifestRepository: REPO });
    expect(parse(tree.read('platform/ingress/deploy/argocd/develop.yaml', 'utf-8') ?? '').spec.source.targetRevision).toBe('edge-ingress/develop');
  });

  it('--tool promoter: a GitRepository, a PromotionStrategy through the environments in order, and an Application per environment', async () => {
    await serviceGenerator(tree, { name: 'shop', environments: ['develop', 'staging', 'production'] });
    await gitopsAppGenerator(tree, { service: 'shop', tool: 'promoter', manifestRepository: 'git@github.com:acme/manifests.git' });
    const objects = parseAllDocuments(tree.read('services/shop/deploy/promoter/promotion.yaml', 'utf-8') ?? '').map((d) => d.toJS());
    expect(objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'promoter.argoproj.io/v1alpha1 GitRepository default/shop',
      'promoter.argoproj.io/v1alpha1 PromotionStrategy default/shop',
      'argoproj.io/v1alpha1 Application argocd/shop-develop',
      'argoproj.io/v1alpha1 Application argocd/shop-staging',
      'argoproj.io/v1alpha1 Application argocd/shop-production',
    ]);
    const [repository, strategy, ...applications] = objects;
    expect(repository.spec).toEqual({ github: { owner: 'acme', name: 'manifests' }, scmProviderRef: { kind: 'ScmProvider', name: 'github' } });
    expect(strategy.spec).toEqual({
      gitRepositoryRef: { name: 'shop' },
      environments: [
        { branch: 'shop/develop', autoMerge: true },
        { branch: 'shop/staging', autoMerge: true },
        { branch: 'shop/production', autoMerge: false },
      ],
    });
    expect(applications.map((a) => [a.spec.source.repoURL, a.spec.source.targetRevision, a.spec.destination.namespace])).toEqual([
      ['git@github.com:acme/manifests.git', 'shop/develop', 'develop'],
      ['git@github.com:acme/manifests.git', 'shop/staging', 'staging'],
      ['git@github.com:acme/manifests.git', 'shop/production', 'production'],
    ]);
  });

  it('--tool promoter: environments from --environments, else the plugin option in nx.json order; Applications sync the active branch of a -next template', async () => {
    setPluginOptions(tree, {
      manifestRepository: 'https://gitlab.com/acme/platform/manifests.git',
      branch: 'env/{environment}-next',
      environments: { dev: [], qa: ['qa'], live: ['production'] },
    });
    await gitopsAppGenerator(tree, { service: 'foo', tool: 'promoter', gitlabProjectId: 7, scmProvider: 'gitlab-acme', promoterNamespace: 'promoter' });
    const [repository, strategy, ...applications] = parseAllDocuments(tree.read('services/foo/deploy/promoter/promotion.yaml', 'utf-8') ?? '').map((d) => d.toJS());
    expect(repository.metadata.namespace).toBe('promoter');
    expect(repository.spec).toEqual({ gitlab: { namespace: 'acme/platform', name: 'manifests', projectId: 7 }, scmProviderRef: { kind: 'ScmProvider', name: 'gitlab-acme' } });
    expect(strategy.spec.environments).toEqual([
      { branch: 'env/dev', autoMerge: true },
      { branch: 'env/qa', autoMerge: true },
      { branch: 'env/live', autoMerge: false },
    ]);
    expect(applications.map((a) => a.spec.source.targetRevision)).toEqual(['env/dev', 'env/qa', 'env/live']);

    await gitopsAppGenerator(tree, { service: 'foo', tool: 'promoter', gitlabProjectId: 7, environments: 'qa,live', output: 'promotion.yaml' });
    expect(parseAllDocuments(tree.read('promotion.yaml', 'utf-8') ?? '')[1].toJS().spec.environments).toEqual([
      { branch: 'env/qa', autoMerge: true },
      { branch: 'env/live', autoMerge: false },
    ]);
  });

  it("--tool promoter --activePath: Promoter's monorepo layout — the strategy scoped to the service's folder on one branch per environment, the Applications syncing that folder", async () => {
    setPluginOptions(tree, { manifestRepository: 'https://github.com/acme/manifests.git', branch: 'environment/{environment}' });
    await gitopsAppGenerator(tree, { service: 'foo', tool: 'promoter', activePath: 'apps/{project}', environments: ['develop', 'production'] });
    const [, strategy, ...applications] = parseAllDocuments(tree.read('services/foo/deploy/promoter/promotion.yaml', 'utf-8') ?? '').map((d) => d.toJS());
    expect(strategy.spec).toEqual({
      gitRepositoryRef: { name: 'foo' },
      activePath: 'apps/foo',
      environments: [
        { branch: 'environment/develop', autoMerge: true },
        { branch: 'environment/production', autoMerge: false },
      ],
    });
    expect(applications.map((a) => [a.spec.source.targetRevision, a.spec.source.path, a.spec.source.directory.include])).toEqual([
      ['environment/develop', 'apps/foo', 'manifest.yaml'],
      ['environment/production', 'apps/foo', 'manifest.yaml'],
    ]);
  });

  it("the plugin's activePath: Argo CD and Flux sync the service's folder of the shared environment branch, and Promoter's strategy takes it as --activePath", async () => {
    setPluginOptions(tree, { manifestRepository: 'https://github.com/acme/manifests.git', branch: 'environment/{environment}', activePath: 'apps/{project}' });
    await gitopsAppGenerator(tree, { service: 'foo' });
    await gitopsAppGenerator(tree, { service: 'foo', tool: 'flux' });
    await gitopsAppGenerator(tree, { service: 'foo', tool: 'promoter', environments: ['develop', 'production'] });
    expect(parse(tree.read('services/foo/deploy/argocd/develop.yaml', 'utf-8') ?? '').spec.source).toEqual({
      repoURL: 'https://github.com/acme/manifests.git',
      targetRevision: 'environment/develop',
      path: 'apps/foo',
      directory: { include: 'manifest.yaml' },
    });
    const [gitRepository, kustomization] = parseAllDocuments(tree.read('services/foo/deploy/flux/develop.yaml', 'utf-8') ?? '').map((d) => d.toJS());
    expect(gitRepository.spec.ref).toEqual({ branch: 'environment/develop' });
    expect(kustomization.spec.path).toBe('./apps/foo');
    const [, strategy, ...applications] = parseAllDocuments(tree.read('services/foo/deploy/promoter/promotion.yaml', 'utf-8') ?? '').map((d) => d.toJS());
    expect(strategy.spec.activePath).toBe('apps/foo');
    expect(applications.map((a) => a.spec.source.path)).toEqual(['apps/foo', 'apps/foo']);
  });

  it('--activePath is refused with a branch template naming the project (the default), naming the plugin option', async () => {
    await expect(gitopsAppGenerator(tree, { service: 'foo', manifestRepository: REPO, tool: 'promoter', activePath: '{project}' })).rejects.toThrow(/"branch" plugin option/);
    expect(tree.exists('services/foo/deploy/promoter/promotion.yaml')).toBe(false);
  });

  it.each([
    [{ tool: 'argocd' as const, activePath: '{project}' }, /--activePath is an option of --tool promoter/],
    [{ tool: 'promoter' as const, environment: 'production' }, /--environment names one environment/],
    [{ tool: 'promoter' as const, namespace: 'shop' }, /namespace named after it/],
    [{ tool: 'argocd' as const, environments: ['develop'] }, /--environments is an option of --tool promoter/],
    [{ tool: 'flux' as const, scm: 'github' as const }, /--scm is an option of --tool promoter/],
    [{ tool: 'promoter' as const, manifestRepository: 'https://git.acme.test/acme/manifests.git' }, /Cannot tell which SCM hosts/],
    [{ tool: 'promoter' as const, manifestRepository: 'https://gitlab.com/acme/manifests.git' }, /needs the numeric project ID/],
    [{ tool: 'promoter' as const, manifestRepository: 'https://github.com/acme' }, /not a github repository URL/],
    [{ tool: 'promoter' as const, environments: 'develop,develop' }, /listed twice/],
    [{ tool: 'promoter' as const, scmProvider: 'My_Provider' }, /scmProviderRef\/name/],
  ])('--tool promoter refuses %j', async (options, message) => {
    await expect(gitopsAppGenerator(tree, { service: 'foo', manifestRepository: REPO, ...options })).rejects.toThrow(message);
    await expect(gitopsAppGenerator(tree, { service: 'foo', manifestRepository: REPO, ...options })).rejects.toBeInstanceOf(GitopsError);
    expect(tree.exists('services/foo/deploy/promoter/promotion.yaml')).toBe(false);
  });

  it('--tool promoter names --scmProvider when its name is invalid', async () => {
    await expect(gitopsAppGenerator(tree, { service: 'foo', manifestRepository: REPO, tool: 'promoter', scmProvider: 'My_Provider' })).rejects.toThrow(
      expect.objectContaining({ hint: 'Check --scmProvider.' }),
    );
  });

  it('refuses to overwrite', async () => {
    tree.write('services/foo/deploy/argocd/develop.yaml', 'mine');
    await expect(gitopsAppGenerator(tree, { service: 'foo', manifestRepository: REPO })).rejects.toThrow(/already exists/);
    expect(tree.read('services/foo/deploy/argocd/develop.yaml', 'utf-8')).toBe('mine');
  });

  it.each([
    [{ service: 'nope', manifestRepository: REPO }, /Cannot find the service project "nope"/],
    [{ service: 'foo' }, /No manifest repository/],
    [{ service: 'foo', manifestRepository: '/srv/git/manifests.git' }, /cannot be cloned from inside a cluster/],
    [{ service: 'foo', manifestRepository: 'file:///srv/git/manifests.git' }, /cannot be cloned from inside a cluster/],
    [{ service: 'foo', manifestRepository: 'https://x:ghp_secret@github.com/acme/m.git' }, /credentials/],
    [{ service: 'foo', manifestRepository: REPO, environment: 'Prod' }, /environment name "Prod"/],
    [{ service: 'foo', manifestRepository: REPO, namespace: 'a.b' }, /namespace "a.b"/],
    [{ service: 'foo', manifestRepository: REPO, tool: 'spinnaker' as 'flux' }, /Unknown --tool/],
    [{ service: 'foo', manifestRepository: REPO, destinationServer: 'kubernetes' }, /destination\/server.*\n?/],
    [{ service: 'foo', manifestRepository: REPO, tool: 'flux' as const, interval: 'often' }, /\/spec\/interval/],
    [{ service: 'foo', manifestRepository: REPO, output: '../elsewhere.yaml' }, /not a file inside the workspace/],
  ])('refuses %j with a GitopsError and writes nothing', async (options, message) => {
    const before = tree.listChanges().length;
    await expect(gitopsAppGenerator(tree, options)).rejects.toThrow(message);
    await expect(gitopsAppGenerator(tree, options)).rejects.toBeInstanceOf(GitopsError);
    expect(tree.listChanges()).toHaveLength(before);
  });

  it('names the option that fixes an invalid object', async () => {
    await expect(gitopsAppGenerator(tree, { service: 'foo', manifestRepository: REPO, destinationServer: 'kubernetes' })).rejects.toThrow(
      expect.objectContaining({ hint: 'Check --destinationServer.' }),
    );
  });

  it('refuses a project without skaffold.yaml', async () => {
    addProjectConfiguration(tree, 'lib-a', { root: 'libs/a' });
    await expect(gitopsAppGenerator(tree, { service: 'lib-a', manifestRepository: REPO })).rejects.toThrow(/has no skaffold.yaml/);
  });

  it('refuses a name two service folders share', async () => {
    await serviceGenerator(tree, { name: 'foo', directory: 'legacy' });
    await expect(gitopsAppGenerator(tree, { service: 'foo', manifestRepository: REPO })).rejects.toThrow(
      'Several folders could be the service "foo": legacy/foo, services/foo.',
    );
  });
});

describe('Argo CD and Flux object schemas', () => {
  const input = {
    project: 'foo',
    environment: 'develop',
    repositoryUrl: REPO,
    branchTemplate: '{project}/{environment}',
    pathTemplate: 'manifest.yaml',
    namespace: 'develop',
    destinationServer: 'https://kubernetes.default.svc',
    argocdNamespace: 'argocd',
    argocdProject: 'default',
    fluxNamespace: 'flux-system',
    interval: '1m',
  };

  it('rejects the seed write-up Application, whose path names a file', () => {
    const application = buildArgocdApplication(input);
    const source = application.spec.source as Record<string, unknown>;
    const seed: GitopsObject = { ...application, spec: { ...application.spec, source: { repoURL: source.repoURL, targetRevision: 'foo/production', path: 'manifest.yaml' } } };
    expect(() => validateGitopsObject(seed)).toThrow('/spec/source/path must name a directory, not a file');
  });

  it.each<[string, (object: GitopsObject) => GitopsObject]>([
    ['an Application without project', (o) => ({ ...o, spec: { ...o.spec, project: undefined } })],
    ['an Application without destination', (o) => ({ ...o, spec: { source: o.spec.source, project: 'default' } })],
    ['an object name with upper case', (o) => ({ ...o, metadata: { ...o.metadata, name: 'Foo-develop' } })],
  ])('rejects %s', (_name, breakIt) => {
    expect(() => validateGitopsObject(JSON.parse(JSON.stringify(breakIt(buildArgocdApplication(input)))))).toThrow(GitopsError);
  });

  it('rejects Flux objects missing a required field', () => {
    expect(() =>
      validateGitopsObject({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'a', namespace: 'b' }, spec: { url: REPO, ref: { branch: 'x' } } }),
    ).toThrow(/must have required property 'interval'/);
    expect(() =>
      validateGitopsObject({
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'a', namespace: 'b' },
        spec: { interval: '1m', sourceRef: { kind: 'GitRepository', name: 'a' } },
      }),
    ).toThrow(/must have required property 'prune'/);
  });
});
