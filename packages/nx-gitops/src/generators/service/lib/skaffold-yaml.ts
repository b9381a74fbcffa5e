import { stringify } from 'yaml';
import { sanitizeHelmTemplateValue } from '../../../helm/args';
import { CHART_PATH, valuesFilePath } from './helm-values-yaml';
import { usesDeploySection } from './skaffold-versions';
import type { ServiceTemplate } from './service-templates';

/** What a generated `skaffold.yaml` depends on. */
export interface SkaffoldYamlInput {
  /** Service name: `metadata.name`. */
  name: string;
  /** The one artifact's image, without tag. */
  image: string;
  /** Environments in order; the first is rendered without a profile, each other one gets a profile. */
  environments: readonly string[];
  apiVersion: string;
  /** How the manifests are written: kustomize overlays, or a local helm chart with a values file per environment. */
  template: ServiceTemplate;
}

/** The overlay directory of an environment, relative to the service root. */
export function overlayPath(environment: string): string {
  return `kubernetes/overlays/${environment}`;
}

function kustomizeSection(apiVersion: string, environment: string): Record<string, unknown> {
  const key = usesDeploySection(apiVersion) ? 'deploy' : 'manifests';
  return { [key]: { kustomize: { paths: [overlayPath(environment)] } } };
}

/**
 * The one helm release of a helm service: the local chart, the first environment's values file, and the image
 * skaffold tagged set through skaffold's `IMAGE_REPO_<image>` / `IMAGE_TAG_<image>` template keys.
 */
function helmSection(input: Pick<SkaffoldYamlInput, 'name' | 'image'>, environment: string): Record<string, unknown> {
  const key = sanitizeHelmTemplateValue(input.image);
  const release = {
    name: input.name,
    chartPath: CHART_PATH,
    valuesFiles: [valuesFilePath(environment)],
    setValueTemplates: {
      'image.repository': `{{.IMAGE_REPO_${key}}}`,
      'image.tag': `{{.IMAGE_TAG_${key}}}`,
    },
  };
  return { manifests: { helm: { releases: [release] } } };
}

/** What a profile changes for a helm service: only the values file, so the release is declared once. */
function helmProfilePatches(environment: string): Record<string, unknown> {
  return { patches: [{ op: 'replace', path: '/manifests/helm/releases/0/valuesFiles/0', value: valuesFilePath(environment) }] };
}

function gitCommitTagPolicy(environment: string): Record<string, unknown> {
  return { gitCommit: { prefix: `${environment}-` } };
}

/**
 * The text of a service's `skaffold.yaml`: one docker artifact, a `gitCommit` tag prefixed with the
 * environment, the first environment's manifests at the top level, and one profile per other environment that
 * swaps the prefix and the manifests. For kustomize the profile replaces `tagPolicy` and `kustomize` whole, so
 * nothing leaks; for helm it patches the release's values file, so the release (and its image keys) is written once.
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
    ...(input.template === 'helm' ? helmSection(input, first) : kustomizeSection(input.apiVersion, first)),
  };
  if (others.length > 0) {
    config.profiles = others.map((environment) => ({
      name: environment,
      build: { tagPolicy: gitCommitTagPolicy(environment) },
      ...(input.template === 'helm' ? helmProfilePatches(environment) : kustomizeSection(input.apiVersion, environment)),
    }));
  }
  return stringify(config, { lineWidth: 0 });
}
