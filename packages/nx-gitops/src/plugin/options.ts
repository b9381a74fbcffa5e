/** Options of the nx-gitops plugin entry in `nx.json` (`plugins: [{ plugin: "nx-gitops", options }]`). */
export interface NxGitopsPluginOptions {
  /** Name of the inferred render target. Default `render`. */
  renderTargetName?: string;
  /** Name of the inferred publish target. Default `publish-manifest`. */
  publishTargetName?: string;
  /** Name of the inferred target that compares a render with the manifest repository. Default `diff-manifest`. */
  diffTargetName?: string;
  /** Name of the environment rendered without a profile. Default `develop`. */
  defaultEnvironment?: string;
  /**
   * Environment names mapped to the skaffold profiles that make them. When set, these are the environments;
   * otherwise there is the default environment plus one per profile of the service's skaffold.yaml.
   */
  environments?: Record<string, string[]>;
  /** The manifest repository every service publishes to (any URL git accepts). */
  manifestRepository?: string;
  /** Branch template; default `{project}/{environment}`. */
  branch?: string;
  /** Path template of the manifest inside the branch; default `manifest.yaml`. */
  path?: string;
  /**
   * GitOps Promoter's monorepo layout for every service: the service's folder (a template naming `{project}`)
   * on one branch per environment, given to the publish and diff targets; `branch` must then not name `{project}`.
   */
  activePath?: string;
  /** Default repository for images (`--default-repo`), passed to every render target. */
  defaultRepo?: string;
  /**
   * Where image digests come from, passed to every render target: `tag` (default), `none`, or `remote`
   * (asks the registry; the render target is then not cached, since Nx cannot hash a registry).
   */
  digestSource?: 'tag' | 'remote' | 'none';
  /**
   * Whether the profiles of configs a service `requires` are environments of the service too, as skaffold
   * applies `-p name` to every config that defines it. Default `true`.
   */
  propagateProfiles?: boolean;
}

/** Plugin option defaults. */
export const DEFAULT_PLUGIN_OPTIONS = {
  renderTargetName: 'render',
  publishTargetName: 'publish-manifest',
  diffTargetName: 'diff-manifest',
  defaultEnvironment: 'develop',
  branch: '{project}/{environment}',
  path: 'manifest.yaml',
} as const;
