import { GitopsError } from '../../lib/errors';
import { redact, secretsFromEnv } from '../../lib/redact';
import { parseImageReference } from '../image-reference';

/**
 * The full image reference for a computed tag: `imageName:tag`, or `imageName` as written when the tag is
 * empty. Throws a {@link GitopsError} when the image name or the result is not a valid reference, where
 * skaffold would fall back to `:latest`.
 */
export function tagImage(imageName: string, tag: string): string {
  parseImageReference(imageName);
  if (tag === '') return imageName;
  const full = `${imageName}:${tag}`;
  try {
    parseImageReference(full);
  } catch (cause) {
    throw new GitopsError(`The tag ${redact(JSON.stringify(tag), secretsFromEnv())} computed for image "${imageName}" does not make a valid image reference.`, {
      hint: 'A tag has at most 128 characters from [A-Za-z0-9_.-] and does not start with "." or "-"; fix build.tagPolicy in skaffold.yaml.',
      cause,
    });
  }
  return full;
}
