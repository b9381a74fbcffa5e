import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { GitopsError } from '../lib/errors';
import { readJsonFile } from '../manifests/yaml-limits';
import { IMAGES_FILE_NAME, MANIFEST_FILE_NAME, renderOutputDir, type RenderedImagesFile } from '../manifests/render-output';
import type * as ManifestYamlModule from '../manifests/yaml';
import { buildUrlFromEnv, formatArgoCommitMessage, formatCommitMessage, type Provenance } from './commit-message';
import { activeBranchOf, hydratorFiles, proposedBranchOf, resolveManifestPath } from './hydrator';
import { DEFAULT_AUTHOR, MANIFEST_REPOSITORY_ENV, PUBLISH_DEFAULTS, type PublishManifestOptions } from './options';
import type { PublishRequest } from './publisher';
import { planPullRequest, type PullRequestPlan } from './pull-request';
import type { ChangedSource } from './source-status';
import { resolveBranchName, templateUses } from './templates';
import type { WorkspaceGitInfo } from './workspace-info';

/**
 * The YAML parser of rendered manifests, loaded on first use: only a render from before `objectCount` was
 * recorded needs it, and every publish batch would otherwise load the YAML library at start.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const manifestYaml = (): typeof ManifestYamlModule => require('../manifests/yaml') as typeof ManifestYamlModule;

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
  /** The deadline of each git network command, in seconds (`networkTimeoutSeconds`). */
  networkTimeoutSeconds: number;
  /** Whether credentials may go over plain http to a host that is not loopback (`allowInsecureTransport`). */
  allowInsecureTransport: boolean;
  /** Whether uncommitted changes are published (`allowDirty`): the commit carries `Source-Dirty: true`. */
  sourceDirty: boolean;
  /** Workspace-relative files that differed from `HEAD` and were published anyway. */
  dirtySources: string[];
  /** With `pullRequest`: the pull request to open once the request's branch (the pull-request branch) is pushed. */
  pullRequest?: PullRequestPlan;
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
  // Bounded, and an error never quotes the file's content.
  const parsed = readJsonFile({ file: path, hint: 'Run the render target again.' }) as RenderedImagesFile;
  if (!parsed || !Array.isArray(parsed.images)) {
    throw new GitopsError(`Cannot read ${path}: it has no "images" list.`, { hint: 'Run the render target again.' });
  }
  return parsed;
}

/** A target's render output, found and read. */
export interface RenderedOutput {
  project: string;
  environment: string;
  /** Absolute paths of the rendered files. */
  manifestFile: string;
  imagesFile: string;
  images: RenderedImagesFile;
}

/** The environment a target publishes: the `environment` option, else the configuration. */
function targetEnvironment(target: PublishTarget): string {
  const environment = target.options.environment ?? target.configuration;
  if (!environment) {
    throw new GitopsError(`No environment to publish for project "${target.project}".`, {
      hint: 'Run a configuration of the target (nx run <project>:publish-manifest:<environment>) or set the "environment" option.',
    });
  }
  return environment;
}

/** Finds and reads what `render` wrote for a target; throws naming the render to run when it is missing. */
export function readRenderedOutput(options: { workspaceRoot: string; target: PublishTarget }): RenderedOutput {
  const { target } = options;
  const environment = targetEnvironment(target);
  const relativeDir = renderOutputDir(target.project, environment);
  const outputDir = join(options.workspaceRoot, relativeDir);
  const manifestFile = join(outputDir, MANIFEST_FILE_NAME);
  const imagesFile = join(outputDir, IMAGES_FILE_NAME);
  if (!existsSync(manifestFile) || !existsSync(imagesFile)) {
    const missing = join(relativeDir, existsSync(manifestFile) ? IMAGES_FILE_NAME : MANIFEST_FILE_NAME);
    throw new GitopsError(`No rendered manifest for ${target.project}/${environment}: ${missing} is missing.`, {
      hint: `Run "nx run ${target.project}:render:${environment}" first (publish-manifest depends on render).`,
    });
  }
  return { project: target.project, environment, manifestFile, imagesFile, images: readImagesFile(imagesFile) };
}

