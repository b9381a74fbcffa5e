import { formatFiles, logger, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { isNxGitopsEntry } from '../lib/workspace-usage';

/** What the plugin accepts for a target name since 0.2.0 (no colon, dot or white space). */
const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

const NAME_OPTIONS = ['renderTargetName', 'publishTargetName', 'diffTargetName'] as const;

/** The name a refused target name becomes: every run of other characters a `-`, leading ones dropped. */
function validName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
}

/**
 * 0.2.0 refuses target names with a colon, dot or white space in the plugin options `renderTargetName`,
 * `publishTargetName` and `diffTargetName` (Nx reads `a:b` as target `a`, configuration `b`), and the plugin
 * would not load. This renames such a name (`gitops:render` → `gitops-render`), moves its nx.json
 * `targetDefaults` entry along, and says so, since commands and `dependsOn` naming the old target must change
 * too. A name it cannot rename safely (empty, or taken by another target) is only reported.
 */
export default async function renameTargetNamesWithColons(tree: Tree): Promise<void> {
  const nxJson = readNxJson(tree);
  if (!nxJson?.plugins?.some(isNxGitopsEntry)) return;
  const targetDefaults = { ...(nxJson.targetDefaults ?? {}) };
  const renamed: string[] = [];
  const plugins = nxJson.plugins.map((entry) => {
    if (typeof entry === 'string' || !isNxGitopsEntry(entry)) return entry;
    const options = { ...((entry.options ?? {}) as Record<string, unknown>) };
    let changed = false;
    for (const option of NAME_OPTIONS) {
      const name = options[option];
      if (typeof name !== 'string' || TARGET_NAME.test(name)) continue;
      const next = validName(name);
      const taken = NAME_OPTIONS.some((other) => other !== option && options[other] === next);
      if (!next || taken || (targetDefaults[next] && targetDefaults[name])) {
        logger.warn(`nx-gitops: the plugin option ${option} "${name}" is no longer a valid target name (no colon, dot or white space), and "${next}" cannot replace it here; choose a name by hand.`);
        continue;
      }
      options[option] = next;
      if (targetDefaults[name]) {
        targetDefaults[next] = targetDefaults[name];
        delete targetDefaults[name];
      }
      renamed.push(`${option} "${name}" → "${next}"`);
      changed = true;
    }
    return changed ? { ...entry, options } : entry;
  });
  if (renamed.length === 0) return;
  updateNxJson(tree, { ...nxJson, plugins, ...(nxJson.targetDefaults ? { targetDefaults } : {}) });
  logger.warn(
    `nx-gitops: renamed ${renamed.join(', ')} in nx.json (with its targetDefaults), as target names may not hold a colon, dot or white space. ` +
      'Update the commands (nx run <project>:<target>) and dependsOn entries that name the old targets.',
  );
  await formatFiles(tree);
}
