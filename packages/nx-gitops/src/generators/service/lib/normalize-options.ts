import { joinPathFragments, normalizePath, type Tree } from '@nx/devkit';
import { GitopsError } from '../../../lib/errors';
import { readDefaultEnvironment, readPluginOptions } from '../../lib/plugin-entry';
import { assertDnsLabel, assertImageName, parseEnvironmentList } from '../../lib/validate-names';
import type { ServiceGeneratorSchema } from '../schema';
import { DEFAULT_SERVICE_TEMPLATE, SERVICE_TEMPLATES, type ServiceTemplate } from './service-templates';
import { DEFAULT_SKAFFOLD_API_VERSION, SUPPORTED_SKAFFOLD_API_VERSIONS, usesDeploySection } from './skaffold-versions';

/** helm refuses a release name longer than this (its own limit, below Kubernetes' 63). */
const HELM_RELEASE_NAME_MAX = 53;

/** Service options with every default filled in and every value checked. */
export interface NormalizedServiceOptions {
  name: string;
  directory: string;
  environments: string[];
  image: string;
  port: number;
  skaffoldApiVersion: string;
  template: ServiceTemplate;
}

/** Fills in the defaults and validates every option; throws a {@link GitopsError} naming the option to fix. */
export function normalizeServiceOptions(tree: Tree, options: ServiceGeneratorSchema): NormalizedServiceOptions {
  const name = (options.name ?? '').trim();
  assertDnsLabel({ value: name, what: 'service name', option: 'the service name argument' });

  const directory = normalizePath(options.directory ?? 'services').replace(/^\.?\/+|\/+$/g, '');
  if (directory.split('/').includes('..') || /^[a-zA-Z]:/.test(directory)) {
    throw new GitopsError(`--directory "${options.directory}" leaves the workspace.`, { hint: 'Pass a folder relative to the workspace root.' });
  }

  const defaultEnvironment = readDefaultEnvironment(tree);
  const environments = parseEnvironmentList(options.environments ?? [defaultEnvironment, 'production'], '--environments');
  if (!readPluginOptions(tree).environments && environments[0] !== defaultEnvironment) {
    throw new GitopsError(
      `The first environment "${environments[0]}" is rendered without a profile, but the workspace calls that environment "${defaultEnvironment}".`,
      { hint: `Put "${defaultEnvironment}" first in --environments, or set "defaultEnvironment" in the nx-gitops plugin options in nx.json.` },
    );
  }

  const image = (options.image ?? name).trim();
  assertImageName({ value: image, what: 'image', option: '--image' });

  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new GitopsError(`Invalid --port ${port}: a port is an integer from 1 to 65535.`, { hint: 'Pass another --port.' });
  }

  const skaffoldApiVersion = options.skaffoldApiVersion ?? DEFAULT_SKAFFOLD_API_VERSION;
  if (!SUPPORTED_SKAFFOLD_API_VERSIONS.includes(skaffoldApiVersion)) {
    throw new GitopsError(`Unknown skaffold apiVersion "${skaffoldApiVersion}".`, {
      hint: `Pass --skaffoldApiVersion with one of skaffold/v2beta10 … skaffold/v2beta29, skaffold/v3alpha1, skaffold/v3, skaffold/v4beta1 … skaffold/v4beta14.`,
    });
  }

  const template = normalizeTemplate({ template: options.template, name, skaffoldApiVersion });

  return { name, directory, environments, image, port, skaffoldApiVersion, template };
}

/** Checks `--template` and what the helm template needs of the other options. */
function normalizeTemplate(input: { template: string | undefined; name: string; skaffoldApiVersion: string }): ServiceTemplate {
  const template = SERVICE_TEMPLATES.find((known) => known === (input.template ?? DEFAULT_SERVICE_TEMPLATE));
  if (!template) {
    throw new GitopsError(`Unknown --template "${input.template}".`, { hint: `Pass --template with one of ${SERVICE_TEMPLATES.join(', ')}.` });
  }
  if (template === 'kustomize') return template;
  if (usesDeploySection(input.skaffoldApiVersion)) {
    throw new GitopsError(`--template helm writes manifests.helm, which ${input.skaffoldApiVersion} does not have.`, {
      hint: 'Pass --skaffoldApiVersion skaffold/v3 or later (the default is skaffold/v4beta13), or use --template kustomize.',
    });
  }
  if (input.name.length > HELM_RELEASE_NAME_MAX) {
    throw new GitopsError(`Service name "${input.name}" is too long for a helm release (at most ${HELM_RELEASE_NAME_MAX} characters).`, {
      hint: 'Choose a shorter service name, or use --template kustomize.',
    });
  }
  return template;
}

/** The service's folder, relative to the workspace root. */
export function serviceRoot(options: Pick<NormalizedServiceOptions, 'directory' | 'name'>): string {
  return options.directory ? joinPathFragments(options.directory, options.name) : options.name;
}
