import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type * as HelmReadsModule from '../helm/helm-reads';
import type * as KustomizeDependenciesModule from '../kustomize/dependencies';
import { describeError } from '../lib/errors';
import { statPath } from '../lib/read-journal';
import type * as SkaffoldConfigModule from '../skaffold/config';
import type { ResolvedConfig } from '../skaffold/config';
import type * as GoTemplateModule from '../skaffold/go-template';
import type * as ProfilesModule from '../skaffold/profiles';
import type { EnvironmentConfig } from '../skaffold/profiles';
import { goGlob } from '../skaffold/go-glob';
import type * as RawYamlModule from '../skaffold/raw-yaml';
import type * as ManifestPathsModule from '../skaffold/manifest-paths';
import type * as DescribeTagInputsModule from '../skaffold/tags/describe-tag-inputs';
import type { GitState } from '../skaffold/tags/describe-tag-inputs';
import type * as DockerDependenciesModule from '../skaffold/tags/docker-dependencies';
import type { SkaffoldConfig } from '../skaffold/types';
import type { AnalysisStore } from './analysis-store';
import type { NormalizedPluginOptions } from './normalize-options';

/** The readers a fresh analysis uses (skaffold, kustomize, helm, tag policies). */
interface AnalysisModules {
  collectHelmReads: typeof HelmReadsModule.collectHelmReads;
  listKustomizationFiles: typeof KustomizeDependenciesModule.listKustomizationFiles;
  loadSkaffoldConfigs: typeof SkaffoldConfigModule.loadSkaffoldConfigs;
  executeGoTemplate: typeof GoTemplateModule.executeGoTemplate;
  parseGoTemplate: typeof GoTemplateModule.parseGoTemplate;
  applyProfilesToConfigs: typeof ProfilesModule.applyProfilesToConfigs;
  expandManifestGlobs: typeof RawYamlModule.expandManifestGlobs;
  expandPath: typeof ManifestPathsModule.expandPath;
  rawYamlPatterns: typeof ManifestPathsModule.rawYamlPatterns;
  describeTagInputs: typeof DescribeTagInputsModule.describeTagInputs;
  templateFieldNames: typeof DescribeTagInputsModule.templateFieldNames;
  artifactBuilder: typeof DockerDependenciesModule.artifactBuilder;
  artifactDockerfile: typeof DockerDependenciesModule.artifactDockerfile;
  resolveDockerfilePath: typeof DockerDependenciesModule.resolveDockerfilePath;
}

let analysisModules: AnalysisModules | undefined;

/**
 * The readers, loaded on the first fresh analysis: when every analysis comes from the store (an unchanged
 * workspace), Nx's plugin worker never loads them, nor the YAML parsers and the JSON Schema validator
 * behind them (about a third of the plugin's load time).
 */
