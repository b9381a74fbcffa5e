import { DOMAIN_PATTERN, parseImageReference } from './image-reference';

/** Registries cap repository names; skaffold cuts the substituted name to this many characters. */
const maxLength = 255;

/** Characters a single-level registry cannot hold in a repository name; they become `_`. */
const escapeRegexp = /[/._:@]/g;

/** A registry host followed by something shaped like a GCP project ID (as console.cloud.google.com allows). */
const prefixRegexp = new RegExp(`^${DOMAIN_PATTERN}/[a-z][a-z0-9-]{4,28}[a-z0-9]/?`);

/** Inputs of {@link substituteDefaultRepo}. */
export interface SubstituteDefaultRepoOptions {
  /** The image as written in skaffold.yaml or as built: `foo`, `gcr.io/a/b:tag`, `ko://example.com/cmd`. */
  image: string;
  /** The `--default-repo` value; empty or undefined leaves the image unchanged. */
  defaultRepo?: string;
  /**
   * Whether the registry accepts nested repository names (skaffold's global `multi-level-repo`).
   * Ignored for gcr.io and Artifact Registry (`-docker.pkg.dev`), which always do. Default false.
   */
  multiLevelRepo?: boolean;
}

/**
 * Rewrites an image into the default repository exactly as skaffold's `SubstituteDefaultRepoIntoImage`:
 * an image already under the default repo is kept; multi-level registries get `defaultRepo/<image>`
 * (dropping a shared `host/project` prefix); others get `defaultRepo/<image with / . _ : @ as _>`.
 * The result is cut to 255 characters before the tag and digest, which are kept.
 * Throws a GitopsError when the image is not a valid reference.
 */
export function substituteDefaultRepo({ image, defaultRepo, multiLevelRepo }: SubstituteDefaultRepoOptions): string {
  if (!defaultRepo) return image;
  const parsed = parseImageReference(image);
  let replaced = replaceRepository(defaultRepo, multiLevelRepo, parsed.baseName);
  if (parsed.tag) replaced += `:${parsed.tag}`;
  if (parsed.digest) replaced += `@${parsed.digest}`;
  return replaced;
}

function replaceRepository(defaultRepo: string, multiLevelRepo: boolean | undefined, baseImage: string): string {
  // A plain string prefix, without a "/" boundary, as skaffold compares.
  if (baseImage.startsWith(defaultRepo)) return baseImage;
  const originalPrefix = prefixRegexp.exec(baseImage)?.[0] ?? '';
  const defaultRepoPrefix = prefixRegexp.exec(defaultRepo)?.[0] ?? '';
  if (supportsMultiLevelRepos(defaultRepoPrefix, multiLevelRepo)) {
    if (originalPrefix === defaultRepoPrefix) return `${defaultRepo}/${baseImage.slice(originalPrefix.length)}`;
    return truncate(`${defaultRepo}/${baseImage}`);
  }
  return truncate(`${defaultRepo}/${baseImage.replace(escapeRegexp, '_')}`);
}

function supportsMultiLevelRepos(repoPrefix: string, multiLevelRepo: boolean | undefined): boolean {
  if (repoPrefix.includes('gcr.io') || repoPrefix.includes('-docker.pkg.dev')) return true;
  return multiLevelRepo ?? false;
}

function truncate(image: string): string {
  return image.length > maxLength ? image.slice(0, maxLength) : image;
}
