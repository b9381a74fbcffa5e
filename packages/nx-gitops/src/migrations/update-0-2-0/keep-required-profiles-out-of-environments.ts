import { formatFiles, logger, readNxJson, updateNxJson, visitNotIgnoredFiles, type Tree } from '@nx/devkit';
import { basename } from 'node:path';
import { isNxGitopsEntry } from '../lib/workspace-usage';

/** A `requires:` key in a skaffold.yaml: only such services get new environments from `propagateProfiles`. */
const REQUIRES_KEY = /^[ \t-]*requires[ \t]*:/m;

/** The skaffold.yaml files of the workspace that require other configs, sorted. */
function servicesWithRequires(tree: Tree): string[] {
  const found: string[] = [];
  visitNotIgnoredFiles(tree, '', (path) => {
    if (basename(path) !== 'skaffold.yaml' || path.split('/').includes('node_modules')) return;
    if (REQUIRES_KEY.test(tree.read(path, 'utf-8') ?? '')) found.push(path);
  });
  return found.sort();
}

/**
 * 0.2.0 made the profiles of the configs a service `requires` environments of the service too (plugin option
 * `propagateProfiles`, default `true`). This keeps the environments a workspace had: where a skaffold.yaml
 * requires other configs, every nx-gitops entry of nx.json that does not set the option gets
 * `propagateProfiles: false`. Safe: the targets and configurations stay as they were.
 */
export default async function keepRequiredProfilesOutOfEnvironments(tree: Tree): Promise<void> {
  const nxJson = readNxJson(tree);
  if (!nxJson?.plugins?.some(isNxGitopsEntry)) return;
  const requiring = servicesWithRequires(tree);
  if (requiring.length === 0) return;
  let changed = 0;
  const plugins = nxJson.plugins.map((entry) => {
    if (!isNxGitopsEntry(entry)) return entry;
    const current = typeof entry === 'string' ? { plugin: entry } : entry;
    const options = (current.options ?? {}) as Record<string, unknown>;
    if ('propagateProfiles' in options) return entry;
    changed++;
    return { ...current, options: { ...options, propagateProfiles: false } };
  });
  if (changed === 0) return;
  updateNxJson(tree, { ...nxJson, plugins });
  logger.info(
    `nx-gitops: set "propagateProfiles": false in nx.json (${changed} plugin entr${changed === 1 ? 'y' : 'ies'}), keeping the environments ` +
      `${requiring.join(', ')} had: the profiles of required configs are environments by default now. Remove the option to get them.`,
  );
  await formatFiles(tree);
}