/** Throws when the render holds no Kubernetes object and `allowEmpty` is off. */
export function refuseEmptyRender(options: { rendered: RenderedOutput; allowEmpty: boolean }): void {
  if (options.allowEmpty) return;
  const { images, manifestFile, project, environment } = options.rendered;
  const count = typeof images.objectCount === 'number' ? images.objectCount : manifestYaml().parseManifests(readFileSync(manifestFile, 'utf8'), manifestFile).length;
  if (count > 0) return;
  const config = images.skaffoldConfig ?? 'its skaffold config';
  throw new GitopsError(
    `Refusing to publish ${project}/${environment}: the render has no Kubernetes objects (${config} produced nothing for environment "${environment}").`,
    { hint: `Check the manifests and profiles of ${config} for this environment, or set the "allowEmpty" option to publish an empty manifest.` },
  );
}

/**
 * Throws when the build-artifacts file the render read now holds something else: Nx hashes the option's
 * string, not the file it names, so a cached render of other artifacts may have been replayed.
 */
export function refuseStaleBuildArtifacts(options: { rendered: RenderedOutput; workspaceRoot: string }): void {
  const recorded = options.rendered.images.buildArtifacts;
  if (!recorded) return;
  const { project, environment } = options.rendered;
  const file = isAbsolute(recorded.file) ? recorded.file : join(options.workspaceRoot, recorded.file);
  const now = existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : null;
  if (now === recorded.sha256) return;
  const what = now === null ? 'no longer exists' : `changed since the render read it (sha256 ${recorded.sha256.slice(0, 12)} then, ${now.slice(0, 12)} now)`;
  throw new GitopsError(
    `Refusing to publish ${project}/${environment}: the build artifacts file ${recorded.file} ${what}; ` +
      'the render was made from other build artifacts, e.g. replayed from the Nx cache.',
    { hint: `Render again with --skip-nx-cache (nx run ${project}:render:${environment} --skip-nx-cache), then publish.` },
  );
}

/** How many changed files a refusal lists before it says how many more there are. */
const LISTED_CHANGES = 10;

/** Throws when files the render read differ from `HEAD` and `allowDirty` is off. */
export function refuseChangedSources(options: { rendered: RenderedOutput; changed: readonly ChangedSource[]; allowDirty: boolean }): void {
  if (options.allowDirty || options.changed.length === 0) return;
  const { project, environment } = options.rendered;
  const listed = options.changed.slice(0, LISTED_CHANGES).map((entry) => `${entry.path} (${entry.change})`);
  const more = options.changed.length > LISTED_CHANGES ? ` and ${options.changed.length - LISTED_CHANGES} more` : '';
  throw new GitopsError(
    `Refusing to publish ${project}/${environment}: files the render read differ from HEAD, so the commit's Source-Commit would not contain them: ` +
      `${listed.join(', ')}${more}.`,
    { hint: 'Commit or discard these changes and render again, or set the "allowDirty" option to publish anyway (the commit then carries "Source-Dirty: true").' },
  );
}

/** Throws when `mode: replace` would replace files of other projects: the whole root of a branch they share. */
function refuseSharedReplace(options: { project: string; branchTemplate: string; pathTemplate: string; replaceDir: string }): void {
  if (templateUses(options.branchTemplate, 'project') || templateUses(posix.dirname(options.pathTemplate), 'project')) return;
  const where = options.replaceDir === '' ? 'the whole branch' : `everything under "${options.replaceDir}/"`;
  throw new GitopsError(
    `Refusing mode "replace" for ${options.project}: the "branch" template "${options.branchTemplate}" is shared between projects, and replacing ${where} would delete the other projects' manifests.`,
    { hint: 'Put {project} in the "path" option\'s directory (e.g. "{project}/manifest.yaml") or in the "branch" option, or use mode "merge".' },
  );
}

/**
 * Turns a target into a publish request. Everything that can be checked without the manifest repository
 * is checked here, so a bad template, a missing repository, an empty render, changed sources or stale
 * build artifacts fail before any git command touches it: the branch and path templates, the repository,
 * the rendered files and their images. `changed` lists the target's sources that differ from `HEAD`
 * (`null` when that could not be asked: no git repository, or a render that recorded no sources).
 */
