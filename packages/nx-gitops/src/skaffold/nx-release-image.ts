import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { GitopsError } from '../lib/errors';
import { tryParseImageReference } from './image-reference';

/** The value of render's `images` option that takes the image `nx release` (through @nx/docker) tagged. */
export const NX_RELEASE_IMAGES = 'nx-release';

/** The variable @nx/docker takes a full image reference from in `nx release version`, overriding its version schemes. */
export const NX_DOCKER_IMAGE_REF_ENV = 'NX_DOCKER_IMAGE_REF';

/**
 * The Nx runtime input that stands for every @nx/docker version file of the workspace (`tmp/**\/.docker-version`,
 * path and content, sorted): `tmp/` is usually git-ignored, and Nx does not hash ignored files named as file
 * inputs. One command for all projects, so Nx runs it once per run.
 */
export const NX_RELEASE_VERSION_FILES_INPUT = 'grep -r --include=.docker-version "" tmp 2>/dev/null | LC_ALL=C sort || true';

/** The workspace-relative file @nx/docker writes the image reference of a project's release to (`tmp/<projectRoot>/.docker-version`). */
export function nxDockerVersionFile(projectRoot: string): string {
  return posix.join('tmp', projectRoot.split('\\').join('/'), '.docker-version');
}

/** An image reference `nx release` left for a project, and where it was read. */
export interface NxReleaseImage {
  reference: string;
  /** `NX_DOCKER_IMAGE_REF`, or the workspace-relative version file. */
  from: string;
  /** The reference without tag or digest. */
  repository: string;
}

/** Bytes of a version file read at most: it holds one image reference. */
const MAX_VERSION_FILE_BYTES = 4096;

/**
 * The image reference @nx/docker wrote for the project in `nx release version`: `NX_DOCKER_IMAGE_REF` when set
 * (as @nx/docker itself prefers it), else the content of `tmp/<projectRoot>/.docker-version`, trimmed. Throws a
 * {@link GitopsError} naming the `images` option when neither exists, or when the file is not one reference.
 */
export function readNxReleaseImage(options: {
  project: string;
  projectRoot: string;
  workspaceRoot: string;
  env: Readonly<Record<string, string | undefined>>;
}): NxReleaseImage {
  const fromEnv = options.env[NX_DOCKER_IMAGE_REF_ENV]?.trim();
  if (fromEnv) return checked({ reference: fromEnv, from: NX_DOCKER_IMAGE_REF_ENV, repository: '' }, options.project);
  const file = nxDockerVersionFile(options.projectRoot);
  const path = join(options.workspaceRoot, file);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new GitopsError(
      `${options.project}: the "images" option is "${NX_RELEASE_IMAGES}", but nx release wrote no image reference for it: ${NX_DOCKER_IMAGE_REF_ENV} is not set and ${file} does not exist.`,
      {
        hint: `Run "nx release version" (with @nx/docker) before render, set ${NX_DOCKER_IMAGE_REF_ENV}, or remove the "images" option to compute tags from the skaffold tag policy.`,
      },
    );
  }
  if (statSync(path).size > MAX_VERSION_FILE_BYTES) {
    throw new GitopsError(`${options.project}: ${file} is larger than an image reference (${MAX_VERSION_FILE_BYTES} bytes).`, {
      hint: `Run "nx release version" again, or remove the "images" option.`,
    });
  }
  return checked({ reference: readFileSync(path, 'utf8').trim(), from: file, repository: '' }, options.project);
}

/** A valid `repository:tag` (or `@digest`) reference, as @nx/docker writes it; throws naming where it came from. */
function checked(image: NxReleaseImage, project: string): NxReleaseImage {
  const parsed = /^\S+$/.test(image.reference) ? tryParseImageReference(image.reference) : undefined;
  if (!parsed || (!parsed.tag && !parsed.digest)) {
    throw new GitopsError(`${project}: ${image.from} does not hold an image reference with a tag or digest (@nx/docker writes "<repository>:<version>").`, {
      hint: `Run "nx release version" again${image.from === NX_DOCKER_IMAGE_REF_ENV ? `, or set ${NX_DOCKER_IMAGE_REF_ENV} to "<repository>:<tag>"` : ''}, or remove the "images" option.`,
    });
  }
  return { ...image, repository: parsed.baseName };
}

/**
 * The artifact (skaffold `build.artifacts[].image`) the released image stands for, as a `NAME=REFERENCE` entry of
 * the `images` option: the only artifact of the service, else the one whose name is the reference's repository or
 * its last path segments (`registry.example.com/team/api:1` is artifact `api` or `team/api`). Throws when no or
 * several artifacts match, naming them.
 */
export function nxReleaseImageEntry(options: { project: string; image: NxReleaseImage; artifacts: readonly string[] }): string {
  const artifacts = [...new Set(options.artifacts)];
  const { reference, from, repository } = options.image;
  if (artifacts.length === 0) {
    throw new GitopsError(`${options.project}: the "images" option is "${NX_RELEASE_IMAGES}", but the skaffold config builds no artifact to give ${from}'s image to.`, {
      hint: 'Add the image to build.artifacts, or remove the "images" option.',
    });
  }
  if (artifacts.length === 1) return `${artifacts[0]}=${reference}`;
  const matches = artifacts.filter((artifact) => repository === artifact || repository.endsWith(`/${artifact}`));
  if (matches.length === 1) return `${matches[0]}=${reference}`;
  throw new GitopsError(
    `${options.project}: the "images" option is "${NX_RELEASE_IMAGES}", and the released image ${reference} (from ${from}) ${matches.length === 0 ? 'matches none' : 'matches several'} of the artifacts ${artifacts.join(', ')}.`,
    { hint: 'Name the repository of the @nx/docker release after one artifact (dockerOptions.repositoryName), or list the images as "NAME=REFERENCE" entries in the "images" option.' },
  );
}
