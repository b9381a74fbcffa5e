import { GitopsError } from '../lib/errors';
import type { SkaffoldConfig } from './types';

/** A part of a config that `skaffold render` turns into (or checks against) manifests and the native engine does not. */
export interface UnrenderedSource {
  /** The field as the config's apiVersion spells it, e.g. `manifests.helm` or `deploy.helm`. */
  field: string;
  /** What it is and what skaffold does with it. */
  what: string;
  /** How to render the service anyway. */
  hint: string;
}

const USE_SKAFFOLD_ENGINE = 'Render this service with the option engine: "skaffold" (it runs skaffold render)';

type Section = Record<string, unknown>;

function section(value: unknown): Section | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Section) : undefined;
}

function nonEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

function isV2(config: SkaffoldConfig): boolean {
  return config.apiVersion.startsWith('skaffold/v2');
}

/** skaffold's `util.IsURL` plus the `gs://` sources its manifest generator downloads. */
function isRemotePath(path: string): boolean {
  return path.startsWith('http://') || path.startsWith('https://') || path.startsWith('gs://');
}

/** Render hooks run commands before and after rendering; an `after` hook with `withChange` replaces the manifests. */
function hasRenderHooks(manifests: Section): boolean {
  const hooks = section(manifests.hooks);
  return !!hooks && (nonEmptyList(hooks.before) || nonEmptyList(hooks.after));
}

/** Which helm releases are refused; see {@link findUnrenderedSources}. */
export interface HelmRefusalOptions {
  /** Render remote charts without a pinned `version` (option `allowUnpinnedCharts`). */
  allowUnpinnedCharts?: boolean;
}

/**
 * The helm releases the native engine refuses: `packaged` (skaffold packages the chart and installs the
 * archive, a deploy-time step), `useHelmSecrets` (decrypts values with the helm-secrets plugin and the
 * user's keys), and remote charts without a pinned `version` (their output changes without a commit),
 * unless `allowUnpinnedCharts`.
 */
function helmReleaseSources(field: string, helm: unknown, options: HelmRefusalOptions): UnrenderedSource[] {
  const releases = section(helm)?.releases;
  const sources: UnrenderedSource[] = [];
  for (const [index, value] of (Array.isArray(releases) ? releases : []).entries()) {
    const release = section(value) ?? {};
    const where = `${field}.releases[${index}] ("${String(release.name ?? '')}")`;
    if (release.packaged !== undefined && release.packaged !== null) {
      sources.push({ field: `${where}.packaged`, what: 'a chart packaged into an archive before it is installed, a step of skaffold deploy', hint: 'Remove packaged (render needs the chart, not the archive), or render with the option engine: "skaffold".' });
    }
    if (release.useHelmSecrets === true) {
      sources.push({ field: `${where}.useHelmSecrets`, what: 'values decrypted by the helm-secrets plugin with your keys at render time', hint: 'Keep secrets out of the rendered manifests (e.g. SOPS or sealed secrets applied in the cluster), or render with the option engine: "skaffold".' });
    }
    const remote = typeof release.remoteChart === 'string' && release.remoteChart !== '' ? release.remoteChart : release.remote === true ? String(release.chartPath ?? '') : undefined;
    if (remote !== undefined && !release.version && !options.allowUnpinnedCharts) {
      sources.push({
        field: `${where}.version`,
        what: `the remote chart "${remote}" without a pinned version, whose output can change without a commit`,
        hint: 'Pin the chart with the release\'s "version", or set the render option allowUnpinnedCharts (and make the render target uncached).',
      });
    }
  }
  return sources;
}

function helmSource(config: SkaffoldConfig, manifests: Section, options: HelmRefusalOptions): UnrenderedSource[] {
  if (manifests.helm === undefined || manifests.helm === null) return [];
  return helmReleaseSources(isV2(config) ? 'deploy.helm' : 'manifests.helm', manifests.helm, options);
}

function kptSource(config: SkaffoldConfig, manifests: Section): UnrenderedSource[] {
  if (isV2(config) && manifests.kpt !== undefined && manifests.kpt !== null) {
    return [
      {
        field: 'deploy.kpt',
        what: 'the kpt deployer of a skaffold/v2 config, which skaffold v2 cannot upgrade either ("converting deploy.kpt isn\'t currently supported")',
        hint: 'Move the kpt packages to manifests.kpt in a skaffold/v3+ config and render with the option engine: "skaffold".',
      },
    ];
  }
  if (!nonEmptyList(manifests.kpt)) return [];
  return [{ field: 'manifests.kpt', what: 'kpt packages, which skaffold render renders with kpt fn render', hint: `${USE_SKAFFOLD_ENGINE}.` }];
}

function krmFunctionSources(manifests: Section): UnrenderedSource[] {
  const sources: UnrenderedSource[] = [];
  if (nonEmptyList(manifests.transform)) {
    sources.push({ field: 'manifests.transform', what: 'KRM transformer functions, which change the rendered manifests', hint: `${USE_SKAFFOLD_ENGINE}, or express the change as a kustomize transformer.` });
  }
  if (nonEmptyList(manifests.validate)) {
    sources.push({ field: 'manifests.validate', what: 'KRM validator functions, which fail the render when the manifests do not pass', hint: `${USE_SKAFFOLD_ENGINE}, or run the validator on the rendered manifest in CI.` });
  }
  return sources;
}

