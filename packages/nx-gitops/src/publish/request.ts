import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { GitopsError } from '../lib/errors';
import { IMAGES_FILE_NAME, MANIFEST_FILE_NAME, renderOutputDir, type RenderedImagesFile } from '../manifests/render-output';
import { buildUrlFromEnv, formatCommitMessage } from './commit-message';
import { DEFAULT_AUTHOR, MANIFEST_REPOSITORY_ENV, PUBLISH_DEFAULTS, type PublishManifestOptions } from './options';
import type { PublishRequest } from './publisher';
import { resolveBranchName, resolveRepositoryPath } from './templates';
import type { WorkspaceGitInfo } from './workspace-info';

/** One project and environment to publish, as a caller (an Nx task) names it. */
export interface PublishTarget {
  /** Identifies the target in results (the Nx task id, say). */
  id: string;
  project: string;
  /** The Nx configuration; the environment when the `environment` option is not set. */
  configuration?: string;
  options: PublishManifestOptions;
}

/** A target turned into a request for one repository, with the run-level options it carries. */
export interface ResolvedTarget {
  request: PublishRequest;
  repository: string;
  dryRun: boolean;
  maxAttempts: number;
}

/**
 * The manifest repository git should use: URLs and SCP-style addresses as given, local paths resolved
 * against the workspace (git would otherwise resolve them against the cache repository).
 */
export function resolveRepositoryLocation(repository: string, workspaceRoot: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repository)) return repository;
  const colon = repository.indexOf(':');
  const slash = repository.indexOf('/');
  if (colon > 1 && (slash === -1 || colon < slash)) return repository;
  return isAbsolute(repository) ? repository : resolve(workspaceRoot, repository);
}

/** Throws when an image of the rendered manifest carries a `-dirty` tag and `allowDirty` is off. */
export function refuseDirtyImages(options: { images: RenderedImagesFile; allowDirty: boolean; imagesFile: string }): void {
  if (options.allowDirty) return;
  const dirty = options.images.images.filter((image) => image.tag?.endsWith('-dirty'));
  if (dirty.length === 0) return;
  throw new GitopsError(
    `Refusing to publish ${options.images.project}/${options.images.environment}: ${dirty.map((image) => image.reference).join(', ')} ` +
      `carry a "-dirty" tag (rendered from uncommitted changes, listed in ${options.imagesFile}).`,
    { hint: 'Commit your changes and render again, or set the "allowDirty" option to publish anyway.' },
  );
}

function readImagesFile(path: string): RenderedImagesFile {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as RenderedImagesFile;
    if (!parsed || !Array.isArray(parsed.images)) throw new Error('it has no "images" list');
    return parsed;
  } catch (error) {
    throw new GitopsError(`Cannot read ${path}: ${(error as Error).message}.`, { hint: 'Run the render target again.', cause: error });
  }
}

/**
 * Turns a target into a publish request. Everything that can be checked without git is checked here,
 * so a bad template, a missing repository or a dirty image fails before any git command runs: the
 * branch and path templates, the repository, the rendered files and their images.
 */
export function resolveTarget(options: {
  workspaceRoot: string;
  target: PublishTarget;
  workspace: WorkspaceGitInfo;
  env: Readonly<Record<string, string | undefined>>;
}): ResolvedTarget {
  const { workspaceRoot, target, workspace, env } = options;
  const opts = { ...PUBLISH_DEFAULTS, ...stripUndefined(target.options) };
  const environment = opts.environment ?? target.configuration;
  if (!environment) {
    throw new GitopsError(`No environment to publish for project "${target.project}".`, {
      hint: 'Run a configuration of the target (nx run <project>:publish-manifest:<environment>) or set the "environment" option.',
    });
  }
  const values = { project: target.project, environment };
  const branch = resolveBranchName({ template: opts.branch, values });
  const path = resolveRepositoryPath({ template: opts.path, values });
  const baseBranch = opts.baseBranch ? resolveBranchName({ template: opts.baseBranch, values, option: 'baseBranch' }) : null;
  const repository = opts.manifestRepository || env[MANIFEST_REPOSITORY_ENV];
  if (!repository) {
    throw new GitopsError(`No manifest repository to publish ${target.project}/${environment} to.`, {
      hint: `Set the "manifestRepository" option (plugin or target options) or the ${MANIFEST_REPOSITORY_ENV} environment variable.`,
    });
  }
  if (!Number.isInteger(opts.maxAttempts) || opts.maxAttempts < 1) {
    throw new GitopsError(`"maxAttempts" must be a positive integer, got ${opts.maxAttempts}.`, { hint: 'Set "maxAttempts" to 1 or more.' });
  }
  const outputDir = join(workspaceRoot, renderOutputDir(target.project, environment));
  const manifestFile = join(outputDir, MANIFEST_FILE_NAME);
  const imagesFile = join(outputDir, IMAGES_FILE_NAME);
  if (!existsSync(manifestFile) || !existsSync(imagesFile)) {
    const missing = join(renderOutputDir(target.project, environment), existsSync(manifestFile) ? IMAGES_FILE_NAME : MANIFEST_FILE_NAME);
    throw new GitopsError(`No rendered manifest for ${target.project}/${environment}: ${missing} is missing.`, {
      hint: `Run "nx run ${target.project}:render:${environment}" first (publish-manifest depends on render).`,
    });
  }
  const images = readImagesFile(imagesFile);
  refuseDirtyImages({ images, allowDirty: opts.allowDirty, imagesFile: join(renderOutputDir(target.project, environment), IMAGES_FILE_NAME) });
  const message = formatCommitMessage({
    template: opts.message,
    project: target.project,
    environment,
    branch,
    provenance: { sourceCommit: images.sourceCommit ?? workspace.head, sourceRepository: workspace.origin, buildUrl: buildUrlFromEnv(env) },
  });
  return {
    repository: resolveRepositoryLocation(repository, workspaceRoot),
    dryRun: opts.dryRun,
    maxAttempts: opts.maxAttempts,
    request: {
      id: target.id,
      project: target.project,
      environment,
      branch,
      baseBranch,
      mode: opts.mode,
      files: [{ path, sourceFile: manifestFile }],
      message,
      author: {
        name: opts.authorName ?? workspace.userName ?? DEFAULT_AUTHOR.name,
        email: opts.authorEmail ?? workspace.userEmail ?? DEFAULT_AUTHOR.email,
      },
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