export function resolveTarget(options: {
  workspaceRoot: string;
  target: PublishTarget;
  workspace: WorkspaceGitInfo;
  env: Readonly<Record<string, string | undefined>>;
  /** The target's render output, when the caller read it already. */
  rendered?: RenderedOutput;
  changed?: readonly ChangedSource[] | null;
}): ResolvedTarget {
  const { workspaceRoot, target, workspace, env } = options;
  const opts = { ...PUBLISH_DEFAULTS, ...stripUndefined(target.options) };
  const environment = targetEnvironment(target);
  const values = { project: target.project, environment };
  const named = resolveBranchName({ template: opts.branch, values });
  // GitOps Promoter's monorepo layout: the service's folder on the environment's branch; `path` is inside it.
  const { folder, path } = resolveManifestPath({ pathTemplate: opts.path, activePathTemplate: opts.activePath, branchTemplate: opts.branch, values });
  if (folder !== null && opts.pullRequest) {
    throw new GitopsError(`Refusing "pullRequest" for ${target.project}/${environment} with "activePath": the services of one environment share its branch, and a pull request per service is not supported.`, {
      hint: 'Remove the "activePath" option (one branch per service), or set "pullRequest" to false.',
    });
  }
  if (opts.pullRequest && (opts.promotion === 'next' || activeBranchOf(named) !== null || opts.baseBranch)) {
    throw new GitopsError(`Refusing "pullRequest" for ${target.project}/${environment} with ${opts.baseBranch ? '"baseBranch"' : 'promotion "next"'}: the pull request goes into the branch itself, which must exist.`, {
      hint: 'Remove the "baseBranch" option or set "promotion" to "none" (and use a branch that does not end in -next), or set "pullRequest" to false.',
    });
  }
  const promotion = resolvePromotion({ project: target.project, environment, named, promotion: opts.promotion, baseBranch: opts.baseBranch, workspace, folder });
  const branch = promotion?.branch ?? named;
  const baseBranch = promotion?.activeBranch ?? (opts.baseBranch ? resolveBranchName({ template: opts.baseBranch, values, option: 'baseBranch' }) : null);
  const replaceDir = folder ?? (posix.dirname(path) === '.' ? '' : posix.dirname(path));
  if (opts.mode === 'replace' && folder === null) refuseSharedReplace({ project: target.project, branchTemplate: opts.branch, pathTemplate: opts.path, replaceDir });
  const repository = opts.manifestRepository || env[MANIFEST_REPOSITORY_ENV];
  if (!repository) {
    throw new GitopsError(`No manifest repository to publish ${target.project}/${environment} to.`, {
      hint: `Set the "manifestRepository" option (plugin or target options) or the ${MANIFEST_REPOSITORY_ENV} environment variable.`,
    });
  }
  if (!Number.isInteger(opts.maxAttempts) || opts.maxAttempts < 1) {
    throw new GitopsError(`"maxAttempts" must be a positive integer, got ${opts.maxAttempts}.`, { hint: 'Set "maxAttempts" to 1 or more.' });
  }
  if (typeof opts.networkTimeoutSeconds !== 'number' || !(opts.networkTimeoutSeconds > 0)) {
    throw new GitopsError(`"networkTimeoutSeconds" must be a positive number, got ${opts.networkTimeoutSeconds}.`, { hint: 'Set "networkTimeoutSeconds" to 1 or more.' });
  }
  const rendered = options.rendered ?? readRenderedOutput({ workspaceRoot, target });
  const { images } = rendered;
  refuseEmptyRender({ rendered, allowEmpty: opts.allowEmpty });
  refuseStaleBuildArtifacts({ rendered, workspaceRoot });
  refuseDirtyImages({ images, allowDirty: opts.allowDirty, imagesFile: join(renderOutputDir(target.project, environment), IMAGES_FILE_NAME) });
  const changed = options.changed ?? [];
  refuseChangedSources({ rendered, changed, allowDirty: opts.allowDirty });
  const sourceDirty = changed.length > 0 || images.images.some((image) => image.tag?.endsWith('-dirty'));
  // The workspace publishing is the source: a render Nx replayed from its cache names the commit it was first made at.
  const provenance: Provenance = { sourceCommit: workspace.head, sourceRepository: workspace.origin, buildUrl: buildUrlFromEnv(env), sourceDirty };
  const messageStyle = opts.messageStyle ?? (promotion ? 'argocd' : 'render');
  if (messageStyle === 'argocd' && !workspace.source) {
    throw new GitopsError(`Cannot write an Argo CD style commit message for ${target.project}/${environment}: the workspace has no source commit.`, {
      hint: 'Publish from a git repository with at least one commit, or set the "messageStyle" option to "render".',
    });
  }
  const message =
    messageStyle === 'argocd' && workspace.source
      ? formatArgoCommitMessage({ source: workspace.source, provenance })
      : formatCommitMessage({ template: opts.message, project: target.project, environment, branch, provenance });
  // Without a source commit there is no drySha to record: the hydrator files need one.
  const generated =
    opts.hydratorMetadata && workspace.source
      ? hydratorFiles({ source: workspace.source, manifestDir: replaceDir, command: `npx nx run ${target.project}:render:${environment}` })
      : [];
  const location = resolveRepositoryLocation(repository, workspaceRoot);
  const pullRequest = opts.pullRequest
    ? planPullRequest({
        workspaceRoot,
        repository: location,
        env,
        rendered,
        targetBranch: branch,
        sourceCommit: workspace.head,
        message,
        pullRequestBranch: opts.pullRequestBranch,
        forge: opts.forge,
        forgeApiUrl: opts.forgeApiUrl,
      })
    : undefined;
  return {
    repository: location,
    dryRun: opts.dryRun,
    maxAttempts: opts.maxAttempts,
    allowInsecureTransport: opts.allowInsecureTransport,
    networkTimeoutSeconds: opts.networkTimeoutSeconds,
    sourceDirty,
    dirtySources: changed.map((entry) => entry.path),
    ...(pullRequest ? { pullRequest } : {}),
    request: {
      id: target.id,
      project: target.project,
      environment,
      // Pull-request mode: the pull-request branch, created from the target branch and compared with it.
      branch: pullRequest?.headBranch ?? branch,
      baseBranch: pullRequest ? branch : baseBranch,
      ...(pullRequest ? { comparedWithBase: true, pushOptions: pullRequest.pushOptions } : {}),
      mode: opts.mode,
      replaceDir,
      files: [{ path, sourceFile: rendered.manifestFile }, ...generated.map((file) => ({ ...file, generated: true as const }))],
      message,
      ...(promotion ? { activeBranch: promotion.activeBranch, note: workspace.source!.sha } : {}),
      ...(folder !== null ? { folder, sourceCommit: workspace.head } : {}),
      author: {
        name: opts.authorName ?? workspace.userName ?? DEFAULT_AUTHOR.name,
        email: opts.authorEmail ?? workspace.userEmail ?? DEFAULT_AUTHOR.email,
      },
    },
  };
}