function remoteSources(config: SkaffoldConfig, manifests: Section): UnrenderedSource[] {
  const sources: UnrenderedSource[] = [];
  const local = 'Vendor the manifests into the repository and list them under manifests.rawYaml or manifests.kustomize, or render with the option engine: "skaffold".';
  if (nonEmptyList(manifests.remoteManifests)) {
    sources.push({ field: 'manifests.remoteManifests', what: 'manifests read from a cluster at render time', hint: local });
  }
  const rawYaml = Array.isArray(manifests.rawYaml) ? (manifests.rawYaml as unknown[]) : [];
  for (const entry of rawYaml) {
    if (typeof entry === 'string' && isRemotePath(entry)) {
      const field = isV2(config) ? 'deploy.kubectl.manifests' : 'manifests.rawYaml';
      sources.push({ field: `${field} entry "${entry}"`, what: 'a remote manifest, downloaded at render time', hint: local });
    }
  }
  const paths = section(manifests.kustomize)?.paths;
  for (const path of Array.isArray(paths) ? paths : []) {
    if (typeof path === 'string' && (path.startsWith('http://') || path.startsWith('https://'))) {
      const field = isV2(config) ? 'deploy.kustomize.paths' : 'manifests.kustomize.paths';
      sources.push({ field: `${field} entry "${path}"`, what: 'a remote kustomization, fetched at render time', hint: local });
    }
  }
  return sources;
}

/** What `deploy` holds that skaffold render turns into manifests: a legacy helm deployer and kubectl remote manifests. */
function deploySources(config: SkaffoldConfig, options: HelmRefusalOptions): UnrenderedSource[] {
  const deploy = section(config.deploy);
  if (!deploy) return [];
  const sources: UnrenderedSource[] = [];
  // v2 helm releases were moved to manifests.helm on load; a v3+ deploy.helm is the legacy helm deployer,
  // whose releases skaffold render renders too (runner.GetRenderer forces a helm renderer for them).
  if (!isV2(config)) sources.push(...helmReleaseSources('deploy.helm', deploy.helm, options));
  if (nonEmptyList(section(deploy.kubectl)?.remoteManifests)) {
    const ignored = config.apiVersion.startsWith('skaffold/v4');
    sources.push({
      field: 'deploy.kubectl.remoteManifests',
      what: ignored
        ? 'manifests read from a cluster, which skaffold ignores here since skaffold/v4beta1 (they moved to manifests.remoteManifests)'
        : 'manifests read from a cluster at render time',
      hint: ignored
        ? 'Remove deploy.kubectl.remoteManifests, or move them to manifests.remoteManifests and render with the option engine: "skaffold".'
        : `Vendor the manifests into the repository and list them under ${isV2(config) ? 'deploy.kubectl.manifests' : 'manifests.rawYaml'}, or render with the option engine: "skaffold".`,
    });
  }
  return sources;
}

/**
 * Every source of a config (profiles applied, in the layout nx-gitops loads it into) that `skaffold render`
 * would turn into manifests, or that would change or check them, but the native engine does not render:
 * helm releases that are `packaged`, `useHelmSecrets` or unpinned remote charts (in `manifests.helm`, a v2
 * `deploy.helm`, the legacy `deploy.helm` of v3+ configs; see `options.allowUnpinnedCharts`), kpt packages,
 * KRM `transform`/`validate` functions, remote manifests (cluster, http(s), gs:// and remote kustomizations)
 * and render `hooks`. Deployers and sections that do not change the render (`deploy.docker`, `deploy.kpt` of
 * v3+, `test`, `portForward`, …) are not listed.
 */
export function findUnrenderedSources(config: SkaffoldConfig, options: HelmRefusalOptions = {}): UnrenderedSource[] {
  const manifests = section(config.manifests) ?? {};
  const sources = [...kptSource(config, manifests), ...remoteSources(config, manifests), ...helmSource(config, manifests, options), ...krmFunctionSources(manifests)];
  if (hasRenderHooks(manifests)) {
    sources.push({
      field: 'manifests.hooks',
      what: 'render hooks, which run commands before and after rendering (an after hook with withChange replaces the manifests)',
      hint: `${USE_SKAFFOLD_ENGINE}, or run the command before nx-gitops render and list what it writes under manifests.rawYaml.`,
    });
  }
  return [...sources, ...deploySources(config, options)];
}

/**
 * Fails on the first config whose sources the native engine does not render (see
 * {@link findUnrenderedSources}), naming the file, the active profiles, the field and the engine that
 * renders it, so that a service is never published without part of its manifests.
 */
export function assertNativelyRenderable(
  configs: ReadonlyArray<{ config: SkaffoldConfig; file: string; activeProfiles?: readonly string[] }>,
  options: HelmRefusalOptions = {},
): void {
  for (const { config, file, activeProfiles } of configs) {
    const [source] = findUnrenderedSources(config, options);
    if (!source) continue;
    const profiles = activeProfiles?.length ? ` (profiles ${activeProfiles.join(', ')})` : '';
    throw new GitopsError(`${file}${profiles}: ${source.field} is not rendered by the native engine: ${source.what}.`, { hint: source.hint });
  }
}
