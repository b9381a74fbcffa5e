import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import { GitopsError } from '../lib/errors';
import type * as ManifestYamlModule from '../manifests/yaml';
import type { ManifestDocument } from '../manifests/yaml';
import type { SkaffoldConfig } from '../skaffold/types';
import {
  depBuildArgs,
  expandHelmTemplate,
  filterLegacyDuplicates,
  overridesYaml,
  releaseNamespace,
  resolveAgainst,
  templateArgs,
  upgradeV2Release,
  type HelmBuild,
  type HelmFlags,
  type HelmRelease,
} from './args';
import type { HelmRunner } from './binary';

/** The YAML parser of rendered manifests, loaded on first use (see `args.ts`: the plugin loads this module at graph time). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const manifestYaml = (): typeof ManifestYamlModule => require('../manifests/yaml') as typeof ManifestYamlModule;

/** The helm section of a config: `manifests.helm` (a v2 `deploy.helm` is loaded there) or the legacy `deploy.helm`. */
export interface HelmSection {
  releases?: HelmRelease[];
  flags?: HelmFlags;
  [key: string]: unknown;
}

function helmSection(value: unknown): HelmSection | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as HelmSection) : undefined;
}

function isV2(config: SkaffoldConfig): boolean {
  return config.apiVersion.startsWith('skaffold/v2');
}

/** The releases (with flags) `skaffold render` renders from a config's `manifests.helm`; a v2 release is upgraded as skaffold upgrades it. */
export function renderedHelmReleases(config: SkaffoldConfig): { releases: HelmRelease[]; flags: HelmFlags } | undefined {
  const section = helmSection(config.manifests?.helm);
  if (!section) return undefined;
  const releases = section.releases ?? [];
  return { releases: isV2(config) ? releases.map(upgradeV2Release) : releases, flags: section.flags ?? {} };
}

/**
 * The releases of a v3+ config's legacy `deploy.helm` that `skaffold render` adds after every config's
 * renderers: those whose name `manifests.helm` does not have. skaffold renders them without the legacy
 * deployer's flags. A v2 `deploy.helm` was moved to `manifests.helm` when loaded, so it adds nothing here,
 * as skaffold's duplicate filter drops the copy it keeps in the deployer.
 */
export function legacyHelmReleases(config: SkaffoldConfig): HelmRelease[] {
  if (isV2(config)) return [];
  const legacy = helmSection((config.deploy as Record<string, unknown> | undefined)?.helm);
  return filterLegacyDuplicates(legacy?.releases, helmSection(config.manifests?.helm)?.releases);
}

/** A remote chart: `remoteChart`, or a skaffold/v2 `chartPath` with `remote: true`. */
export function isRemoteRelease(release: HelmRelease): boolean {
  return !!release.remoteChart || release.remote === true;
}

/** Inputs of {@link renderHelmReleases}. */
export interface RenderHelmReleasesOptions {
  releases: readonly HelmRelease[];
  flags?: HelmFlags;
  /** The config's folder: relative chart, values and set-file paths are read against it, and helm runs there. */
  configDir: string;
  /** The config file, named in errors. */
  configFile: string;
  builds: readonly HelmBuild[];
  /** The environment templates read. */
  env: Record<string, string | undefined>;
  /** The `namespace` option: it wins over each release's namespace, as skaffold's `-n` does. */
  namespace?: string;
  helm: HelmRunner;
  /** A private folder for the overrides values files. */
  workDir: string;
}

function chartProblem(release: HelmRelease, configFile: string): GitopsError | undefined {
  if (release.remote === true) {
    return new GitopsError(`${configFile}: helm release "${release.name}" is a skaffold/v2 remote chart (remote: true), which needs the repositories of your own helm setup.`, {
      hint: 'Upgrade the release to a skaffold/v3+ config with remoteChart, repo and version (or an oci:// remoteChart), or render with the option engine: "skaffold".',
    });
  }
  if (release.remoteChart && !release.repo && !release.remoteChart.startsWith('oci://')) {
    return new GitopsError(`${configFile}: helm release "${release.name}" names remoteChart "${release.remoteChart}" without repo; the native engine does not read your helm repositories.`, {
      hint: 'Set the release\'s "repo" to the chart repository URL, or use an oci:// remoteChart.',
    });
  }
  if (!release.remoteChart && !release.chartPath) {
    return new GitopsError(`${configFile}: helm release "${release.name}" has neither chartPath nor remoteChart.`, { hint: 'Set chartPath (a local chart) or remoteChart.' });
  }
  return undefined;
}

/**
 * Renders a config's helm releases one after the other, as skaffold's helm renderer does: for each release,
 * expands the name, chart path and namespace (env templates, a missing variable fails), runs
 * `helm dep build` for a local chart unless `skipBuildDependencies`, writes `overrides` to a values file,
 * then runs `helm template` with skaffold's arguments and parses what it prints. Images are not replaced
 * here: the render pipeline replaces them in every document afterwards, as skaffold's post-renderer does.
 */
