import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { GitopsError } from '../../lib/errors';
import { runCommand } from '../../lib/exec';
import type { GitopsLogger } from '../../lib/log';
import {
  IMAGES_FILE_NAME,
  MANIFEST_FILE_NAME,
  renderOutputDir,
  type RenderedImage,
  type RenderedImagesFile,
  type RenderedInputFile,
} from '../../manifests/render-output';
import { parseManifests } from '../../manifests/yaml';
import { listRenderSources } from '../../plugin/render-sources';
import { loadSkaffoldConfigs } from '../../skaffold/config';
import { substituteDefaultRepo } from '../../skaffold/default-repo';
import { parseImageReference, sanitizeImageName, tryParseImageReference } from '../../skaffold/image-reference';
import { renderedImage } from '../../skaffold/replace-images';
import {
  parseImagesOption,
  readBuildArtifactsFile,
  renderManifests,
  type DigestSource,
  type PrebuiltImage,
  type RenderResult,
} from '../../skaffold/render';
import { NX_RELEASE_IMAGES, nxReleaseImageEntry, readNxReleaseImage, type NxReleaseImage } from '../../skaffold/nx-release-image';
import { renderWithSkaffoldCli } from '../../skaffold/skaffold-cli';
import type { GitInfoCache } from '../../skaffold/tags';
import type { RenderExecutorOptions } from './schema';

/** One render to do: a project and environment with every option resolved to absolute paths and values. */
export interface RenderTask {
  project: string;
  environment: string;
  workspaceRoot: string;
  configFile: string;
  outputFile: string;
  /** Whether `outputFile` came from the `output` option (it is then checked against the workspace's files). */
  outputFromOption: boolean;
  profiles: string[];
  defaultRepo?: string;
  multiLevelRepo: boolean;
  digestSource: DigestSource;
  buildArtifactsFile?: string;
  images: string[];
  /** With `images: nx-release`: the image reference `nx release` wrote, given to the service's artifact. */
  nxReleaseImage?: NxReleaseImage;
  customTag?: string;
  labels: Record<string, string>;
  namespace?: string;
  engine: 'native' | 'skaffold';
  skaffoldBinary: string;
  kustomize: 'auto' | 'builtin' | 'binary';
  kustomizeBinary?: string;
  insecureRegistries: string[];
  helmBinary?: string;
  allowUnpinnedCharts: boolean;
}

/** Defaults of the render executor's options, as schema.json declares them. */
export const RENDER_OPTION_DEFAULTS = {
  profiles: [] as string[],
  multiLevelRepo: false,
  digestSource: 'tag' as DigestSource,
  engine: 'native' as const,
  skaffoldBinary: 'skaffold',
  allowUnpinnedCharts: false,
  kustomize: 'auto' as 'auto' | 'builtin' | 'binary',
};

/** Splits `key=value` label entries (a bare `key` gets an empty value, as in skaffold). */
export function parseLabels(entries: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of entries.flatMap((item) => item.split(',')).map((item) => item.trim()).filter(Boolean)) {
    const separator = entry.indexOf('=');
    labels[separator < 0 ? entry : entry.slice(0, separator)] = separator < 0 ? '' : entry.slice(separator + 1);
  }
  return labels;
}

function list(value: string[] | string | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(',')).map((item) => item.trim()).filter(Boolean);
}

/**
 * The absolute file the `output` option names, checked: it must lie inside the workspace's `dist/` (what
 * Nx's outputs and the cache hold), must not be `images.json` (written beside it), and must not be a
 * directory. Throws a {@link GitopsError} naming the option otherwise.
 */
export function checkOutputOption(options: { output: string; workspaceRoot: string }): string {
  const file = resolve(options.workspaceRoot, options.output);
  const dist = resolve(options.workspaceRoot, 'dist');
  const inside = relative(dist, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new GitopsError(`Refusing output "${options.output}": render writes only inside the workspace's dist/ folder, and ${file} is not.`, {
      hint: 'Set the "output" option to a file under dist/, e.g. "dist/manifests/<project>/<environment>/manifest.yaml", or leave it out.',
    });
  }
  if (basename(file) === IMAGES_FILE_NAME) {
    throw new GitopsError(`Refusing output "${options.output}": ${IMAGES_FILE_NAME} is written beside the manifest.`, {
      hint: 'Set the "output" option to another file name, e.g. "manifest.yaml".',
    });
  }
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new GitopsError(`Refusing output "${options.output}": it is a directory.`, {
      hint: 'Set the "output" option to the manifest file to write, e.g. "dist/manifests/<project>/<environment>/manifest.yaml".',
    });
  }
  return file;
}

