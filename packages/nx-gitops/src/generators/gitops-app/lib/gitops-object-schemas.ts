import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { GitopsError } from '../../../lib/errors';

/**
 * JSON schemas of the objects `gitops-app` writes: the fields Argo CD, Flux and GitOps Promoter require (from
 * their CRDs: Application `spec.project`, `spec.destination`, `spec.source.repoURL`; GitRepository `spec.interval`,
 * `spec.url` with an http/https/ssh scheme; Kustomization `spec.interval`, `spec.prune`, `spec.sourceRef`;
 * Promoter's GitRepository one SCM block and `spec.scmProviderRef`, PromotionStrategy `spec.environments` with
 * branches Promoter accepts and `spec.gitRepositoryRef`), plus our own rules: Kubernetes names, a source `path`
 * that is a directory, and no field we do not write. The test suite also checks every object against the CRDs.
 */

const dnsSubdomain = { type: 'string', maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' };
const dnsLabel = { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' };
const nonEmpty = { type: 'string', minLength: 1 };
/** A Go duration as Flux writes it (`1m`, `1m30s`). */
const fluxDuration = { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' };

function objectMeta() {
  return { type: 'object', required: ['name', 'namespace'], properties: { name: dnsSubdomain, namespace: dnsLabel } };
}

/** Schema of the Argo CD `Application` we write. */
export const argocdApplicationSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'argoproj.io/v1alpha1' },
    kind: { const: 'Application' },
    metadata: objectMeta(),
    spec: {
      type: 'object',
      required: ['project', 'source', 'destination'],
      additionalProperties: false,
      properties: {
        project: nonEmpty,
        source: {
          type: 'object',
          required: ['repoURL', 'targetRevision', 'path'],
          additionalProperties: false,
          properties: {
            repoURL: nonEmpty,
            targetRevision: nonEmpty,
            // Argo CD reads `path` as a directory of the repository; a file name there finds nothing.
            path: { type: 'string', minLength: 1, not: { pattern: '\\.(ya?ml|json)$' } },
            directory: {
              type: 'object',
              additionalProperties: false,
              properties: { include: nonEmpty, recurse: { type: 'boolean' } },
            },
          },
        },
        destination: {
          type: 'object',
          required: ['server', 'namespace'],
          additionalProperties: false,
          properties: { server: { type: 'string', pattern: '^https?://[^\\s/]+' }, namespace: dnsLabel },
        },
        syncPolicy: {
          type: 'object',
          additionalProperties: false,
          properties: {
            automated: {
              type: 'object',
              additionalProperties: false,
              properties: { prune: { type: 'boolean' }, selfHeal: { type: 'boolean' } },
            },
            syncOptions: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z]+=.+$' } },
          },
        },
      },
    },
  },
} as const;

/** Schema of the Flux `GitRepository` we write. */
export const fluxGitRepositorySchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'source.toolkit.fluxcd.io/v1' },
    kind: { const: 'GitRepository' },
    metadata: objectMeta(),
    spec: {
      type: 'object',
      required: ['interval', 'url', 'ref'],
      additionalProperties: false,
      properties: {
        interval: fluxDuration,
        url: { type: 'string', pattern: '^(http|https|ssh)://.*$' },
        ref: { type: 'object', required: ['branch'], additionalProperties: false, properties: { branch: nonEmpty } },
      },
    },
  },
} as const;

/** Schema of the Flux `Kustomization` we write. */
export const fluxKustomizationSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'kustomize.toolkit.fluxcd.io/v1' },
    kind: { const: 'Kustomization' },
    metadata: objectMeta(),
    spec: {
      type: 'object',
      required: ['interval', 'prune', 'sourceRef'],
      additionalProperties: false,
      properties: {
        interval: fluxDuration,
        sourceRef: {
          type: 'object',
          required: ['kind', 'name'],
          additionalProperties: false,
          properties: { kind: { enum: ['GitRepository', 'OCIRepository', 'Bucket'] }, name: dnsSubdomain },
        },
        path: { type: 'string', pattern: '^\\./' },
        prune: { type: 'boolean' },
        targetNamespace: dnsLabel,
      },
    },
  },
} as const;

/** Promoter's reference to another object (`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`, at most 253 characters). */
const promoterObjectName = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' };
const ownerAndName = {
  type: 'object',
  required: ['owner', 'name'],
  additionalProperties: false,
  properties: { owner: nonEmpty, name: nonEmpty },
};

