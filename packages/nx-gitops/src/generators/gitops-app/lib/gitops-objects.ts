import { posix } from 'node:path';
import type { GitopsObject } from './gitops-object-schemas';

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
        targetRevision: fillTemplate(input.branchTemplate, input),
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
      spec: { interval: input.interval, url: input.repositoryUrl, ref: { branch: fillTemplate(input.branchTemplate, input) } },
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
