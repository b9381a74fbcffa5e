import { isAbsolute, join, resolve } from 'node:path';
import { GitopsError } from '../lib/errors';
import { runWithConcurrency } from '../lib/exec';
import { type KustomizeEngine, buildKustomizationWithEngine } from '../kustomize/build';
import { readJsonFile } from '../manifests/yaml-limits';
import { parseManifests, serializeManifests, type ManifestDocument } from '../manifests/yaml';
import type { RenderedImage } from '../manifests/render-output';
import { pinDigests } from '../registry/pin-digests';
import { applyNamespaceOutsideHelm, createHelmSession, helmOrigins, orderLikeSkaffold } from '../helm/session';
import { loadSkaffoldConfigs } from './config';
import { declaresManifests, DEFAULT_RAW_YAML, expandPath, getsDefaultRawYaml, manifestlessDeployer, rawYamlPatterns } from './manifest-paths';
import { assertNativelyRenderable } from './manifest-sources';
import { substituteDefaultRepo } from './default-repo';
import { parseImageReference } from './image-reference';
import { applyProfilesToConfigs, type EnvironmentConfig } from './profiles';
import { expandManifestGlobs, readRawYamlFile } from './raw-yaml';
import { createResourceSelector, replaceImages } from './replace-images';
import { computeImageTag, tagImage, type GitInfoCache } from './tags';
import { applyLabels } from './transforms';

/** Where the tag written into manifests comes from. */
export type DigestSource = 'tag' | 'remote' | 'none';

/** An image built elsewhere: skaffold's `{"imageName", "tag"}`, `tag` being the full reference. */
export interface PrebuiltImage {
  imageName: string;
  tag: string;
}

/** Everything one native render needs; the executor fills it from options and the environment. */
export interface RenderRequest {
  /** Absolute path of the service's skaffold.yaml. */
  configFile: string;
  /** Profiles to activate, in order (`-name` turns one off). */
  profiles: readonly string[];
  /** The environment profiles, templates and taggers read. */
  env: Record<string, string | undefined>;
  /** Registry prefix for every image (`--default-repo`), already resolved from options and environment. */
  defaultRepo?: string;
  /** Keep the image's path under the default repo instead of flattening it (`multi-level-repo`). */
  multiLevelRepo?: boolean;
  digestSource: DigestSource;
  /** Images from a build-output file; they win over `images`. */
  buildArtifacts?: readonly PrebuiltImage[];
  /** Images from `NAME=TAG` / reference entries. */
  images?: readonly PrebuiltImage[];
  /** A tag for every image, overriding tag policies (`--tag`). */
  customTag?: string;
  labels?: Record<string, string>;
  namespace?: string;
  kustomizeBinary?: string;
  /** Option `kustomize`: `auto` (default), `builtin` or `binary`. */
  kustomize?: KustomizeEngine;
  /** The helm executable for helm releases (option `helmBinary`); default `helm` from PATH. */
  helmBinary?: string;
  /** Render remote charts without a pinned `version` (option `allowUnpinnedCharts`). */
  allowUnpinnedCharts?: boolean;
  /** Git lookups shared by every render of a run. */
  git: GitInfoCache;
  /** The clock for `dateTime` tags. */
  now?: () => Date;
  /** Registry settings for `digestSource: remote`. */
  insecureRegistries?: readonly string[];
  dockerConfigDir?: string;
  /** At most this many kustomize processes at once for this render. */
  concurrency?: number;
}

/** The manifest one environment gets, and what went into it. */
export interface RenderResult {
  /** The YAML, documents joined by `---`, as skaffold writes it. */
  manifest: string;
  /** Every image reference written into the manifest for a build. */
  images: RenderedImage[];
  /** Profiles applied to the root config. */
  activeProfiles: string[];
  /** Things the user should know (a config without manifests, a namespace kept, a notice about digest source none). */
  warnings: string[];
}

/** Parses `NAME=TAG` or plain reference entries the way skaffold's `--images` flag does. */
export function parseImagesOption(entries: readonly string[]): PrebuiltImage[] {
  return entries
    .flatMap((entry) => entry.split(','))
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const separator = entry.indexOf('=');
      if (separator > 0) return { imageName: entry.slice(0, separator), tag: entry.slice(separator + 1) };
      return { imageName: parseImageReference(entry).baseName, tag: entry };
    });
}

/** Reads skaffold's build-output file `{"builds":[{"imageName","tag"}]}`; errors name the file and the option. */
export function readBuildArtifactsFile(file: string): PrebuiltImage[] {
  // Bounded, and an error never quotes the file's content.
  const parsed = readJsonFile({ file, hint: 'Point "buildArtifacts" at the file "skaffold build --file-output" writes.' });
  const builds = (parsed as { builds?: unknown }).builds;
  if (!Array.isArray(builds) || builds.some((build) => typeof build?.imageName !== 'string' || typeof build?.tag !== 'string')) {
    throw new GitopsError(`${file} is not a build artifacts file: expected {"builds":[{"imageName":"…","tag":"…"}]}.`, {
      hint: 'Point "buildArtifacts" at the file "skaffold build --file-output" writes.',
    });
  }
  return builds.map((build: PrebuiltImage) => ({ imageName: build.imageName, tag: build.tag }));
}

