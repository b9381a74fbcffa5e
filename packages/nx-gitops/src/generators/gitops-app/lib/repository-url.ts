import { GitopsError } from '../../../lib/errors';
import { assertNoUrlCredentials } from '../../lib/validate-names';

/** `user@host:path`, the scp-like form git accepts for SSH. */
const SCP_LIKE = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(?!\/\/)(.+)$/;

/** Which GitOps tool will clone the repository. */
export type GitopsTool = 'argocd' | 'flux';

/**
 * The manifest repository URL as the cluster-side tool needs it. Both tools clone over HTTP(S) or SSH from
 * inside the cluster, so local paths and `file://` URLs are refused. Flux accepts only URLs with a scheme,
 * so the scp-like form is rewritten to `ssh://`; Argo CD takes it as it is.
 */
export function clusterRepositoryUrl(url: string, tool: GitopsTool): string {
  const trimmed = url.trim();
  assertNoUrlCredentials(trimmed, '--manifestRepository');
  if (/^(https?|ssh):\/\/[^/]+/i.test(trimmed)) return trimmed;
  const scp = SCP_LIKE.exec(trimmed);
  if (scp) {
    const [, user, host, path] = scp;
    return tool === 'flux' ? `ssh://${user}@${host}/${path.replace(/^\//, '')}` : trimmed;
  }
  throw new GitopsError(`The manifest repository "${trimmed}" cannot be cloned from inside a cluster.`, {
    hint: 'Pass --manifestRepository (or set "manifestRepository" in the nx-gitops plugin options) as an https://, ssh:// or git@host:path URL.',
  });
}
