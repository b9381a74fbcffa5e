import { joinPathFragments, normalizePath, type Tree } from '@nx/devkit';
import { GitopsError } from '../../../lib/errors';
import { readDefaultEnvironment, readPluginOptions } from '../../lib/plugin-entry';
import { assertDnsLabel, assertImageName, parseEnvironmentList } from '../../lib/validate-names';
import type { ServiceGeneratorSchema } from '../schema';
import { DEFAULT_SKAFFOLD_API_VERSION, SUPPORTED_SKAFFOLD_API_VERSIONS } from './skaffold-versions';

/** Service options with every default filled in and every value checked. */
export interface NormalizedServiceOptions {
  name: string;
  directory: string;
  environments: string[];
  image: string;
  port: number;
  skaffoldApiVersion: string;
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

  return { name, directory, environments, image, port, skaffoldApiVersion };
}

/** The service's folder, relative to the workspace root. */
export function serviceRoot(options: Pick<NormalizedServiceOptions, 'directory' | 'name'>): string {
  return options.directory ? joinPathFragments(options.directory, options.name) : options.name;
}