/** `file` relative to `workspaceRoot` with posix separators, or `file` itself when it lies outside. */
export function workspaceRelative(workspaceRoot: string, file: string): string {
  const path = relative(workspaceRoot, file);
  if (path === '' || path.startsWith('..') || isAbsolute(path)) return file;
  return path.split(sep).join('/');
}

/**
 * Resolves the executor's options for one project into a {@link RenderTask}: the environment (option, else
 * the configuration name), the skaffold config path, the output file, list options given as comma-separated
 * strings, and — as skaffold reads its flags from `SKAFFOLD_<FLAG>` — `defaultRepo`, `digestSource`,
 * `buildArtifacts` and `tag` from `SKAFFOLD_DEFAULT_REPO`, `SKAFFOLD_DIGEST_SOURCE`, `SKAFFOLD_BUILD_ARTIFACTS`
 * and `SKAFFOLD_TAG` when the option is not set. That lets `nx affected -t publish-manifest` pass them to the
 * render tasks it depends on.
 */
export function normalizeRenderOptions(input: {
  options: RenderExecutorOptions;
  project: string;
  projectRoot: string;
  configurationName?: string;
  workspaceRoot: string;
  env: Record<string, string | undefined>;
  /** Whether Nx may cache this render (`undefined` when unknown, as outside Nx). */
  cacheable?: boolean;
}): RenderTask {
  const { options, workspaceRoot } = input;
  const environment = options.environment ?? input.configurationName;
  if (!environment) {
    throw new GitopsError(`${input.project}: no environment to render.`, {
      hint: 'Pass --environment, or run a configuration of the target (e.g. -c production).',
    });
  }
  const outputDir = renderOutputDir(input.project, environment);
  const absolute = (path: string) => (isAbsolute(path) ? path : join(workspaceRoot, path));
  const digestSource = options.digestSource ?? (input.env.SKAFFOLD_DIGEST_SOURCE as DigestSource | undefined) ?? RENDER_OPTION_DEFAULTS.digestSource;
  if (!['tag', 'remote', 'none'].includes(digestSource)) {
    throw new GitopsError(`Unknown digestSource "${digestSource}".`, { hint: 'Use digestSource (or SKAFFOLD_DIGEST_SOURCE) tag, remote or none.' });
  }
  if (digestSource === 'remote' && input.cacheable) {
    const from = options.digestSource ? 'the "digestSource" option' : 'SKAFFOLD_DIGEST_SOURCE';
    throw new GitopsError(
      `${input.project}/${environment}: digestSource "remote" (from ${from}) reads image digests from the registry, which Nx does not hash, ` +
        'so a cached render could be replayed with digests the registry no longer serves; this render target is cacheable.',
      { hint: 'Set the plugin option digestSource: "remote" (the inferred render target then has cache: false), or set "cache": false on the render target.' },
    );
  }
  if (options.allowUnpinnedCharts && input.cacheable) {
    throw new GitopsError(
      `${input.project}/${environment}: allowUnpinnedCharts renders remote helm charts whose content can change without a commit, so a cached render could be replayed after the chart changed; this render target is cacheable.`,
      { hint: 'Set "cache": false on the render target, or pin every remote chart with "version" and drop allowUnpinnedCharts.' },
    );
  }
  const defaultRepo = options.defaultRepo ?? input.env.SKAFFOLD_DEFAULT_REPO;
  const buildArtifacts = options.buildArtifacts ?? input.env.SKAFFOLD_BUILD_ARTIFACTS;
  const outputFile = options.output ? checkOutputOption({ output: options.output, workspaceRoot }) : join(workspaceRoot, outputDir, MANIFEST_FILE_NAME);
  return {
    project: input.project,
    environment,
    workspaceRoot,
    configFile: absolute(options.skaffoldConfig ?? join(input.projectRoot, 'skaffold.yaml')),
    outputFile,
    outputFromOption: options.output !== undefined && options.output !== '',
    profiles: list(options.profiles ?? RENDER_OPTION_DEFAULTS.profiles),
    defaultRepo: defaultRepo === '' ? undefined : defaultRepo,
    multiLevelRepo: options.multiLevelRepo ?? RENDER_OPTION_DEFAULTS.multiLevelRepo,
    digestSource,
    buildArtifactsFile: buildArtifacts ? absolute(buildArtifacts) : undefined,
    images: options.images === NX_RELEASE_IMAGES ? [] : list(options.images),
    ...(options.images === NX_RELEASE_IMAGES
      ? { nxReleaseImage: readNxReleaseImage({ project: input.project, projectRoot: input.projectRoot, workspaceRoot, env: input.env }) }
      : {}),
    customTag: options.tag || input.env.SKAFFOLD_TAG || undefined,
    labels: parseLabels(list(options.labels)),
    namespace: options.namespace || undefined,
    engine: options.engine ?? RENDER_OPTION_DEFAULTS.engine,
    skaffoldBinary: options.skaffoldBinary ?? RENDER_OPTION_DEFAULTS.skaffoldBinary,
    kustomize: options.kustomize ?? RENDER_OPTION_DEFAULTS.kustomize,
    kustomizeBinary: options.kustomizeBinary,
    insecureRegistries: list(options.insecureRegistries),
    helmBinary: options.helmBinary || undefined,
    allowUnpinnedCharts: options.allowUnpinnedCharts ?? RENDER_OPTION_DEFAULTS.allowUnpinnedCharts,
  };
}

