import { type DigestLookupOptions, resolveImageDigests } from './resolve-digest';
import { parseRegistryReference } from './registry-reference';

/**
 * Pins every image reference to the digest its registry holds now: `name:tag` becomes `name:tag@sha256:…`,
 * written exactly as given (a Docker Hub name stays `foo`, not `registry-1.docker.io/library/foo`). A reference
 * that already carries a digest is returned unchanged, without a request. Returns a map from each given
 * reference to its pinned form.
 */
export async function pinDigests(options: DigestLookupOptions & { references: readonly string[] }): Promise<Map<string, string>> {
  const unpinned = options.references.filter((reference) => parseRegistryReference(reference).digest === null);
  const digests = await resolveImageDigests({ ...options, references: unpinned });
  return new Map(
    options.references.map((reference) => {
      const digest = digests.get(reference);
      return [reference, digest ? `${reference}@${digest}` : reference];
    }),
  );
}
