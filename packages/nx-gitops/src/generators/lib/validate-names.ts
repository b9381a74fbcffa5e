import { GitopsError } from '../../lib/errors';

/** A Kubernetes DNS-1123 label: lower-case alphanumerics and `-`, starting and ending alphanumeric. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * An image name as the distribution reference grammar allows it, without tag or digest: an optional registry
 * host (with port) and one or more lower-case path components.
 */
const IMAGE_NAME = (() => {
  const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
  const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
  const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
  return new RegExp(`^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*$`);
})();

/** What is being checked and the option that sets it, for the error message. */
export interface NameCheck {
  value: string;
  /** What the value names, e.g. `service name`. */
  what: string;
  /** The option or argument that sets it, e.g. `--environments`. */
  option: string;
}

/** Throws a {@link GitopsError} unless `value` is a DNS-1123 label (Kubernetes names, namespaces, labels). */
export function assertDnsLabel({ value, what, option }: NameCheck): void {
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new GitopsError(
      `Invalid ${what} "${value}": it must be a DNS-1123 label (at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit).`,
      { hint: `Choose another value for ${option}.` },
    );
  }
}

/**
 * Throws a {@link GitopsError} unless `value` is an image name without tag or digest: skaffold adds the tag,
 * so a tag written here would never be used.
 */
export function assertImageName({ value, what, option }: NameCheck): void {
  const lastComponent = value.slice(value.lastIndexOf('/') + 1);
  if (value.includes('@') || lastComponent.includes(':')) {
    throw new GitopsError(`Invalid ${what} "${value}": give the image name without a tag or digest; the tag policy in skaffold.yaml sets it.`, {
      hint: `Remove the tag from ${option}.`,
    });
  }
  if (value.length > 255 || !IMAGE_NAME.test(value)) {
    throw new GitopsError(
      `Invalid ${what} "${value}": an image name is an optional registry host (with port) followed by lower-case path components separated by "/".`,
      { hint: `Choose another value for ${option}.` },
    );
  }
}

/**
 * Turns a comma-separated list or an array (as Nx passes array options) into trimmed, non-empty entries,
 * each a DNS-1123 label, without duplicates.
 */
export function parseEnvironmentList(value: string | readonly string[], option: string): string[] {
  const entries = (typeof value === 'string' ? value.split(',') : value.flatMap((entry) => entry.split(',')))
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) {
    throw new GitopsError('No environment given.', { hint: `Pass at least one environment to ${option}, e.g. ${option}=develop,production.` });
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    assertDnsLabel({ value: entry, what: 'environment name', option });
    if (seen.has(entry)) {
      throw new GitopsError(`Environment "${entry}" is listed twice.`, { hint: `List each environment once in ${option}.` });
    }
    seen.add(entry);
  }
  return entries;
}

/**
 * Throws a {@link GitopsError} when a repository URL carries credentials: generated files are committed, and a
 * token must only ever come from the environment.
 */
export function assertNoUrlCredentials(url: string, option: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(url) || /^https?:\/\/[^/@\s]+@/i.test(url)) {
    throw new GitopsError(`The repository URL given to ${option} contains credentials; they would be written into a committed file.`, {
      hint: `Pass the URL without user information; give the token through the NX_GITOPS_TOKEN environment variable or the GitOps tool's own secret.`,
    });
  }
}