/** `-t` on a pre-built image: replace the tag, keep any digest (skaffold's SetImageTag). */
function withCustomTag(reference: string, tag: string): string {
  const parsed = parseImageReference(reference);
  return `${parsed.baseName}:${tag}${parsed.digest ? `@${parsed.digest}` : ''}`;
}

/** The artifacts of every config, with the directory their tagger runs in. */
function collectArtifacts(configs: readonly EnvironmentConfig[]) {
  return configs.flatMap(({ config, dir }) =>
    (config.build?.artifacts ?? []).map((artifact) => ({
      artifact,
      configDir: dir,
      imageName: artifact.image,
      workspaceDir: resolve(dir, artifact.context ?? '.'),
      policy: config.build?.tagPolicy,
    })),
  );
}

async function computeBuilds(request: RenderRequest, configs: readonly EnvironmentConfig[]): Promise<PrebuiltImage[]> {
  const withRepo = (reference: string) =>
    request.defaultRepo ? substituteDefaultRepo({ image: reference, defaultRepo: request.defaultRepo, multiLevelRepo: request.multiLevelRepo }) : reference;
  let builds: PrebuiltImage[];
  if (request.buildArtifacts?.length || request.images?.length) {
    const fromFile = request.buildArtifacts ?? [];
    const fromList = (request.images ?? []).filter((image) => !fromFile.some((build) => build.imageName === image.imageName));
    builds = [...fromFile, ...fromList].map((build) => ({
      imageName: build.imageName,
      tag: withRepo(request.customTag ? withCustomTag(build.tag, request.customTag) : build.tag),
    }));
  } else if (request.digestSource === 'none') {
    return [];
  } else {
    const artifacts = collectArtifacts(configs);
    builds = await Promise.all(
      artifacts.map(async (artifact) => {
        const tag =
          request.customTag ??
          (await computeImageTag({
            imageName: artifact.imageName,
            policy: artifact.policy,
            workspaceDir: artifact.workspaceDir,
            artifact: artifact.artifact,
            configDir: artifact.configDir,
            env: request.env,
            now: request.now,
            git: request.git,
          }));
        return { imageName: artifact.imageName, tag: withRepo(tagImage(artifact.imageName, tag)) };
      }),
    );
  }
  if (request.digestSource === 'remote') {
    const pinned = await pinDigests({
      references: builds.map((build) => build.tag),
      insecureRegistries: request.insecureRegistries,
      dockerConfigDir: request.dockerConfigDir,
      env: request.env as NodeJS.ProcessEnv,
    });
    builds = builds.map((build) => ({ ...build, tag: pinned.get(build.tag) ?? build.tag }));
  }
  return builds;
}

/**
 * Fails when two artifacts, of one config or of several, build the same image, as skaffold's
 * validateImageNames does: which tag the manifests would get would depend on the order of the configs.
 */
function assertUniqueArtifactImages(environment: readonly EnvironmentConfig[]): void {
  const seen = new Map<string, string>();
  for (const { config, file } of environment) {
    for (const artifact of config.build?.artifacts ?? []) {
      const previous = seen.get(artifact.image);
      if (previous !== undefined) {
        throw new GitopsError(`duplicate image "${artifact.image}" in ${previous === file ? file : `${previous} and ${file}`}: artifact image names must be unique across all configs.`, {
          hint: 'Give each build.artifacts[].image its own name, or drop the requires entry or profile that adds the second one.',
        });
      }
      seen.set(artifact.image, file);
    }
  }
}

/** How a config is named in a warning: its file, and its metadata.name when it has one. */
function describeConfig(config: EnvironmentConfig): string {
  const name = config.config.metadata?.name;
  return name ? `${config.file} (config "${name}")` : config.file;
}


/**
 * A warning for each config that declares no manifests, so that an empty (or default) render is explained:
 * the only config gets skaffold's default `k8s/*.yaml`; one of several configs, or one with a docker or
 * Cloud Run deployer, gets nothing, as in skaffold.
 */
function noManifestsWarnings(environment: readonly EnvironmentConfig[]): string[] {
  const warnings: string[] = [];
  for (const config of environment) {
    if (declaresManifests(config.config)) continue;
    const deployer = manifestlessDeployer(config.config);
    if (getsDefaultRawYaml(environment, config)) {
      const matched = expandManifestGlobs(config.dir, DEFAULT_RAW_YAML).length;
      const outcome = matched === 0 ? 'no file matches it, so the render is empty' : `${matched} file${matched === 1 ? '' : 's'} matched`;
      warnings.push(`${describeConfig(config)} declares no manifests, so skaffold's default manifests.rawYaml ${JSON.stringify(DEFAULT_RAW_YAML)} is rendered: ${outcome}.`);
    } else if (deployer) {
      warnings.push(`${describeConfig(config)} declares no manifests (deploy.${deployer} needs none), so it adds nothing to the render.`);
    } else {
      warnings.push(`${describeConfig(config)} declares no manifests, so it adds nothing to the render (skaffold sets no default manifests when there are several configs).`);
    }
  }
  return warnings;
}