export async function renderHelmReleases(options: RenderHelmReleasesOptions): Promise<ManifestDocument[]> {
  const documents: ManifestDocument[] = [];
  const globalFlags = options.flags?.global ?? [];
  for (const [index, original] of options.releases.entries()) {
    const problem = chartProblem(original, options.configFile);
    if (problem) throw problem;
    const field = (name: string) => `helm release "${original.name}" ${name}`;
    const releaseName = expandHelmTemplate({ field: field('name'), text: original.name, values: options.env, missingKey: 'error' });
    const release: HelmRelease = { ...original };
    if (!release.remoteChart && release.chartPath) {
      const chartPath = expandHelmTemplate({ field: field('chartPath'), text: release.chartPath, values: options.env, missingKey: 'error' });
      release.chartPath = resolveAgainst(options.configDir, chartPath);
      if (!existsSync(join(release.chartPath, 'Chart.yaml'))) {
        throw new GitopsError(`${options.configFile}: helm release "${original.name}": no Chart.yaml in ${release.chartPath}.`, {
          hint: 'Fix the release\'s chartPath (relative paths are read against the folder of skaffold.yaml).',
        });
      }
    }
    release.valuesFiles = (release.valuesFiles ?? []).map((file) => (file.startsWith('~') || file.includes('{{') ? file : resolveAgainst(options.configDir, file)));
    release.setFiles = Object.fromEntries(Object.entries(release.setFiles ?? {}).map(([key, file]) => [key, file.startsWith('~') ? file : resolveAgainst(options.configDir, file)]));
    const namespace = releaseNamespace({ namespace: options.namespace, release, env: options.env });
    let overridesFile: string | undefined;
    if (Object.keys(release.overrides ?? {}).length > 0) {
      overridesFile = join(options.workDir, `${index}-skaffold-overrides.yaml`);
      writeFileSync(overridesFile, overridesYaml(release.overrides ?? {}));
    }
    const args = templateArgs({ releaseName, release, flags: options.flags, builds: options.builds, namespace, env: options.env, overridesFile });
    for (const file of release.valuesFiles) {
      if (!file.includes('{{') && !file.startsWith('~') && !existsSync(file)) {
        throw new GitopsError(`${options.configFile}: helm release "${original.name}": values file ${file} does not exist.`, { hint: 'Fix the release\'s valuesFiles.' });
      }
    }
    if (!release.skipBuildDependencies && !release.remoteChart && release.chartPath && declaresDependencies(release.chartPath)) {
      // helm dependency build only downloads from repositories it knows; the private home knows none.
      for (const url of repositoryDependencies(release.chartPath)) {
        await options.helm.run(['repo', 'add', repositoryName(url), url, ...globalFlags], { cwd: options.configDir });
      }
      await options.helm.run([...depBuildArgs(release.chartPath, options.flags), ...globalFlags], { cwd: options.configDir });
    }
    const { stdout } = await options.helm.run([...args, ...globalFlags], { cwd: options.configDir });
    documents.push(...manifestYaml().parseManifests(stdout, `helm template ${releaseName} (${options.configFile})`));
  }
  return documents;
}

/** The http(s) chart repositories a chart's dependencies come from (`Chart.yaml`, or a v1 chart's `requirements.yaml`), sorted. */
export function repositoryDependencies(chartDir: string): string[] {
  const urls = new Set<string>();
  for (const file of ['Chart.yaml', 'requirements.yaml']) {
    let parsed: unknown;
    try {
      parsed = load(readFileSync(join(chartDir, file), 'utf8'), { schema: CORE_SCHEMA });
    } catch {
      continue;
    }
    const dependencies = (parsed as { dependencies?: unknown } | null)?.dependencies;
    for (const dependency of Array.isArray(dependencies) ? dependencies : []) {
      const repository = (dependency as { repository?: unknown } | null)?.repository;
      if (typeof repository === 'string' && /^https?:\/\//.test(repository)) urls.add(repository.replace(/\/+$/, ''));
    }
  }
  return [...urls].sort();
}

/** A stable repository name for `helm repo add`, derived from its URL. */
function repositoryName(url: string): string {
  return `nx-gitops-${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;
}

/**
 * True when a chart lists dependencies (`Chart.yaml` `dependencies`, or a v1 chart's `requirements.yaml`):
 * only then has `helm dep build` anything to do, so a chart without any costs no extra process.
 */
function declaresDependencies(chartDir: string): boolean {
  if (existsSync(join(chartDir, 'requirements.yaml'))) return true;
  try {
    return /^dependencies\s*:/m.test(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'));
  } catch {
    return false;
  }
}