/** The `NAME=REFERENCE` entry giving the image `nx release` tagged to the artifact of the task's skaffold config it stands for. */
function nxReleaseEntry(task: RenderTask, image: NxReleaseImage): string {
  const { configs } = loadSkaffoldConfigs({ file: task.configFile });
  const artifacts = configs.flatMap(({ config }) => (config.build?.artifacts ?? []).map((artifact) => artifact.image));
  return nxReleaseImageEntry({ project: task.project, image, artifacts });
}

/** The images the skaffold engine wrote: every `image` value whose repository is one of the artifacts'. */
function imagesInSkaffoldOutput(task: RenderTask, manifest: string, prebuilt: readonly PrebuiltImage[]): RenderedImage[] {
  const { configs } = loadSkaffoldConfigs({ file: task.configFile });
  const names = [...new Set([...configs.flatMap(({ config }) => (config.build?.artifacts ?? []).map((a) => a.image)), ...prebuilt.map((b) => b.imageName)])];
  const repositories = new Map(
    names.map((name) => {
      const base = sanitizeImageName(name);
      const repository = task.defaultRepo ? parseImageReference(substituteDefaultRepo({ image: base, defaultRepo: task.defaultRepo, multiLevelRepo: task.multiLevelRepo })).baseName : base;
      return [repository, name] as const;
    }),
  );
  // A pre-built image may live in a repository of another name (nx release's, say): skaffold writes it as given, or under the default repo.
  for (const build of prebuilt) {
    const given = tryParseImageReference(build.tag)?.baseName;
    const moved = given && task.defaultRepo ? tryParseImageReference(substituteDefaultRepo({ image: given, defaultRepo: task.defaultRepo, multiLevelRepo: task.multiLevelRepo }))?.baseName : undefined;
    for (const repository of [given, moved]) if (repository && !repositories.has(repository)) repositories.set(repository, build.imageName);
  }
  const found = new Map<string, RenderedImage>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'image' && typeof value === 'string') {
          const parsed = tryParseImageReference(value);
          const name = parsed && repositories.get(parsed.baseName);
          if (name && (parsed.tag || parsed.digest)) found.set(value, renderedImage({ imageName: name, tag: value }));
        } else visit(value);
      }
    }
  };
  parseManifests(manifest, task.outputFile).forEach(visit);
  return [...found.values()].sort((a, b) => a.reference.localeCompare(b.reference));
}

/** Writes `file` through a temporary sibling and a rename, so a reader never sees half a file; no temporary file is left on failure. */
function writeFileAtomically(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, content);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new GitopsError(`Cannot write ${file}: ${(error as Error).message}`, { hint: 'Check the "output" option and the permissions of dist/.', cause: error });
  }
}

/** Throws when the `output` option names a file git tracks: render output never replaces a source file. */
async function refuseTrackedOutput(task: RenderTask): Promise<void> {
  if (!task.outputFromOption || !existsSync(task.outputFile)) return;
  const tracked = await runCommand('git', ['-C', task.workspaceRoot, 'ls-files', '--error-unmatch', '--', task.outputFile], { allowFailure: true });
  if (tracked.exitCode === 0) {
    throw new GitopsError(`Refusing output ${workspaceRelative(task.workspaceRoot, task.outputFile)}: it is a file of the repository, and render would overwrite it.`, {
      hint: 'Set the "output" option to a file under dist/ that git does not track, or leave it out.',
    });
  }
}

