import { formatFiles, logger, readNxJson, updateNxJson, type NxJsonConfiguration, type Tree } from '@nx/devkit';
import { explicitTargets, isNxGitopsEntry, PUBLISH_EXECUTOR, publishTargetNames, targetDefaultObject } from '../lib/workspace-usage';

/**
 * 0.2.0 made publish-manifest write Argo CD's hydrator files (`hydrator.metadata`, `README.md`,
 * `.gitattributes`) with every commit (option `hydratorMetadata`, default `true`). This keeps the branches as
 * they were: `hydratorMetadata: false` goes into nx.json `targetDefaults` of every publish target name the
 * workspace uses, unless set there already. Safe: the manifests published do not change.
 */
export default async function keepHydratorMetadataOff(tree: Tree): Promise<void> {
  const nxJson = readNxJson(tree);
  if (!nxJson) return;
  const registered = nxJson.plugins?.some(isNxGitopsEntry) ?? false;
  if (!registered && explicitTargets(tree, [PUBLISH_EXECUTOR]).length === 0) return;
  const targetDefaults: Record<string, unknown> = { ...(nxJson.targetDefaults ?? {}) };
  const written: string[] = [];
  for (const name of publishTargetNames(tree)) {
    const defaults = name in targetDefaults ? targetDefaultObject(targetDefaults[name]) : {};
    if (defaults === null) {
      logger.warn(`nx-gitops: nx.json targetDefaults "${name}" is a list of filtered entries; add "hydratorMetadata": false to its options by hand to keep publishing without the hydrator files.`);
      continue;
    }
    const options = defaults.options ?? {};
    if ('hydratorMetadata' in options) continue;
    targetDefaults[name] = { ...defaults, options: { ...options, hydratorMetadata: false } };
    written.push(name);
  }
  if (written.length === 0) return;
  updateNxJson(tree, { ...nxJson, targetDefaults: targetDefaults as NxJsonConfiguration['targetDefaults'] });
  logger.info(
    `nx-gitops: set "hydratorMetadata": false in nx.json targetDefaults of ${written.map((name) => `"${name}"`).join(', ')}, so publish-manifest ` +
      'keeps writing only the manifests; set it to true (or remove it) to write the hydrator files GitOps Promoter reads.',
  );
  await formatFiles(tree);
}
