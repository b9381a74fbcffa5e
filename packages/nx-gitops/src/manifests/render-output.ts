import { isAbsolute, join } from 'node:path';
import { GitopsError } from '../lib/errors';

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

/** A file named by an option that the render read, with the hash of what it held then. */
export interface RenderedInputFile {
  /** Workspace-relative posix path (absolute when the file lies outside the workspace). */
  file: string;
  /** Hex sha256 of the file's bytes when the render read it. */
  sha256: string;
}

/**
 * The content of `images.json`, written beside every rendered `manifest.yaml`. Fields after `images` were
 * added later: a reader must accept a file without them (written by an earlier version of nx-gitops).
 */
export interface RenderedImagesFile {
  project: string;
  environment: string;
  /** The full source commit the render was made from, when the workspace is a git repository. */
  sourceCommit: string | null;
  images: RenderedImage[];
  /** How many Kubernetes objects `manifest.yaml` holds. */
  objectCount?: number;
  /** The skaffold config that was rendered, workspace-relative. */
  skaffoldConfig?: string;
  /**
   * Every workspace-relative posix path the render read (files, and directories meaning everything
   * under them), sorted; publishing refuses when one of them differs from `HEAD`.
   */
  sources?: string[];
  /** The build-artifacts file the render took pre-built images from, or `null` when it used none. */
  buildArtifacts?: RenderedInputFile | null;
}

/** File names inside a render output directory. */
export const MANIFEST_FILE_NAME = 'manifest.yaml';
export const IMAGES_FILE_NAME = 'images.json';

/**
 * Why `name` cannot name a directory below `dist/manifests`, or `null` when it can. A project name may
 * hold `/` (an npm-scoped name), an environment may not; neither may be empty, absolute, hold a backslash,
 * a control character, or a `.` or `..` component, so the directory always stays where it is expected.
 */
export function outputNameProblem(name: string, options: { allowSlash: boolean }): string | null {
  if (name.length === 0) return 'it is empty';
  if (isAbsolute(name) || /^[a-zA-Z]:/.test(name)) return 'it is an absolute path';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it contains a control character';
  if (name.includes('\\')) return 'it contains a backslash';
  if (!options.allowSlash && name.includes('/')) return 'it contains "/"';
  for (const component of name.split('/')) {
    if (component === '') return 'it has an empty path component';
    if (component === '.' || component === '..') return `it contains a "${component}" component`;
  }
  return null;
}

/**
 * The workspace-relative directory `render` writes for one project and environment. Throws a
 * {@link GitopsError} when either name would lead outside `dist/manifests/<project>/<environment>`.
 */
export function renderOutputDir(project: string, environment: string): string {
  const projectProblem = outputNameProblem(project, { allowSlash: true });
  if (projectProblem) {
    throw new GitopsError(`Refusing project name "${project}": ${projectProblem}, so its output would not stay inside dist/manifests/.`, {
      hint: 'Rename the project (the "name" in its project.json, else its folder).',
    });
  }
  const environmentProblem = outputNameProblem(environment, { allowSlash: false });
  if (environmentProblem) {
    throw new GitopsError(
      `Refusing environment name "${environment}" of ${project}: ${environmentProblem}, so its output would not stay inside dist/manifests/${project}/.`,
      { hint: 'Set the "environment" option (or run a configuration, -c <environment>) to a plain name such as "production".' },
    );
  }
  return join('dist', 'manifests', project, environment);
}
