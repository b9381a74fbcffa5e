import { GitopsError } from '../lib/errors';

/** Where a registry request for one image reference goes. */
export interface RegistryReference {
  /** The reference exactly as written into the manifest (`foo:1.0`). */
  reference: string;
  /**
   * The registry host (with port when given) that serves the image: `registry-1.docker.io` for Docker Hub
   * names, otherwise the first path component (`localhost:5000`, `gcr.io`).
   */
  registry: string;
  /** The repository path on that registry: `library/foo` for the Docker Hub name `foo`. */
  repository: string;
  /** The tag, `latest` when the reference names none. */
  tag: string;
  /** Whether the reference names a tag itself (so `latest` was not filled in). */
  hasTag: boolean;
  /** The digest the reference already carries (`sha256:…`), or `null`. */
  digest: string | null;
}

/** The host Docker Hub's registry API answers on, whatever name the user wrote. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', DOCKER_HUB_REGISTRY]);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/** Whether the first component of a name is a registry host rather than a Docker Hub namespace (Docker's rule). */
function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

function invalid(reference: string, why: string): GitopsError {
  return new GitopsError(`Invalid image reference "${reference}": ${why}.`, {
    hint: 'Check the image name in skaffold.yaml (build.artifacts[].image) or in the manifests; references look like registry.example.com/team/app:1.0.',
  });
}

/**
 * Splits an image reference into the registry, repository, tag and digest a registry request needs. Docker Hub
 * names are normalised here (`foo` → `registry-1.docker.io` + `library/foo`) for the request only; callers
 * keep writing the reference as it was given.
 */
export function parseRegistryReference(reference: string): RegistryReference {
  let rest = reference.trim();
  if (!rest) throw invalid(reference, 'it is empty');
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(reference, `"${digest}" is not a digest (algorithm:hex)`);
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw invalid(reference, `"${tag}" is not a valid tag`);
  }
  const components = rest.split('/');
  let registry = DOCKER_HUB_REGISTRY;
  if (components.length > 1 && isRegistryHost(components[0])) {
    registry = components.shift() as string;
  }
  if (DOCKER_HUB_ALIASES.has(registry)) {
    registry = DOCKER_HUB_REGISTRY;
    if (components.length === 1) components.unshift('library');
  }
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(reference, `the repository path component "${component}" must be lowercase letters, digits and separators`);
    }
  }
  return {
    reference,
    registry,
    repository: components.join('/'),
    tag: tag ?? 'latest',
    hasTag: tag !== null,
    digest,
  };
}
