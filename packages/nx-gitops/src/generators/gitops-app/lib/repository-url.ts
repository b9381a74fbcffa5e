import { GitopsError } from '../../../lib/errors';
import { assertNoUrlCredentials } from '../../lib/validate-names';

/** `user@host:path`, the scp-like form git accepts for SSH. */
const SCP_LIKE = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(?!\/\/)(.+)$/;

/** An `http(s)://` or `ssh://` URL: its authority (up to the first `/`) and whatever follows, line breaks too. */
const WITH_SCHEME = /^(?:https?|ssh):\/\/([^/]+)(.*)$/is;

/** An authority that names a host: optional user information, the host, an optional port. */
const HOST_AUTHORITY = /^(?:[^@/]+@)?([^/:]+)(?::\d+)?$/;

/**
 * A repository URL git clones over the network, taken apart. A URL with a scheme has `host` and `path` only
 * when its authority is `[user@]host[:port]` and a `/path` follows it.
 */
type RepositoryUrlParts = { form: 'scp-like'; user: string; host: string; path: string } | { form: 'scheme'; host?: string; path?: string };

/** The parts of an `https://`, `ssh://` or `user@host:path` URL (already trimmed); `undefined` for any other form. */
function parseRepositoryUrl(url: string): RepositoryUrlParts | undefined {
  const withScheme = WITH_SCHEME.exec(url);
  if (withScheme) {
    const host = HOST_AUTHORITY.exec(withScheme[1])?.[1];
    const path = /^\/(.*)$/.exec(withScheme[2])?.[1];
    return host !== undefined && path !== undefined ? { form: 'scheme', host, path } : { form: 'scheme' };
  }
  const scp = SCP_LIKE.exec(url);
  return scp ? { form: 'scp-like', user: scp[1], host: scp[2], path: scp[3] } : undefined;
}

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
  const parts = parseRepositoryUrl(trimmed);
  if (parts?.form === 'scheme') return trimmed;
  if (parts?.form === 'scp-like') return tool === 'flux' ? `ssh://${parts.user}@${parts.host}/${parts.path.replace(/^\//, '')}` : trimmed;
  throw new GitopsError(`The manifest repository "${trimmed}" cannot be cloned from inside a cluster.`, {
    hint: 'Pass --manifestRepository (or set "manifestRepository" in the nx-gitops plugin options) as an https://, ssh:// or git@host:path URL.',
  });
}

/**
 * Host (lower-cased) and path segments of a repository URL (`https://`, `ssh://` or `git@host:path`), `.git`
 * dropped; an empty host and no segments when the URL names no host and path.
 */
export function splitRepositoryUrl(url: string): { host: string; segments: string[] } {
  const parts = parseRepositoryUrl(url.trim());
  const segments = (parts?.path ?? '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .split('/')
    .filter((segment) => segment.length > 0);
  return { host: (parts?.host ?? '').toLowerCase(), segments };
}
