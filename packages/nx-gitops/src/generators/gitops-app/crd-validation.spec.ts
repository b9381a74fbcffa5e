/**
 * Every object gitops-app writes for Argo CD and GitOps Promoter validates against the openAPIV3Schema of the real
 * CRD (kept in __fixtures__/crds with the repository and commit it came from), read the way the API server reads a
 * structural schema: unknown fields are refused where the schema does not preserve them (as `kubectl apply`
 * does with its default strict field validation), defaults are applied before validation, and the
 * `x-kubernetes-validations` rules on the fields we write are checked through a JavaScript equivalent of each.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import Ajv, { type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { serviceGenerator } from '../service/generator';
import { gitopsAppGenerator } from './generator';
import type { GitopsAppGeneratorSchema } from './schema';

type Schema = Record<string, unknown>;
interface Crd {
  kind: string;
  spec: { group: string; names: { kind: string }; versions: Array<{ name: string; schema: { openAPIV3Schema: Schema } }> };
}

const fixtures = join(__dirname, '__fixtures__/crds');

/**
 * The CEL rules of the CRDs met on the fields gitops-app writes, each with what it says in JavaScript. A rule
 * not listed here fails validation, so a CRD update that adds one shows up instead of passing unread.
 */
const CEL_RULES: Record<string, (self: unknown) => boolean> = {
  "[has(self.github),has(self.gitlab),has(self.forgejo),has(self.gitea),has(self.bitbucketCloud),has(self.azureDevOps),has(self.fake)].filter(x,x==true).size() == 1":
    (self) => ['github', 'gitlab', 'forgejo', 'gitea', 'bitbucketCloud', 'azureDevOps', 'fake'].filter((key) => key in (self as object)).length === 1,
  "!self.startsWith('-')": (self) => !String(self).startsWith('-'),
  "!self.contains(':')": (self) => !String(self).includes(':'),
  "!self.contains('..')": (self) => !String(self).includes('..'),
};

/** The API server prunes (and strict validation refuses) fields a structural schema does not declare. */
function refuseUnknownFields(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(refuseUnknownFields);
  if (!node || typeof node !== 'object') return node;
  const schema = Object.fromEntries(
    Object.entries(node as Schema).map(([key, value]) => [key, key === 'properties' ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, refuseUnknownFields(v)])) : refuseUnknownFields(value)]),
  ) as Schema;
  if (schema.properties && schema.additionalProperties === undefined && schema['x-kubernetes-preserve-unknown-fields'] !== true) {
    schema.additionalProperties = false;
  }
  return schema;
}

