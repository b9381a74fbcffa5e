import { getProjects, readNxJson, type NxJsonConfiguration, type Tree } from '@nx/devkit';
import { isNxGitopsEntry } from '../../generators/lib/plugin-entry';
import { DEFAULT_PLUGIN_OPTIONS, type NxGitopsPluginOptions } from '../../plugin/options';

export { isNxGitopsEntry } from '../../generators/lib/plugin-entry';
import { PUBLISH_EXECUTOR, RENDER_EXECUTOR } from '../../plugin/create-nodes';

export { DIFF_EXECUTOR, PUBLISH_EXECUTOR, RENDER_EXECUTOR } from '../../plugin/create-nodes';

/** The options of every nx-gitops entry of nx.json (`{}` for an entry without options). */
export function pluginOptionsOf(nxJson: NxJsonConfiguration | null): NxGitopsPluginOptions[] {
  return (nxJson?.plugins ?? []).filter(isNxGitopsEntry).map((entry) => (typeof entry === 'string' ? {} : ((entry.options ?? {}) as NxGitopsPluginOptions)));
}

/** A target default as an object (Nx 23 also allows an array of filtered entries, which migrations leave alone). */
export type TargetDefaultObject = { options?: Record<string, unknown>; configurations?: Record<string, Record<string, unknown>> } & Record<string, unknown>;

/** The object form of a `targetDefaults` value, `null` for the array form of filtered entries. */
export function targetDefaultObject(value: unknown): TargetDefaultObject | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as TargetDefaultObject) : null;
}

/** A target of a project.json that runs one of `executors`. */
export interface ExplicitTarget {
  project: string;
  target: string;
  options: Record<string, unknown>;
  configurations: Record<string, Record<string, unknown>>;
}

/** The targets of project.json files (inferred targets are not in the tree) that run one of `executors`. */
export function explicitTargets(tree: Tree, executors: readonly string[]): ExplicitTarget[] {
  const found: ExplicitTarget[] = [];
  for (const [project, configuration] of getProjects(tree)) {
    for (const [target, definition] of Object.entries(configuration.targets ?? {})) {
      if (!definition.executor || !executors.includes(definition.executor)) continue;
      found.push({
        project,
        target,
        options: (definition.options ?? {}) as Record<string, unknown>,
        configurations: (definition.configurations ?? {}) as Record<string, Record<string, unknown>>,
      });
    }
  }
  return found;
}

/**
 * The names the targets running `executor` go by: the plugin option `option` of every plugin entry (its
 * default when unset) and the names of project.json targets running the executor. Sorted.
 */
function targetNamesOf(tree: Tree, executor: string, option: 'renderTargetName' | 'publishTargetName'): string[] {
  const names = new Set<string>();
  for (const options of pluginOptionsOf(readNxJson(tree))) names.add(options[option] ?? DEFAULT_PLUGIN_OPTIONS[option]);
  for (const target of explicitTargets(tree, [executor])) names.add(target.target);
  return [...names].sort();
}

/** The names the workspace's publish-manifest targets go by (`publishTargetName`, project.json targets). Sorted. */
export function publishTargetNames(tree: Tree): string[] {
  return targetNamesOf(tree, PUBLISH_EXECUTOR, 'publishTargetName');
}

/** The names the workspace's render targets go by (`renderTargetName`, project.json targets). Sorted. */
export function renderTargetNames(tree: Tree): string[] {
  return targetNamesOf(tree, RENDER_EXECUTOR, 'renderTargetName');
}
