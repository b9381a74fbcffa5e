/**
 * The OCI registry client: digests of image references, with the credentials docker would use. Core code; it
 * imports nothing from Nx.
 */
export { pinDigests } from './pin-digests';
export { DIGEST_LOOKUP_DEFAULTS, MANIFEST_ACCEPT, manifestUrl, resolveImageDigest, resolveImageDigests, type DigestLookupOptions } from './resolve-digest';
export { parseRegistryReference, DOCKER_HUB_REGISTRY, type RegistryReference } from './registry-reference';
export { allowsPlainHttp, registryBaseUrl } from './registry-http';
export { dockerConfigPath, findRegistryCredentials, type CredentialLookup, type RegistryCredentials } from './docker-config';
