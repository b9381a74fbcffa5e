import { joinPathFragments, normalizePath, type Tree } from '@nx/devkit';
import { GitopsError } from '../../../lib/errors';
import { DEFAULT_PLUGIN_OPTIONS } from '../../../plugin/options';
import { readDefaultEnvironment, readPluginOptions } from '../../lib/plugin-entry';
import { assertDnsLabel } from '../../lib/validate-names';
import type { GitopsAppGeneratorSchema } from '../schema';
import { findServiceRoot } from './find-service-root';
import { clusterRepositoryUrl, type GitopsTool } from './repository-url';

/** gitops-app options with every default filled in, plus what they resolve to in the workspace. */
export interface NormalizedGitopsAppOptions {
  service: string;
  tool: GitopsTool;
  environment: string;
  manifestRepository: string;
  namespace: string;
  destinationServer: string;
  argocdNamespace: string;
  argocdProject: string;
  fluxNamespace: string;
  interval: string;
  output: string;
}

/** The publish templates of the workspace, so the objects point where `publish-manifest` writes. */
export interface PublishTemplates {
  branchTemplate: string;
  pathTemplate: string;
}

/**
 * Fills in the defaults (from the nx-gitops plugin options where they exist) and validates the options;
 * throws a {@link GitopsError} naming the option to fix.
 */
export function normalizeGitopsAppOptions(tree: Tree, options: GitopsAppGeneratorSchema): NormalizedGitopsAppOptions & PublishTemplates {
  const pluginOptions = readPluginOptions(tree);
  const service = (options.service ?? '').trim();
  if (!service) throw new GitopsError('No service given.', { hint: 'Pass the service project name: nx g nx-gitops:gitops-app <service>.' });
  const root = findServiceRoot(tree, service);

  const tool = options.tool ?? 'argocd';
  if (tool !== 'argocd' && tool !== 'flux') {
    throw new GitopsError(`Unknown --tool "${String(tool)}".`, { hint: 'Pass --tool argocd or --tool flux.' });
  }
  const environment = options.environment ?? readDefaultEnvironment(tree);
  assertDnsLabel({ value: environment, what: 'environment name', option: '--environment' });

  const repository = options.manifestRepository ?? pluginOptions.manifestRepository;
  if (!repository) {
    throw new GitopsError('No manifest repository is known.', {
      hint: 'Pass --manifestRepository, or set "manifestRepository" in the nx-gitops plugin options (nx g nx-gitops:init --manifestRepository=<url>).',
    });
  }
  const manifestRepository = clusterRepositoryUrl(repository, tool);

  const namespace = options.namespace ?? environment;
  assertDnsLabel({ value: namespace, what: 'namespace', option: '--namespace' });

  const output = normalizePath(options.output ?? joinPathFragments(root, 'deploy', tool, `${environment}.yaml`)).replace(/^\.?\/+/, '');
  if (!output || output.split('/').includes('..')) {
    throw new GitopsError(`--output "${options.output}" is not a file inside the workspace.`, { hint: 'Pass a file path relative to the workspace root.' });
  }

  return {
    service,
    tool,
    environment,
    manifestRepository,
    namespace,
    destinationServer: options.destinationServer ?? 'https://kubernetes.default.svc',
    argocdNamespace: options.argocdNamespace ?? 'argocd',
    argocdProject: options.argocdProject ?? 'default',
    fluxNamespace: options.fluxNamespace ?? 'flux-system',
    interval: options.interval ?? '1m',
    output,
    branchTemplate: pluginOptions.branch ?? DEFAULT_PLUGIN_OPTIONS.branch,
    pathTemplate: pluginOptions.path ?? DEFAULT_PLUGIN_OPTIONS.path,
  };
}
