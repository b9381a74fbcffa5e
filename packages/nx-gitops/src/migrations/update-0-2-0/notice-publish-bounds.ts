import { logger, readNxJson, type Tree } from '@nx/devkit';
import { explicitTargets, isNxGitopsEntry, PUBLISH_EXECUTOR } from '../lib/workspace-usage';

/**
 * 0.2.0 added two bounds to publish-manifest whose old behaviour would be unsafe to keep: a render that holds
 * no Kubernetes object is refused unless `allowEmpty` (with pruning, an empty manifest deletes the service),
 * and every git network command is bounded by `networkTimeoutSeconds` (default 180; a stalled server held the
 * machine's publish lock for ever). This changes nothing and tells a workspace that publishes what to set if
 * it relied on either.
 */
export default async function noticePublishBounds(tree: Tree): Promise<void> {
  const registered = readNxJson(tree)?.plugins?.some(isNxGitopsEntry) ?? false;
  if (!registered && explicitTargets(tree, [PUBLISH_EXECUTOR]).length === 0) return;
  logger.warn(
    'nx-gitops: publish-manifest now refuses a render with no Kubernetes object (set "allowEmpty": true where an empty manifest is meant), ' +
      'and fails a git network command after "networkTimeoutSeconds" (180 s by default; raise it for a slow manifest repository).',
  );
}
