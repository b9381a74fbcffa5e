import { joinPathFragments, normalizePath, type Tree } from '@nx/devkit';
import { GitopsError } from '../../../lib/errors';
import { resolveActivePath } from '../../../publish/hydrator';
import { templateUses } from '../../../publish/templates';
import { DEFAULT_PLUGIN_OPTIONS } from '../../../plugin/options';
import { readDefaultEnvironment, readPluginOptions } from '../../lib/plugin-entry';
import { assertDnsLabel } from '../../lib/validate-names';
import type { GitopsAppGeneratorSchema } from '../schema';
import { findServiceRoot } from './find-service-root';
import { promotionEnvironments } from './promotion-environments';
import { clusterRepositoryUrl, type GitopsTool } from './repository-url';
import { scmRepositorySpec, type ScmKind, type ScmRepositorySpec } from './scm-repository';

/** The tools `--tool` takes. */
export type GitopsAppTool = GitopsTool | 'promoter';

/** What `--tool promoter` adds: the environments in promotion order and the SCM of the repository. */
export interface NormalizedPromotionOptions {
  environments: string[];
  scm: { kind: ScmKind; spec: ScmRepositorySpec };
  scmProvider: string;
  /** With `--activePath` (Promoter's monorepo layout): the service's folder on each environment's branch. */
  activePath?: string;
}

/** gitops-app options with every default filled in, plus what they resolve to in the workspace. */
export interface NormalizedGitopsAppOptions {
  service: string;
  tool: GitopsAppTool;
  environment: string;
  manifestRepository: string;
  namespace: string;
  destinationServer: string;
  argocdNamespace: string;
  argocdProject: string;
  fluxNamespace: string;
  interval: string;
  promoterNamespace: string;
  output: string;
  /** Set with `--tool promoter` only. */
  promotion?: NormalizedPromotionOptions;
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
  if (tool !== 'argocd' && tool !== 'flux' && tool !== 'promoter') {
    throw new GitopsError(`Unknown --tool "${String(tool)}".`, { hint: 'Pass --tool argocd, --tool flux or --tool promoter.' });
  }
  assertOptionsFitTool(tool, options);
  const environment = options.environment ?? readDefaultEnvironment(tree);
  assertDnsLabel({ value: environment, what: 'environment name', option: '--environment' });

  const repository = options.manifestRepository ?? pluginOptions.manifestRepository;
  if (!repository) {
    throw new GitopsError('No manifest repository is known.', {
      hint: 'Pass --manifestRepository, or set "manifestRepository" in the nx-gitops plugin options (nx g nx-gitops:init --manifestRepository=<url>).',
    });
  }
  // Promoter's Applications are Argo CD's: the URL takes the form Argo CD clones.
  const manifestRepository = clusterRepositoryUrl(repository, tool === 'promoter' ? 'argocd' : tool);

  const namespace = options.namespace ?? environment;
  assertDnsLabel({ value: namespace, what: 'namespace', option: '--namespace' });

  const promoterNamespace = options.promoterNamespace ?? 'default';
  assertDnsLabel({ value: promoterNamespace, what: 'namespace', option: '--promoterNamespace' });

  const defaultFile = tool === 'promoter' ? 'promotion.yaml' : `${environment}.yaml`;
  const output = normalizePath(options.output ?? joinPathFragments(root, 'deploy', tool, defaultFile)).replace(/^\.?\/+/, '');
  if (!output || output.split('/').includes('..')) {
    throw new GitopsError(`--output "${options.output}" is not a file inside the workspace.`, { hint: 'Pass a file path relative to the workspace root.' });
  }

  const branchTemplate = pluginOptions.branch ?? DEFAULT_PLUGIN_OPTIONS.branch;
  const pathTemplate = pluginOptions.path ?? DEFAULT_PLUGIN_OPTIONS.path;
  const promotion =
    tool === 'promoter'
      ? normalizePromotion({
          tree,
          options,
          repository,
          serviceRoot: root,
          pluginEnvironments: pluginOptions.environments,
          defaultEnvironment: readDefaultEnvironment(tree),
          branchTemplate,
          service,
          pluginActivePath: pluginOptions.activePath,
        })
      : undefined;
  // The plugin's activePath puts every service in its folder of a shared branch: an Application syncs that folder only.
  const folder =
    promotion?.activePath ??
    (pluginOptions.activePath !== undefined ? resolveActivePath({ template: pluginOptions.activePath, branchTemplate, values: { project: service, environment } }) : undefined);

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
    promoterNamespace,
    output,
    promotion,
    branchTemplate,
    // The manifest lies inside the service's folder, as publish-manifest writes it with activePath.
    pathTemplate: folder ? `${folder}/${pathTemplate}` : pathTemplate,
  };
}

/** Options that mean something for one kind of tool only, refused with the others rather than ignored. */
function assertOptionsFitTool(tool: GitopsAppTool, options: GitopsAppGeneratorSchema): void {
  const promoterOnly = (['environments', 'scm', 'gitlabProjectId', 'scmProvider', 'promoterNamespace', 'activePath'] as const).filter((key) => options[key] !== undefined);
  if (tool !== 'promoter' && promoterOnly.length > 0) {
    throw new GitopsError(`--${promoterOnly[0]} is an option of --tool promoter.`, {
      hint: tool === 'argocd' || tool === 'flux' ? `Drop --${promoterOnly[0]}, or pass --tool promoter.` : 'Pass --tool promoter.',
    });
  }
  if (tool === 'promoter' && options.environment !== undefined) {
    throw new GitopsError('--environment names one environment; GitOps Promoter promotes through several.', {
      hint: 'Pass the environments in promotion order with --environments=develop,staging,production.',
    });
  }
  if (tool === 'promoter' && options.namespace !== undefined) {
    throw new GitopsError('With --tool promoter each environment deploys to the namespace named after it.', {
      hint: 'Drop --namespace, or write one Application per environment with --tool argocd --environment <env> --namespace <ns>.',
    });
  }
}

function normalizePromotion(input: {
  tree: Tree;
  options: GitopsAppGeneratorSchema;
  repository: string;
  serviceRoot: string;
  pluginEnvironments?: Record<string, unknown>;
  defaultEnvironment: string;
  branchTemplate: string;
  service: string;
  /** The plugin's `activePath`, the default of `--activePath`. */
  pluginActivePath?: string;
}): NormalizedPromotionOptions {
  const { options } = input;
  const activePathTemplate = options.activePath ?? input.pluginActivePath;
  const environments = promotionEnvironments({ ...input, environments: options.environments });
  const { scm, spec } = scmRepositorySpec({ url: input.repository, scm: options.scm, gitlabProjectId: options.gitlabProjectId });
  let activePath: string | undefined;
  if (activePathTemplate !== undefined) {
    if (templateUses(input.branchTemplate, 'project')) {
      throw new GitopsError(`--activePath needs one branch per environment, but the plugin's branch template "${input.branchTemplate}" names the project.`, {
        hint: 'Set the "branch" plugin option in nx.json to a template without {project} (the one publish-manifest uses), e.g. "environment/{environment}", or drop --activePath.',
      });
    }
    activePath = resolveActivePath({ template: activePathTemplate, branchTemplate: input.branchTemplate, values: { project: input.service, environment: environments[0] } });
  }
  return { environments, scm: { kind: scm, spec }, scmProvider: options.scmProvider ?? scm.toLowerCase(), ...(activePath ? { activePath } : {}) };
}