async function renderConfigManifests(request: RenderRequest, configs: readonly EnvironmentConfig[], builds: Promise<PrebuiltImage[]>): Promise<ManifestDocument[]> {
  const sources: Array<() => Promise<ManifestDocument[]>> = [];
  const configOfSource: number[] = [];
  const helm = createHelmSession({ helmBinary: request.helmBinary, dockerConfigDir: request.dockerConfigDir, env: request.env, namespace: request.namespace, builds });
  for (const environmentConfig of configs) {
    const { config, dir, file } = environmentConfig;
    const kustomize = config.manifests?.kustomize;
    // skaffold's render generator expands env templates in each entry before globbing it.
    const rawYaml = rawYamlPatterns(configs, environmentConfig).map((entry) => expandPath(entry, request.env, 'manifests.rawYaml'));
    for (const manifestFile of expandManifestGlobs(dir, rawYaml)) {
      sources.push(async () => parseManifests(readRawYamlFile({ file: manifestFile, configFile: file }), manifestFile));
    }
    for (const path of kustomize?.paths ?? []) {
      const expanded = expandPath(path, request.env);
      const overlay = isAbsolute(expanded) ? expanded : join(dir, expanded);
      sources.push(async () =>
        parseManifests(
          await buildKustomizationWithEngine({ dir: overlay, buildArgs: kustomize?.buildArgs, engine: request.kustomize, kustomizeBinary: request.kustomizeBinary, cwd: dir }),
          `kustomize build ${overlay}`,
        ),
      );
    }
    sources.push(() => helm.renderConfig(environmentConfig));
    while (configOfSource.length < sources.length) configOfSource.push(configs.indexOf(environmentConfig));
  }
  // skaffold renders a v3+ config's legacy deploy.helm releases after every config's renderers.
  configs.forEach((environmentConfig, index) => {
    sources.push(() => helm.renderLegacy(environmentConfig));
    configOfSource.push(index);
  });
  try {
    const results = await runWithConcurrency(request.concurrency ?? 4, sources);
    return orderLikeSkaffold({ results, configOfSource });
  } finally {
    helm.close();
  }
}

/**
 * The native engine: renders a service for one environment as `skaffold render --offline` would, but
 * without skaffold. Loads the config (and what it requires), applies the profiles, refuses sources it does
 * not render (kpt, KRM functions, remote manifests, render hooks, packaged or unpinned charts), computes every image's
 * tag (failing, unlike skaffold, when a tagger fails), substitutes the default repo, resolves digests when
 * asked, builds the manifests (rawYaml, kustomize, helm), replaces images, adds labels and namespace, and returns
 * the YAML in skaffold's stable form.
 */
export async function renderManifests(request: RenderRequest): Promise<RenderResult> {
  const { configs } = loadSkaffoldConfigs({ file: request.configFile });
  const environment = applyProfilesToConfigs({ configs, profiles: request.profiles, env: request.env });
  assertNativelyRenderable(environment, { allowUnpinnedCharts: request.allowUnpinnedCharts });
  assertUniqueArtifactImages(environment);
  const pendingBuilds = computeBuilds(request, environment);
  const [builds, documents] = await Promise.all([pendingBuilds, renderConfigManifests(request, environment, pendingBuilds)]);
  // skaffold consolidates every config's allow rules, then every config's deny rules, as one source.
  const selector = createResourceSelector({
    allow: environment.flatMap(({ config }) => config.resourceSelector?.allow ?? []),
    deny: environment.flatMap(({ config }) => config.resourceSelector?.deny ?? []),
  });
  const warnings = noManifestsWarnings(environment);
  if (request.digestSource === 'none' && builds.length === 0) {
    warnings.push('digestSource is "none": images are left as the manifests write them.');
  }
  const fromHelm = helmOrigins(documents);
  const replaced = replaceImages({ documents, builds, selector });
  let result = replaced.documents;
  if (request.labels && Object.keys(request.labels).length > 0) result = applyLabels(result, request.labels, { selector });
  if (request.namespace) {
    const namespaced = applyNamespaceOutsideHelm({ documents: result, fromHelm, namespace: request.namespace, selector });
    result = namespaced.documents;
    warnings.push(...namespaced.warnings);
  }
  const root = environment.filter((config) => config.isRoot);
  return {
    manifest: serializeManifests(result),
    images: replaced.images,
    activeProfiles: root.flatMap((config) => config.activeProfiles),
    warnings,
  };
}
