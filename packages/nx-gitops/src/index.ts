/**
 * nx-gitops: an Nx plugin for GitOps with rendered manifests. The Nx entry points (`createNodes`,
 * `createNodesV2`, `createDependencies`) infer a project with `render` and `publish-manifest` targets from
 * every skaffold.yaml. The core, usable without Nx, is `nx-gitops/src/core`.
 */
import { createNodes } from './plugin/create-nodes';

export { createNodes };
/** Alias of {@link createNodes} under the name Nx 22 looks for. */
export const createNodesV2 = createNodes;
export { createDependencies } from './plugin/create-dependencies';
export type { NxGitopsPluginOptions } from './plugin/options';
export { GitopsError, describeError } from './lib/errors';
export { loadSkaffoldConfigs, parseSkaffoldConfigs, SUPPORTED_API_VERSIONS } from './skaffold/config';
export { applyProfilesToConfigs } from './skaffold/profiles';
export type { SkaffoldConfig } from './skaffold/types';