/** Reads the build-artifacts file once: the images it lists, and its path and hash for images.json. */
function readBuildArtifacts(task: RenderTask): { images: PrebuiltImage[]; record: RenderedInputFile | null } {
  if (!task.buildArtifactsFile) return { images: [], record: null };
  let bytes: Buffer;
  try {
    bytes = readFileSync(task.buildArtifactsFile);
  } catch (error) {
    throw new GitopsError(`Cannot read the build artifacts file ${task.buildArtifactsFile}: ${(error as Error).message}`, {
      hint: 'Point "buildArtifacts" (or SKAFFOLD_BUILD_ARTIFACTS) at the file "skaffold build --file-output" writes.',
    });
  }
  return {
    images: readBuildArtifactsFile(task.buildArtifactsFile),
    record: { file: workspaceRelative(task.workspaceRoot, task.buildArtifactsFile), sha256: createHash('sha256').update(bytes).digest('hex') },
  };
}

/** What a finished render wrote. */
export interface RenderTaskResult {
  outputFile: string;
  imagesFile: string;
  images: RenderedImage[];
  warnings: string[];
}

/**
 * Renders one task with its engine and writes `manifest.yaml` and `images.json`. Nothing is written when
 * rendering fails, so a previous good output is never replaced by half a manifest.
 */
export async function runRenderTask(task: RenderTask, context: { git: GitInfoCache; env: Record<string, string | undefined>; logger: GitopsLogger }): Promise<RenderTaskResult> {
  const { images: buildArtifacts, record: buildArtifactsRecord } = readBuildArtifacts(task);
  if (!existsSync(task.configFile)) {
    throw new GitopsError(`${task.project}: skaffold config ${task.configFile} does not exist.`, { hint: 'Fix the "skaffoldConfig" option.' });
  }
  const imageEntries = task.nxReleaseImage ? [...task.images, nxReleaseEntry(task, task.nxReleaseImage)] : task.images;
  const images = parseImagesOption(imageEntries);
  let result: Pick<RenderResult, 'manifest' | 'images' | 'warnings'>;
  if (task.engine === 'skaffold') {
    const manifest = await renderWithSkaffoldCli({
      binary: task.skaffoldBinary,
      configFile: task.configFile,
      cwd: dirname(task.configFile),
      profiles: task.profiles,
      defaultRepo: task.defaultRepo,
      digestSource: task.digestSource,
      buildArtifactsFile: task.buildArtifactsFile,
      images: imageEntries,
      customTag: task.customTag,
      labels: task.labels,
      namespace: task.namespace,
      env: context.env,
    });
    result = { manifest, images: imagesInSkaffoldOutput(task, manifest, [...buildArtifacts, ...images]), warnings: [] };
  } else {
    result = await renderManifests({
      configFile: task.configFile,
      profiles: task.profiles,
      env: context.env,
      defaultRepo: task.defaultRepo,
      multiLevelRepo: task.multiLevelRepo,
      digestSource: task.digestSource,
      buildArtifacts,
      images,
      customTag: task.customTag,
      labels: task.labels,
      namespace: task.namespace,
      kustomize: task.kustomize,
      kustomizeBinary: task.kustomizeBinary,
      git: context.git,
      insecureRegistries: task.insecureRegistries,
      helmBinary: task.helmBinary,
      allowUnpinnedCharts: task.allowUnpinnedCharts,
    });
  }
  let sourceCommit: string | null = null;
  try {
    sourceCommit = await context.git.headCommit(await context.git.toplevel(task.workspaceRoot));
  } catch {
    // Rendering outside a git repository is allowed; publishing will ask for a commit.
  }
  const imagesFile = join(dirname(task.outputFile), IMAGES_FILE_NAME);
  const imagesContent: RenderedImagesFile = {
    project: task.project,
    environment: task.environment,
    sourceCommit,
    images: result.images,
    objectCount: parseManifests(result.manifest, task.outputFile).length,
    skaffoldConfig: workspaceRelative(task.workspaceRoot, task.configFile),
    sources: listRenderSources({ workspaceRoot: task.workspaceRoot, configFile: task.configFile, profiles: task.profiles, env: context.env }),
    buildArtifacts: buildArtifactsRecord,
  };
  await refuseTrackedOutput(task);
  writeFileAtomically(task.outputFile, result.manifest);
  writeFileAtomically(imagesFile, `${JSON.stringify(imagesContent, null, 2)}\n`);
  for (const warning of result.warnings) context.logger.warn(warning);
  return { outputFile: task.outputFile, imagesFile, images: result.images, warnings: result.warnings };
}