function readers(): AnalysisModules {
  /* eslint-disable @typescript-eslint/no-require-imports */
  analysisModules ??= {
    ...(require('../helm/helm-reads') as typeof HelmReadsModule),
    ...(require('../kustomize/dependencies') as typeof KustomizeDependenciesModule),
    ...(require('../skaffold/config') as typeof SkaffoldConfigModule),
    ...(require('../skaffold/go-template') as typeof GoTemplateModule),
    ...(require('../skaffold/profiles') as typeof ProfilesModule),
    ...(require('../skaffold/raw-yaml') as typeof RawYamlModule),
    ...(require('../skaffold/manifest-paths') as typeof ManifestPathsModule),
    ...(require('../skaffold/tags/describe-tag-inputs') as typeof DescribeTagInputsModule),
    ...(require('../skaffold/tags/docker-dependencies') as typeof DockerDependenciesModule),
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return analysisModules;
}

/** One environment of a service: its name and the skaffold profiles that produce it. */
export interface ServiceEnvironment {
  name: string;
  profiles: string[];
}

/** What the Nx plugin needs to know about one service, all paths workspace-relative with `/`. */
export interface ServiceAnalysis {
  /** Environments in a stable order: the default one first, then the others sorted by name. */
  environments: ServiceEnvironment[];
  /** Every file the service's configs, kustomizations and artifacts read outside its project root, sorted. */
  externalFiles: string[];
  /** `rawYaml` globs that point outside the project root, sorted. */
  externalGlobs: string[];
  /** Directories outside the project root whose every file can change a tag (artifact contexts), sorted. */
  externalDirs: string[];
  /** Absolute paths read outside the workspace, which Nx cannot hash, sorted. */
  outsideWorkspace: string[];
  /** The git facts the image tags are made of, sorted. */
  gitState: GitState[];
  /** Environment variables the render reads (profile activations, tag policies, path templates, build args), sorted. */
  envVars: string[];
  /** True when a tag policy gives a different tag on every run (`dateTime`). */
  nondeterministic: boolean;
  /**
   * Why (part of) the service could not be analysed: a profile whose patch fails, or the whole config. Its
   * render then fails with the full error when it runs, and the render target is not cached.
   */
  problems: string[];
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

function isInside(root: string, path: string): boolean {
  return root === '.' || root === '' || path === root || path.startsWith(`${root}/`);
}

function isDirectory(path: string): boolean {
  return statPath(path)?.isDirectory() ?? false;
}

function isRemote(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(path);
}

/** The environments of a service: from the plugin's `environments` map, else the default plus one per profile. */
export function inferEnvironments(configs: ReadonlyArray<{ config: SkaffoldConfig; isRoot: boolean }>, options: NormalizedPluginOptions): ServiceEnvironment[] {
  if (options.environments) {
    return Object.entries(options.environments)
      .map(([name, profiles]) => ({ name, profiles: [...profiles] }))
      .sort((a, b) => (a.name === options.defaultEnvironment ? -1 : b.name === options.defaultEnvironment ? 1 : a.name.localeCompare(b.name)));
  }
  const profileNames = new Set<string>();
  for (const { config, isRoot } of configs) {
    // skaffold applies `-p name` to every config that defines it, required ones included.
    if (!isRoot && options.propagateProfiles === false) continue;
    for (const profile of config.profiles ?? []) {
      if (profile.name !== options.defaultEnvironment) profileNames.add(profile.name);
    }
  }
  return [{ name: options.defaultEnvironment, profiles: [] }, ...[...profileNames].sort().map((name) => ({ name, profiles: [name] }))];
}

/** What one or more renders read: absolute paths, and the facts beyond files. */
export interface RenderReads {
  /** Files read (configs, kustomization files and what they name, rawYaml matches, Dockerfiles). */
  files: Set<string>;
  /** Directories every file of which can change the render (artifact contexts whose files a tag reads). */
  dirs: Set<string>;
  /** rawYaml patterns, absolute, for inputs that must also see files added later. */
  globs: Set<string>;
  gitState: Set<GitState>;
  envVars: Set<string>;
  nondeterministic: boolean;
}

function emptyReads(): RenderReads {
  return { files: new Set(), dirs: new Set(), globs: new Set(), gitState: new Set(), envVars: new Set(), nondeterministic: false };
}

/** Environment variables a docker-style `buildArgs` map reads through `{{.VAR}}` templates. */
function buildArgEnvVars(buildArgs: unknown): string[] {
  if (!buildArgs || typeof buildArgs !== 'object') return [];
  const { templateFieldNames } = readers();
  return Object.values(buildArgs as Record<string, unknown>).flatMap((value) => (typeof value === 'string' && value.includes('{{') ? templateFieldNames(value) : []));
}

/** Environment variables profile activations of any config compare against. */
function activationEnvVars(configs: readonly ResolvedConfig[]): string[] {
  return configs.flatMap(({ config }) =>
    (config.profiles ?? []).flatMap((profile) =>
      (profile.activation ?? []).flatMap((activation) => (activation.env && activation.env.includes('=') ? [activation.env.slice(0, activation.env.indexOf('='))] : [])),
    ),
  );
}

/**
 * Adds what rendering `environment` (configs with their profiles applied) reads to `reads`. With `env`, a
 * templated kustomize path is expanded as render expands it; without, only the variables it names are noted.
 */
function collectReads(options: { environment: readonly EnvironmentConfig[]; env?: Record<string, string | undefined>; reads: RenderReads }): void {
  const { environment, env, reads } = options;
  const {
    listKustomizationFiles,
    templateFieldNames,
    executeGoTemplate,
    parseGoTemplate,
    rawYamlPatterns,
    expandPath,
    expandManifestGlobs,
    collectHelmReads,
    describeTagInputs,
    artifactBuilder,
    artifactDockerfile,
    resolveDockerfilePath,
  } = readers();
  for (const environmentConfig of environment) {
    const { config, dir, file } = environmentConfig;
    reads.files.add(file);
    const kustomize = config.manifests?.kustomize;
    for (const path of kustomize?.paths ?? []) {
      if (isRemote(path)) continue;
      let expanded = path;
      if (path.includes('{{')) {
        for (const name of templateFieldNames(path)) reads.envVars.add(name);
        if (!env) continue;
        try {
          expanded = executeGoTemplate(parseGoTemplate(path, path), env as Record<string, string>, { missingKey: 'invalid' });
        } catch {
          // The render reports a broken template; there is nothing more to read here.
          continue;
        }
      }
      const overlay = isAbsolute(expanded) ? expanded : join(dir, expanded);
      for (const read of listKustomizationFiles(overlay)) reads.files.add(read);
    }
    for (const entry of rawYamlPatterns(environment, environmentConfig)) {
      if (isRemote(entry)) continue;
      let glob = entry;
      if (entry.includes('{{')) {
        for (const name of templateFieldNames(entry)) reads.envVars.add(name);
        if (!env) continue;
        glob = expandPath(entry, env, 'manifests.rawYaml');
      }
      const absolute = isAbsolute(glob) ? glob : join(dir, glob);
      reads.globs.add(absolute);
      // A directory a pattern names or matches is walked: files added to it later are rendered too.
      for (const match of existsSync(absolute) ? [absolute] : goGlob(absolute)) if (isDirectory(match)) reads.dirs.add(match);
      for (const match of expandManifestGlobs(dir, [glob])) reads.files.add(match);
    }
    collectHelmReads({ config, dir, env, reads });
    for (const artifact of config.build?.artifacts ?? []) {
      const tag = describeTagInputs(config.build?.tagPolicy);
      for (const state of tag.gitState) reads.gitState.add(state);
      for (const name of tag.envVars) reads.envVars.add(name);
      if (tag.nondeterministic) reads.nondeterministic = true;
      const context = resolve(dir, artifact.context ?? '.');
      const settings = artifact[artifactBuilder(artifact)] as { buildArgs?: unknown } | undefined;
      for (const name of buildArgEnvVars(settings?.buildArgs)) reads.envVars.add(name);
      if (!tag.readsContext) continue;
      reads.dirs.add(context);
      const dockerfile = artifactDockerfile(artifact);
      if (dockerfile !== undefined) reads.files.add(resolveDockerfilePath({ workspaceDir: context, dockerfile, configDir: dir }));
    }
  }
}

/**
 * The profile sets whose reads a service's inputs must cover for one environment: its own profiles, and
 * each profile with an `activation` added, since the environment variables, kube-context or command that
 * activate it are not known when the graph is computed.
 */
function activationVariants(configs: readonly ResolvedConfig[], profiles: readonly string[]): string[][] {
  const activated = new Set(
    configs.flatMap(({ config }) => (config.profiles ?? []).filter((profile) => (profile.activation ?? []).length > 0).map((profile) => profile.name)),
  );
  return [[...profiles], ...[...activated].filter((name) => !profiles.includes(name) && !profiles.includes(`-${name}`)).map((name) => [...profiles, name])];
}

/**
 * Reads a service's skaffold.yaml (and what it requires), applies each environment's profiles (and each
 * auto-activated profile on top, whose activation is only known at run time), and collects what the Nx
 * graph needs: environments, files and directories read outside the project, what cannot be hashed, and
 * the git facts and environment variables the render depends on. Reads files only; starts no process and
 * reads no environment variable. Parsed files are cached by content in the loaders. With a `store`, an
 * analysis whose evidence still holds is taken from it, and a fresh one is given to it.
 */
export function analyzeService(options: {
  workspaceRoot: string;
  configFile: string;
  pluginOptions: NormalizedPluginOptions;
  /** Analyses kept across Nx commands; consulted first, and given every fresh analysis. */
  store?: AnalysisStore;
}): ServiceAnalysis {
  const stored = options.store?.lookup(options.workspaceRoot, options.configFile);
  if (stored) return stored.analysis;
  const { analysis, filesRead, globsRead } = analyze(options);
  options.store?.remember({ workspaceRoot: options.workspaceRoot, configFile: options.configFile, analysis, files: filesRead, globs: globsRead });
  return analysis;
}

function analyze(options: { workspaceRoot: string; configFile: string; pluginOptions: NormalizedPluginOptions }): {
  analysis: ServiceAnalysis;
  filesRead: string[];
  globsRead: string[];
} {
  const { workspaceRoot, pluginOptions } = options;
  const configPath = join(workspaceRoot, options.configFile);
  const projectRoot = toPosix(dirname(options.configFile));
  const { loadSkaffoldConfigs, applyProfilesToConfigs } = readers();
  const { configs } = loadSkaffoldConfigs({ file: configPath });
  const environments = inferEnvironments(configs, pluginOptions);
  const reads = emptyReads();
  for (const name of activationEnvVars(configs)) reads.envVars.add(name);
  const problems: string[] = [];
  for (const environment of environments) {
    for (const profiles of activationVariants(configs, environment.profiles)) {
      try {
        collectReads({ environment: applyProfilesToConfigs({ configs, profiles, env: {} }), reads });
      } catch (error) {
        // Only the renders that apply this profile fail, each with the whole message.
        if (profiles.length === environment.profiles.length) problems.push(`environment "${environment.name}": ${describeError(error).split('\n')[0]}`);
      }
    }
  }
  const relatives = new Map<string, string>();
  const relativeOf = (path: string) => {
    let relativePath = relatives.get(path);
    if (relativePath === undefined) relatives.set(path, (relativePath = toPosix(relative(workspaceRoot, path)) || '.'));
    return relativePath;
  };
  const outside = (path: string) => {
    const relativePath = relativeOf(path);
    return relativePath === '..' || relativePath.startsWith('../') || isAbsolute(relativePath);
  };
  const external = (paths: Iterable<string>) =>
    [...new Set([...paths].filter((path) => !outside(path)).map(relativeOf))].filter((path) => !isInside(projectRoot, path)).sort();
  const externalDirs = external(reads.dirs);
  const analysis: ServiceAnalysis = {
    environments,
    externalFiles: external(reads.files).filter((file) => !externalDirs.some((dir) => isInside(dir, file))),
    externalGlobs: external(reads.globs),
    externalDirs,
    outsideWorkspace: [...new Set([...reads.files, ...reads.dirs, ...reads.globs].filter(outside))].sort(),
    gitState: [...reads.gitState].sort(),
    envVars: [...reads.envVars].sort(),
    nondeterministic: reads.nondeterministic,
    problems,
  };
  return { analysis, filesRead: [...reads.files], globsRead: [...reads.globs] };
}

/**
 * The analysis of a service whose skaffold.yaml cannot be read at all: the default environment only, the
 * project's own files as inputs, and the problem, so the graph still loads and its render fails loudly.
 */
export function unreadableServiceAnalysis(options: { pluginOptions: NormalizedPluginOptions; problem: string }): ServiceAnalysis {
  return {
    environments: [{ name: options.pluginOptions.defaultEnvironment, profiles: [] }],
    externalFiles: [],
    externalGlobs: [],
    externalDirs: [],
    outsideWorkspace: [],
    gitState: [],
    envVars: [],
    nondeterministic: false,
    problems: [options.problem],
  };
}

/**
 * The workspace-relative paths (posix, sorted) one render reads: the project root, and every file or
 * directory outside it that its configs, kustomizations, rawYaml patterns and artifact contexts name for
 * these profiles and this environment. A directory stands for every file under it. Paths outside the
 * workspace are returned absolute.
 */
export function listRenderSources(options: {
  workspaceRoot: string;
  configFile: string;
  profiles: readonly string[];
  env: Record<string, string | undefined>;
}): string[] {
  const { workspaceRoot } = options;
  const configFile = isAbsolute(options.configFile) ? options.configFile : join(workspaceRoot, options.configFile);
  const { loadSkaffoldConfigs, applyProfilesToConfigs } = readers();
  const { configs } = loadSkaffoldConfigs({ file: configFile });
  const reads = emptyReads();
  collectReads({ environment: applyProfilesToConfigs({ configs, profiles: options.profiles, env: options.env }), env: options.env, reads });
  const projectRoot = toPosix(relative(workspaceRoot, dirname(configFile))) || '.';
  const paths = new Set<string>([projectRoot]);
  for (const path of [...reads.files, ...reads.dirs]) {
    const relativePath = toPosix(relative(workspaceRoot, path)) || '.';
    const isOutside = relativePath === '..' || relativePath.startsWith('../') || isAbsolute(relativePath);
    if (isOutside) paths.add(path);
    else if (!isInside(projectRoot, relativePath)) paths.add(relativePath);
  }
  // A path under a directory already listed adds nothing.
  const sorted = [...paths].sort();
  return sorted.filter((path) => !sorted.some((other) => other !== path && !isAbsolute(other) && isInside(other, path)));
}