/** Schema of GitOps Promoter's `GitRepository` we write. */
export const promoterGitRepositorySchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'promoter.argoproj.io/v1alpha1' },
    kind: { const: 'GitRepository' },
    metadata: objectMeta(),
    spec: {
      type: 'object',
      required: ['scmProviderRef'],
      additionalProperties: false,
      // Exactly one SCM block, as the CRD's validation rule says.
      minProperties: 2,
      maxProperties: 2,
      properties: {
        github: ownerAndName,
        gitea: ownerAndName,
        forgejo: ownerAndName,
        bitbucketCloud: ownerAndName,
        gitlab: {
          type: 'object',
          required: ['namespace', 'name', 'projectId'],
          additionalProperties: false,
          properties: { namespace: nonEmpty, name: nonEmpty, projectId: { type: 'integer', minimum: 0 } },
        },
        azureDevOps: {
          type: 'object',
          required: ['project', 'name'],
          additionalProperties: false,
          properties: { project: nonEmpty, name: nonEmpty },
        },
        scmProviderRef: {
          type: 'object',
          required: ['kind', 'name'],
          additionalProperties: false,
          properties: { kind: { enum: ['ScmProvider', 'ClusterScmProvider'] }, name: promoterObjectName },
        },
      },
    },
  },
} as const;

/** Schema of GitOps Promoter's `PromotionStrategy` we write. */
export const promoterPromotionStrategySchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'promoter.argoproj.io/v1alpha1' },
    kind: { const: 'PromotionStrategy' },
    metadata: objectMeta(),
    spec: {
      type: 'object',
      required: ['environments', 'gitRepositoryRef'],
      additionalProperties: false,
      properties: {
        gitRepositoryRef: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: promoterObjectName } },
        // A clean relative folder, as publish-manifest's activePath gives it.
        activePath: { type: 'string', minLength: 1, pattern: '^(?!/)(?!.*(^|/)\\.\\.?(/|$)).+$' },
        environments: {
          type: 'array',
          minItems: 1,
          maxItems: 1000,
          items: {
            type: 'object',
            required: ['branch', 'autoMerge'],
            additionalProperties: false,
            properties: {
              // The CRD: at most 100 characters, not starting with '-', without ':' or '..'.
              branch: { type: 'string', minLength: 1, maxLength: 100, pattern: '^(?!-)(?!.*(:|\\.\\.)).+$' },
              autoMerge: { type: 'boolean' },
            },
          },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: false });
/** Validators by `<apiVersion>/<kind>`: Flux and Promoter both have a `GitRepository`. */
const validators: Record<string, ValidateFunction | undefined> = {
  'argoproj.io/v1alpha1/Application': ajv.compile(argocdApplicationSchema),
  'source.toolkit.fluxcd.io/v1/GitRepository': ajv.compile(fluxGitRepositorySchema),
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': ajv.compile(fluxKustomizationSchema),
  'promoter.argoproj.io/v1alpha1/GitRepository': ajv.compile(promoterGitRepositorySchema),
  'promoter.argoproj.io/v1alpha1/PromotionStrategy': ajv.compile(promoterPromotionStrategySchema),
};

/** The option that sets the value at an instance path, for the hint. */
function optionFor({ instancePath, keyword }: ErrorObject): string {
  if (/^\/spec\/(source\/repoURL|url)/.test(instancePath)) return '--manifestRepository';
  if (/^\/spec\/(github|gitlab|gitea|forgejo|bitbucketCloud|azureDevOps)\b/.test(instancePath)) return '--manifestRepository and --scm';
  if (instancePath === '/spec' && /^(min|max)Properties$/.test(keyword)) return '--scm';
  if (/^\/spec\/scmProviderRef/.test(instancePath)) return '--scmProvider';
  if (/^\/spec\/environments/.test(instancePath)) return '--environments and the "branch" plugin option in nx.json';
  if (/^\/spec\/destination\/server/.test(instancePath)) return '--destinationServer';
  if (/^\/spec\/(destination\/namespace|targetNamespace)/.test(instancePath)) return '--namespace';
  if (/^\/spec\/interval/.test(instancePath)) return '--interval';
  if (/^\/spec\/project/.test(instancePath)) return '--argocdProject';
  if (/^\/metadata\/namespace/.test(instancePath)) return '--argocdNamespace, --fluxNamespace or --promoterNamespace';
  if (/^\/spec\/(source\/(targetRevision|path)|ref|path)/.test(instancePath)) return 'the "branch" and "path" plugin options in nx.json';
  return 'the service name or --environment';
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || '/';
  if (error.keyword === 'not') return `${where} must name a directory, not a file`;
  return `${where} ${error.message ?? 'is invalid'}`;
}

/** One object `gitops-app` is about to write. */
export interface GitopsObject {
  apiVersion: string;
  kind: 'Application' | 'GitRepository' | 'Kustomization' | 'PromotionStrategy';
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
}

/**
 * Validates an object against the schema of its kind and throws a {@link GitopsError} naming the field and the
 * option that sets it, so a file the GitOps tool would reject is never written.
 */
export function validateGitopsObject(object: GitopsObject): void {
  const validate = validators[`${object.apiVersion}/${object.kind}`];
  if (!validate) {
    throw new GitopsError(`Cannot validate an object of kind "${object.kind}" (${object.apiVersion}).`);
  }
  const label = `${object.kind} "${object.metadata?.name}"`;
  if (!validate(object)) {
    const error = (validate.errors ?? [])[0];
    throw new GitopsError(`The ${label} would be invalid: ${describe(error)}.`, {
      hint: `Check ${optionFor(error)}.`,
    });
  }
}