function createAjv(): Ajv {
  // Strict mode refuses any keyword ajv does not know, so every Kubernetes extension is named here.
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strictTypes: false, strictRequired: false, validateFormats: false });
  ajv.addKeyword({ keyword: 'externalDocs' });
  for (const keyword of ['x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type']) {
    ajv.addKeyword({ keyword });
  }
  ajv.addKeyword({
    keyword: 'x-kubernetes-validations',
    validate: function celRules(rules: Array<{ rule: string; message?: string }>, data: unknown) {
      const failed = rules.filter(({ rule }) => !(CEL_RULES[rule]?.(data) ?? false));
      (celRules as unknown as ValidateFunction).errors = failed.map(({ rule, message }) => ({
        keyword: 'x-kubernetes-validations',
        instancePath: '',
        schemaPath: '',
        params: { rule },
        message: CEL_RULES[rule] ? message ?? rule : `has a CEL rule this test does not know: ${rule}`,
      }));
      return failed.length === 0;
    },
    errors: true,
  });
  ajv.addKeyword({
    keyword: 'x-kubernetes-list-type',
    schemaType: 'string',
    validate: function listType(type: string, data: unknown, parentSchema?: Schema) {
      if (!Array.isArray(data) || type === 'atomic') return true;
      const keys = (parentSchema?.['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [];
      const identities = data.map((item) => JSON.stringify(type === 'map' ? keys.map((key) => (item as Schema)[key]) : item));
      return new Set(identities).size === identities.length;
    },
  });
  return ajv;
}

function loadCrdValidators(): Map<string, ValidateFunction> {
  const ajv = createAjv();
  const validators = new Map<string, ValidateFunction>();
  for (const file of readdirSync(fixtures).filter((name) => name.endsWith('.yaml'))) {
    const text = readFileSync(join(fixtures, file), 'utf8');
    expect([file, text.match(/^# From ([\w.-]+\/[\w.-]+), commit ([0-9a-f]{40})/)?.length]).toEqual([file, 3]);
    const crd = parseAllDocuments(text)
      .map((document) => document.toJS() as Crd)
      .find((document) => document?.kind === 'CustomResourceDefinition');
    if (!crd) throw new Error(`${file} holds no CustomResourceDefinition`);
    for (const version of crd.spec.versions) {
      const schema = refuseUnknownFields(version.schema.openAPIV3Schema) as Schema;
      validators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(schema));
    }
  }
  return validators;
}

/** What the API server checks of `metadata` for a namespaced object: a DNS-1123 subdomain name and a label namespace. */
const objectMeta = new Ajv().compile({
  type: 'object',
  required: ['name', 'namespace'],
  properties: {
    name: { type: 'string', maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' },
    namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
  },
});

interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: Schema;
  spec: Schema;
}

function crdErrors(validators: Map<string, ValidateFunction>, object: KubernetesObject): unknown[] {
  const validate = validators.get(`${object.apiVersion}/${object.kind}`);
  if (!validate) return [`no CRD kept for ${object.apiVersion} ${object.kind}`];
  // Defaults are applied to a copy, as the API server applies them before it validates.
  const valid = validate(structuredClone(object));
  const metadataValid = objectMeta(object.metadata);
  return [...(valid ? [] : (validate.errors ?? [])), ...(metadataValid ? [] : (objectMeta.errors ?? []))].map(
    (error) => `${error.instancePath || '/'} ${error.message}`,
  );
}

describe('generated objects against the CRDs of Argo CD and GitOps Promoter', () => {
  const validators = loadCrdValidators();
  let tree: Tree;

  beforeEach(async () => {
    tree = createTreeWithEmptyWorkspace();
    await serviceGenerator(tree, { name: 'foo', environments: ['develop', 'staging', 'production'] });
  });

  async function generate(options: Omit<GitopsAppGeneratorSchema, 'service'>): Promise<KubernetesObject[]> {
    const output = 'out.yaml';
    await gitopsAppGenerator(tree, { service: 'foo', output, ...options });
    return parseAllDocuments(tree.read(output, 'utf-8') ?? '').map((document) => document.toJS() as KubernetesObject);
  }

  it('keeps the CRDs of every kind gitops-app writes for Argo CD and Promoter', () => {
    expect([...validators.keys()].sort()).toEqual([
      'argoproj.io/v1alpha1/Application',
      'promoter.argoproj.io/v1alpha1/GitRepository',
      'promoter.argoproj.io/v1alpha1/PromotionStrategy',
    ]);
  });

  it.each<[string, Omit<GitopsAppGeneratorSchema, 'service'>]>([
    ['argocd', { tool: 'argocd', manifestRepository: 'https://github.com/acme/manifests.git' }],
    ['argocd, scp-like URL', { tool: 'argocd', manifestRepository: 'git@github.com:acme/manifests.git', environment: 'production', namespace: 'shop' }],
    ['promoter, GitHub', { tool: 'promoter', manifestRepository: 'git@github.com:acme/manifests.git' }],
    ['promoter, GitLab subgroup', { tool: 'promoter', manifestRepository: 'https://gitlab.com/acme/platform/manifests.git', gitlabProjectId: 4242 }],
    ['promoter, Azure DevOps', { tool: 'promoter', manifestRepository: 'https://dev.azure.com/acme/Platform/_git/manifests' }],
    ['promoter, Bitbucket Cloud', { tool: 'promoter', manifestRepository: 'https://bitbucket.org/acme/manifests.git' }],
    ['promoter, Gitea', { tool: 'promoter', scm: 'gitea', manifestRepository: 'https://git.acme.test/acme/manifests.git', scmProvider: 'gitea-acme' }],
    ['promoter, one environment', { tool: 'promoter', manifestRepository: 'https://codeberg.org/acme/manifests.git', environments: ['production'] }],
  ])('%s: every object validates', async (_name, options) => {
    const objects = await generate(options);
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      expect([object.kind, object.metadata.name, crdErrors(validators, object)]).toEqual([object.kind, object.metadata.name, []]);
    }
  });

  it('promoter: the objects also validate with a -next branch template and a path in a folder', async () => {
    tree.write('nx.json', JSON.stringify({ plugins: [{ plugin: 'nx-gitops', options: { branch: 'env/{environment}-next', path: '{project}/manifest.yaml' } }] }));
    const objects = await generate({ tool: 'promoter', manifestRepository: 'https://github.com/acme/manifests.git' });
    expect(objects.map((object) => crdErrors(validators, object))).toEqual(objects.map(() => []));
  });

  it("promoter: the objects validate in Promoter's monorepo layout (--activePath, one branch per environment)", async () => {
    tree.write('nx.json', JSON.stringify({ plugins: [{ plugin: 'nx-gitops', options: { branch: 'environment/{environment}' } }] }));
    const objects = await generate({ tool: 'promoter', manifestRepository: 'https://github.com/acme/manifests.git', activePath: 'apps/{project}' });
    expect(objects[1].spec.activePath).toBe('apps/foo');
    expect(objects.map((object) => crdErrors(validators, object))).toEqual(objects.map(() => []));
    // The CRD holds the field: an empty folder is refused by it.
    expect(crdErrors(validators, { ...objects[1], spec: { ...objects[1].spec, activePath: '' } }).join('\n')).toMatch(/activePath/);
  });

  it.each<[string, (objects: KubernetesObject[]) => KubernetesObject, RegExp]>([
    ['an unknown field of an Application source', ([, , application]) => ({ ...application, spec: { ...application.spec, source: { ...(application.spec.source as Schema), file: 'manifest.yaml' } } }), /must NOT have additional properties/],
    ['a GitRepository with two SCM blocks', ([repository]) => ({ ...repository, spec: { ...repository.spec, gitea: { owner: 'a', name: 'b' } } }), /exactly one of the fields/],
    ['a PromotionStrategy branch with ".."', ([, strategy]) => ({ ...strategy, spec: { ...strategy.spec, environments: [{ branch: 'foo/../prod' }] } }), /must not contain '\.\.'/],
    ['a PromotionStrategy listing a branch twice', ([, strategy]) => ({ ...strategy, spec: { ...strategy.spec, environments: [{ branch: 'a' }, { branch: 'a' }] } }), /x-kubernetes-list-type/],
    ['a PromotionStrategy without environments', ([, strategy]) => ({ ...strategy, spec: { gitRepositoryRef: strategy.spec.gitRepositoryRef } }), /required property 'environments'/],
    ['a GitRepository whose provider reference has upper case', ([repository]) => ({ ...repository, spec: { ...repository.spec, scmProviderRef: { kind: 'ScmProvider', name: 'GitHub' } } }), /must match pattern/],
  ])('the CRDs refuse %s', async (_name, breakIt, message) => {
    const objects = await generate({ tool: 'promoter', manifestRepository: 'https://github.com/acme/manifests.git' });
    expect(crdErrors(validators, breakIt(objects)).join('\n')).toMatch(message);
  });
});