/**
 * With promotion `next` (or a branch name ending in `-next`): the `-next` branch to publish to and the
 * active branch it starts from; `null` without promotion. Refuses what GitOps Promoter could not use: no
 * source commit (no drySha), or a `baseBranch` (a `-next` branch starts from its active branch only).
 */
function resolvePromotion(options: {
  project: string;
  environment: string;
  named: string;
  promotion: PublishManifestOptions['promotion'];
  baseBranch: string | undefined;
  workspace: WorkspaceGitInfo;
  /** With `activePath`: the service's folder, which ends the proposed branch's name. */
  folder: string | null;
}): { branch: string; activeBranch: string } | null {
  const { named, project, environment } = options;
  const active = activeBranchOf(named);
  if (options.promotion !== 'next' && active === null) return null;
  if (options.baseBranch) {
    throw new GitopsError(`Refusing "baseBranch" for ${project}/${environment} with promotion "next": the -next branch starts from its active branch, never from another.`, {
      hint: 'Remove the "baseBranch" option, or set "promotion" to "none" and use a branch name that does not end in -next.',
    });
  }
  if (!options.workspace.source) {
    throw new GitopsError(`Cannot publish ${project}/${environment} for promotion: the workspace has no source commit, and GitOps Promoter needs its drySha.`, {
      hint: 'Publish from a git repository with at least one commit, or set the "promotion" option to "none".',
    });
  }
  const activeBranch = active ?? named;
  return { branch: proposedBranchOf({ activeBranch, activePath: options.folder }), activeBranch };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
