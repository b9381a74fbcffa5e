import { join } from 'node:path';

/** One image that `render` wrote into a manifest. */
export interface RenderedImage {
  /** The image name as the skaffold artifact declares it (`foo`). */
  name: string;
  /** The repository written into the manifest, after default-repo substitution (`registry.example.com/foo`). */
  repository: string;
  /** The tag written, e.g. `develop-1a2b3c4`; `null` when the reference carries no tag. */
  tag: string | null;
  /** The digest written, `sha256:…`, or `null` when the image is pinned by tag only. */
  digest: string | null;
  /** The full reference as it appears in the manifest. */
  reference: string;
}

/** The content of `images.json`, written beside every rendered `manifest.yaml`. */
export interface RenderedImagesFile {
  project: string;
  environment: string;
  /** The full source commit the render was made from, when the workspace is a git repository. */
  sourceCommit: string | null;
  images: RenderedImage[];
}

/** File names inside a render output directory. */
export const MANIFEST_FILE_NAME = 'manifest.yaml';
export const IMAGES_FILE_NAME = 'images.json';

/** The workspace-relative directory `render` writes for one project and environment. */
export function renderOutputDir(project: string, environment: string): string {
  return join('dist', 'manifests', project, environment);
}
