/**
 * nx-gitops: an Nx plugin for GitOps with rendered manifests. The Nx entry points (`createNodes`,
 * `createNodesV2`, `createDependencies`) infer a project with `render` and `publish-manifest` targets from
 * every skaffold.yaml. The core, usable without Nx, is `nx-gitops/src/core`.
 */
import { createNodes } from './plugin/create-nodes';
import type * as SkaffoldConfigModule from './skaffold/config';
import type * as SkaffoldProfilesModule from './skaffold/profiles';

export { createNodes };
/** Alias of {@link createNodes} under the name Nx 22 looks for. */
export const createNodesV2 = createNodes;
export { createDependencies } from './plugin/create-dependencies';
export type { NxGitopsPluginOptions } from './plugin/options';
export { GitopsError, describeError } from './lib/errors';
export type { SkaffoldConfig } from './skaffold/types';

// Nx loads this entry in every command's plugin worker; the skaffold readers (and the YAML parser and JSON
// Schema validator behind them) load only when one of these is called, as they are not needed for a graph
// served from the analysis store. The eager exports of the same functions are in `nx-gitops/src/core`.
/* eslint-disable @typescript-eslint/no-require-imports */
const skaffoldConfig = (): typeof SkaffoldConfigModule => require('./skaffold/config') as typeof SkaffoldConfigModule;
const skaffoldProfiles = (): typeof SkaffoldProfilesModule => require('./skaffold/profiles') as typeof SkaffoldProfilesModule;
/* eslint-enable @typescript-eslint/no-require-imports */

/** {@link SkaffoldConfigModule.loadSkaffoldConfigs}, loaded on first call. */
export const loadSkaffoldConfigs: typeof SkaffoldConfigModule.loadSkaffoldConfigs = (...args) => skaffoldConfig().loadSkaffoldConfigs(...args);
/** {@link SkaffoldConfigModule.parseSkaffoldConfigs}, loaded on first call. */
export const parseSkaffoldConfigs: typeof SkaffoldConfigModule.parseSkaffoldConfigs = (...args) => skaffoldConfig().parseSkaffoldConfigs(...args);
/** {@link SkaffoldProfilesModule.applyProfilesToConfigs}, loaded on first call. */
export const applyProfilesToConfigs: typeof SkaffoldProfilesModule.applyProfilesToConfigs = (...args) => skaffoldProfiles().applyProfilesToConfigs(...args);
export { SUPPORTED_API_VERSIONS } from './skaffold/api-versions';
