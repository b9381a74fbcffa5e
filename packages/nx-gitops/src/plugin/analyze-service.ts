import { statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { listKustomizationFiles } from '../kustomize/dependencies';
import { loadSkaffoldConfigs } from '../skaffold/config';
import { applyProfilesToConfigs } from '../skaffold/profiles';
import { describeTagInputs } from '../skaffold/tags/describe-tag-inputs';
import type { SkaffoldConfig, TagPolicy } from '../skaffold/types';
import type { NormalizedPluginOptions } from './normalize-options';

/** One environment of a service: its name and the skaffold profiles that produce it. */
export interface ServiceEnvironment {
  name: string;
  profiles: string[];
}

/** What the Nx plugin needs to know about one service, all paths workspace-relative with `/`. */
export interface ServiceAnalysis {
  /** Environments in a stable order: the default one first, then the others sorted by name. */
  environments: ServiceEnvironment[];
  /** Every file the service's configs and kustomizations read that lies outside its project root, sorted. */
  externalFiles: string[];
  /** `rawYaml` globs that point outside the project root, sorted. */
  externalGlobs: string[];
  /** True when any image tag depends on the source commit. */
  dependsOnCommit: boolean;
  /** Environment variables the tag policies read, sorted. */
  envVars: string[];
  /** True when a tag policy gives a different tag on every run (`dateTime`). */
  nondeterministic: boolean;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

function isInside(root: string, path: string): boolean {
  return root === '.' || root === '' || path === root || path.startsWith(`${root}/`);
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
    if (!isRoot) continue;
    for (const profile of config.profiles ?? []) {
      if (profile.name !== options.defaultEnvironment) profileNames.add(profile.name);
    }
  }
  return [{ name: options.defaultEnvironment, profiles: [] }, ...[...profileNames].sort().map((name) => ({ name, profiles: [name] }))];
}

/** A file's modification time and size, to tell whether an earlier analysis still holds. */
type FileStamp = readonly [file: string, mtimeMs: number, size: number];

function stamp(file: string): FileStamp {
  try {
    const stats = statSync(file);
    return [file, stats.mtimeMs, stats.size];
  } catch {
    return [file, -1, -1];
  }
}

const latestAnalyses = new Map<string, { stamps: FileStamp[]; analysis: ServiceAnalysis }>();

/**
 * Reads a service's skaffold.yaml (and what it requires), applies each environment's profiles, and
 * collects what the Nx graph needs: environments, files read outside the project, and what the image tags
 * depend on. Reads files only; starts no process and reads no environment variable (so env-activated
 * profiles are not part of the graph). Parsed files are cached by content in the loaders.
 *
 * Nx calls `createDependencies` right after `createNodes` in the same plugin process; with `reuse` the
 * analysis `createNodes` just made is returned when none of the files it read has changed since.
 */
export function analyzeService(options: {
  workspaceRoot: string;
  configFile: string;
  pluginOptions: NormalizedPluginOptions;
  reuse?: boolean;
}): ServiceAnalysis {
  const key = JSON.stringify([options.workspaceRoot, options.configFile, options.pluginOptions]);
  const latest = latestAnalyses.get(key);
  if (options.reuse && latest && latest.stamps.every((entry) => stamp(entry[0]).every((value, index) => value === entry[index]))) {
    return latest.analysis;
  }
  const { analysis, filesRead } = analyze(options);
  latestAnalyses.set(key, { stamps: filesRead.map(stamp), analysis });
  return analysis;
}

function analyze(options: { workspaceRoot: string; configFile: string; pluginOptions: NormalizedPluginOptions }): { analysis: ServiceAnalysis; filesRead: string[] } {
  const { workspaceRoot, pluginOptions } = options;
  const configPath = join(workspaceRoot, options.configFile);
  const projectRoot = toPosix(dirname(options.configFile));
  const { configs } = loadSkaffoldConfigs({ file: configPath });

  const environments = inferEnvironments(configs, pluginOptions);
  const filesRead = new Set<string>(configs.map((loaded) => loaded.file));
  const globs = new Set<string>();
  const policies: Array<TagPolicy | undefined> = [];
  for (const environment of environments) {
    for (const { config, dir } of applyProfilesToConfigs({ configs, profiles: environment.profiles, env: {} })) {
      for (const path of config.manifests?.kustomize?.paths ?? []) {
        if (/^[a-z]+:\/\//i.test(path) || path.includes('{{')) continue;
        for (const file of listKustomizationFiles(isAbsolute(path) ? path : join(dir, path))) filesRead.add(file);
      }
      for (const glob of config.manifests?.rawYaml ?? []) {
        if (/^[a-z]+:\/\//i.test(glob)) continue;
        globs.add(toPosix(relative(workspaceRoot, isAbsolute(glob) ? glob : join(dir, glob))));
      }
      if (config.build?.artifacts?.length) policies.push(config.build.tagPolicy);
    }
  }
  const described = policies.map((policy) => describeTagInputs(policy));
  const analysis: ServiceAnalysis = {
    environments,
    externalFiles: [...filesRead]
      .map((file) => toPosix(relative(workspaceRoot, file)))
      .filter((file) => !isInside(projectRoot, file))
      .sort(),
    externalGlobs: [...globs].filter((glob) => !isInside(projectRoot, glob)).sort(),
    dependsOnCommit: described.some((inputs) => inputs.dependsOnCommit),
    envVars: [...new Set(described.flatMap((inputs) => inputs.envVars))].sort(),
    nondeterministic: described.some((inputs) => inputs.nondeterministic),
  };
  return { analysis, filesRead: [...filesRead] };
}
