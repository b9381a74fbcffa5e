import { parseImageReference } from '../image-reference';

/**
 * The sha256 tag policy: `latest`, or `''` (use the image as written) when the image name already carries
 * a tag. Its name is historical: skaffold only knows the digest after a build, so render never sees one.
 */
export function sha256Tag(imageName: string): string {
  return parseImageReference(imageName).tag === '' ? 'latest' : '';
}
