import { stringify } from 'yaml';
import { usesDeploySection } from './skaffold-versions';

/** What a generated `skaffold.yaml` depends on. */
export interface SkaffoldYamlInput {
  /** Service name: `metadata.name`. */
  name: string;
  /** The one artifact's image, without tag. */
  image: string;
  /** Environments in order; the first is rendered without a profile, each other one gets a profile. */
  environments: readonly string[];
  apiVersion: string;
}

/** The overlay directory of an environment, relative to the service root. */
export function overlayPath(environment: string): string {
  return `kubernetes/overlays/${environment}`;
}

function kustomizeSection(apiVersion: string, environment: string): Record<string, unknown> {
  const key = usesDeploySection(apiVersion) ? 'deploy' : 'manifests';
  return { [key]: { kustomize: { paths: [overlayPath(environment)] } } };
}

function gitCommitTagPolicy(environment: string): Record<string, unknown> {
  return { gitCommit: { prefix: `${environment}-` } };
}

/**
 * The text of a service's `skaffold.yaml`: one docker artifact, a `gitCommit` tag prefixed with the
 * environment, the first environment's overlay at the top level, and one profile per other environment that
 * swaps the prefix and the overlay (a profile replaces `tagPolicy` and `kustomize` whole, so nothing leaks).
 */
export function buildSkaffoldYaml(input: SkaffoldYamlInput): string {
  const [first, ...others] = input.environments;
  const config: Record<string, unknown> = {
    apiVersion: input.apiVersion,
    kind: 'Config',
    metadata: { name: input.name },
    build: {
      tagPolicy: gitCommitTagPolicy(first),
      artifacts: [{ image: input.image, docker: { dockerfile: 'Dockerfile' } }],
    },
    ...kustomizeSection(input.apiVersion, first),
  };
  if (others.length > 0) {
    config.profiles = others.map((environment) => ({
      name: environment,
      build: { tagPolicy: gitCommitTagPolicy(environment) },
      ...kustomizeSection(input.apiVersion, environment),
    }));
  }
  return stringify(config, { lineWidth: 0 });
}
