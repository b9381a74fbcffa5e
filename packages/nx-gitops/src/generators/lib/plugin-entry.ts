import { readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { DEFAULT_PLUGIN_OPTIONS, type NxGitopsPluginOptions } from '../../plugin/options';

/** The name nx.json uses for the plugin (its npm name). */
export const PLUGIN_NAME = 'nx-gitops';

/** One entry of nx.json `plugins`. */
export type PluginEntry = NonNullable<NonNullable<ReturnType<typeof readNxJson>>['plugins']>[number];

/** True for an nx.json `plugins` entry that loads nx-gitops (`"nx-gitops"` or `{ "plugin": "nx-gitops", … }`). */
export function isNxGitopsEntry(entry: PluginEntry): boolean {
  return typeof entry === 'string' ? entry === PLUGIN_NAME : entry.plugin === PLUGIN_NAME;
}

/** The options of the nx-gitops entry in `nx.json`, or `{}` when the plugin is not registered or has none. */
export function readPluginOptions(tree: Tree): NxGitopsPluginOptions {
  const entry = (readNxJson(tree)?.plugins ?? []).find(isNxGitopsEntry);
  if (!entry || typeof entry === 'string') return {};
  return (entry.options ?? {}) as NxGitopsPluginOptions;
}

/** The environment rendered without a profile, as the workspace's plugin options define it. */
export function readDefaultEnvironment(tree: Tree): string {
  return readPluginOptions(tree).defaultEnvironment ?? DEFAULT_PLUGIN_OPTIONS.defaultEnvironment;
}

/**
 * Adds `{ plugin: "nx-gitops", options }` to `nx.json` `plugins`, or merges `options` into the existing entry
 * (given keys win, other keys stay). Leaves `nx.json` untouched when nothing would change, so running it
 * again is a no-op. Returns whether it wrote.
 */
export function registerPlugin(tree: Tree, options: NxGitopsPluginOptions): boolean {
  const nxJson = readNxJson(tree) ?? {};
  const plugins = [...(nxJson.plugins ?? [])];
  const index = plugins.findIndex(isNxGitopsEntry);
  const hasOptions = Object.keys(options).length > 0;
  if (index === -1) {
    plugins.push(hasOptions ? { plugin: PLUGIN_NAME, options: { ...options } } : { plugin: PLUGIN_NAME });
  } else {
    const existing = plugins[index];
    const current = typeof existing === 'string' ? { plugin: PLUGIN_NAME } : existing;
    const merged = { ...((current.options ?? {}) as Record<string, unknown>), ...options };
    const unchanged = Object.entries(options).every(
      ([key, value]) => JSON.stringify((current.options as Record<string, unknown> | undefined)?.[key]) === JSON.stringify(value),
    );
    if (unchanged) return false;
    plugins[index] = { ...current, options: merged };
  }
  updateNxJson(tree, { ...nxJson, plugins });
  return true;
}
