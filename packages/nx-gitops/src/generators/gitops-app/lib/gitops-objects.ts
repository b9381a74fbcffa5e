import { posix } from 'node:path';
import { activeBranchOf } from '../../../publish/hydrator';
import type { GitopsObject } from './gitops-object-schemas';
import type { ScmKind, ScmRepositorySpec } from './scm-repository';

/** Everything the deploy objects of one service and environment depend on. */
export interface GitopsObjectsInput {
  /** The service's Nx project name. */
  project: string;
  environment: string;
  /** Repository URL in the form the tool clones. */
  repositoryUrl: string;
  /** The publish branch template (`{project}/{environment}`). */
  branchTemplate: string;
  /** The template of the manifest's path inside the branch (`manifest.yaml`). */
  pathTemplate: string;
  /** Namespace the manifests are applied to. */
  namespace: string;
  destinationServer: string;
  argocdNamespace: string;
  argocdProject: string;
  fluxNamespace: string;
  interval: string;
}

/** Fills `{project}` and `{environment}` in a publish template, as the publisher does. */
export function fillTemplate(template: string, values: { project: string; environment: string }): string {
  return template.replace(/\{project\}/g, values.project).replace(/\{environment\}/g, values.environment);
}

/**
 * The branch a GitOps tool deploys for an environment: the publish branch, or its active branch when the `branch`
 * template itself ends in `-next` (Promoter merges `<active>-next` into `<active>`, and Argo CD syncs `<active>`).
 */
export function activeBranch(input: Pick<GitopsObjectsInput, 'branchTemplate' | 'project' | 'environment'>): string {
  const branch = fillTemplate(input.branchTemplate, input);
  return activeBranchOf(branch) ?? branch;
}

/** The folder (`.` for the branch root) and file name of the published manifest. */
export function manifestLocation(input: GitopsObjectsInput): { dir: string; file: string } {
  const path = posix.normalize(fillTemplate(input.pathTemplate, input)).replace(/^\/+/, '');
  return { dir: posix.dirname(path), file: posix.basename(path) };
}

function objectName(input: GitopsObjectsInput): string {
  return `${input.project}-${input.environment}`;
}

/**
 * The Argo CD `Application` that deploys the service's branch: `path` is the manifest's folder (Argo CD reads
 * a directory there) narrowed to the manifest with `directory.include`; automated sync with prune and
 * self-heal, creating the namespace.
 */
export function buildArgocdApplication(input: GitopsObjectsInput): GitopsObject {
  const { dir, file } = manifestLocation(input);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: objectName(input), namespace: input.argocdNamespace },
    spec: {
      project: input.argocdProject,
      source: {
        repoURL: input.repositoryUrl,
        targetRevision: activeBranch(input),
        path: dir,
        directory: { include: file },
      },
      destination: { server: input.destinationServer, namespace: input.namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
      },
    },
  };
}

/**
 * The Flux `GitRepository` that follows the service's branch and the `Kustomization` that applies its
 * manifest folder into the target namespace, pruning what the branch no longer holds.
 */
export function buildFluxObjects(input: GitopsObjectsInput): GitopsObject[] {
  const { dir } = manifestLocation(input);
  const name = objectName(input);
  return [
    {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name, namespace: input.fluxNamespace },
      spec: { interval: input.interval, url: input.repositoryUrl, ref: { branch: activeBranch(input) } },
    },
    {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name, namespace: input.fluxNamespace },
      spec: {
        interval: input.interval,
        sourceRef: { kind: 'GitRepository', name },
        path: dir === '.' ? './' : `./${dir}`,
        prune: true,
        targetNamespace: input.namespace,
      },
    },
  ];
}

/** What GitOps Promoter's objects for one service add to {@link GitopsObjectsInput}. */
export interface PromoterObjectsInput extends Omit<GitopsObjectsInput, 'environment' | 'namespace'> {
  /** The environments in the order a change is promoted through them. */
  environments: readonly string[];
  /** The provider block of the `GitRepository` (`github: { owner, name }`, …). */
  scm: { kind: ScmKind; spec: ScmRepositorySpec };
  /** Name of the `ScmProvider` (or `ClusterScmProvider`) that holds the SCM credentials. */
  scmProvider: string;
  /** Namespace of the `GitRepository` and `PromotionStrategy` (that of the `ScmProvider` and its Secret). */
  promoterNamespace: string;
  /** Promoter's monorepo layout: the service's folder on every environment's branch (`spec.activePath`). */
  activePath?: string;
}

/**
 * GitOps Promoter's objects for one service: the `GitRepository` of the manifest repository, a
 * `PromotionStrategy` whose environments are the service's active branches in promotion order (merged
 * automatically into every environment but the last, whose pull request waits for a person), and one Argo CD
 * `Application` per environment syncing the active branch into the namespace named after the environment. The
 * hydrator (`publish-manifest` with `promotion: next`) writes `<branch>-next`; Promoter proposes it into `<branch>`.
 * With `activePath` (one branch per environment for every service), the strategy is scoped to the service's
 * folder: Promoter reads `<activePath>/hydrator.metadata` and proposes from `<branch>-next/<activePath>`.
 */
export function buildPromoterObjects(input: PromoterObjectsInput): GitopsObject[] {
  const name = input.project;
  const gitRepository: GitopsObject = {
    apiVersion: 'promoter.argoproj.io/v1alpha1',
    kind: 'GitRepository',
    metadata: { name, namespace: input.promoterNamespace },
    spec: {
      [input.scm.kind]: input.scm.spec,
      scmProviderRef: { kind: 'ScmProvider', name: input.scmProvider },
    },
  };
  const promotionStrategy: GitopsObject = {
    apiVersion: 'promoter.argoproj.io/v1alpha1',
    kind: 'PromotionStrategy',
    metadata: { name, namespace: input.promoterNamespace },
    spec: {
      gitRepositoryRef: { name },
      ...(input.activePath ? { activePath: input.activePath } : {}),
      environments: input.environments.map((environment, index) => ({
        branch: activeBranch({ ...input, environment }),
        autoMerge: index < input.environments.length - 1,
      })),
    },
  };
  const applications = input.environments.map((environment) => buildArgocdApplication({ ...input, environment, namespace: environment }));
  return [gitRepository, promotionStrategy, ...applications];
}
