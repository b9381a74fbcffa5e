/**
 * Pure argument building for `helm template` and `helm dependency build`, following skaffold v2's helm
 * renderer (`pkg/skaffold/render/renderer/helm/args.go`, `pkg/skaffold/helm/args.go`). No I/O: paths are
 * only joined, never read.
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { GitopsError } from '../lib/errors';
import type * as ManifestYamlModule from '../manifests/yaml';
import type { ManifestValue } from '../manifests/yaml';
import { executeGoTemplate, parseGoTemplate, type MissingKeyMode } from '../skaffold/go-template';
import { tryParseImageReference } from '../skaffold/image-reference';

/**
 * The YAML emitter (and the YAML library behind it), loaded on first use: the plugin asks this module which
 * files a release reads on every project-graph run, which needs no emitter.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const manifestYaml = (): typeof ManifestYamlModule => require('../manifests/yaml') as typeof ManifestYamlModule;

/** One `releases[]` entry of `manifests.helm` or `deploy.helm`, as the config writes it. */
export interface HelmRelease {
  name: string;
  chartPath?: string;
  remoteChart?: string;
  repo?: string;
  version?: string;
  valuesFiles?: string[];
  namespace?: string;
  setValues?: Record<string, unknown>;
  setValueTemplates?: Record<string, unknown>;
  setFiles?: Record<string, string>;
  createNamespace?: boolean;
  skipBuildDependencies?: boolean;
  skipTests?: boolean;
  useHelmSecrets?: boolean;
  overrides?: Record<string, unknown>;
  packaged?: { version?: string; appVersion?: string };
  /** skaffold/v2: the chart path names a chart of a repository the user's helm knows. */
  remote?: boolean;
  /** skaffold/v2: image name per values key, upgraded to setValueTemplates as skaffold does. */
  artifactOverrides?: Record<string, unknown>;
  /** skaffold/v2: how artifactOverrides are written (`fqn`, or `helm` with `explicitRegistry`). */
  imageStrategy?: { fqn?: unknown; helm?: { explicitRegistry?: boolean } | null };
  [key: string]: unknown;
}

/** `manifests.helm.flags` / `deploy.helm.flags`: extra arguments per helm command. */
export interface HelmFlags {
  global?: string[];
  template?: string[];
  depBuild?: string[];
  [key: string]: unknown;
}

/** An image as the helm renderer sees it: the artifact's name and the full reference written for it. */
export interface HelmBuild {
  imageName: string;
  tag: string;
}

/** skaffold's `SanitizeHelmTemplateValue`: `.`, `-`, `/` and `:` become `_`, so a name can be a template field. */
export function sanitizeHelmTemplateValue(value: string): string {
  return value.replace(/[.\-/:]/g, '_');
}

/** Go's `fmt.Sprintf("%v")` of a YAML scalar, as skaffold's FlatMap stores values. */
function goPrint(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'number' && !Number.isInteger(value)) {
    // Go prints float64 with %g's shortest form; large and tiny exponents use e+XX.
    const text = String(value);
    return text.replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(value);
}

/**
 * skaffold's `FlatMap`: nested maps become dotted keys and lists `key[index]`, so `{image: {tag: v}}` and
 * `{image.tag: v}` are the same setting; scalars are printed as Go's `%v` prints them.
 */
export function flattenValues(values: Record<string, unknown> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  const visit = (item: unknown, key: string): void => {
    if (Array.isArray(item)) item.forEach((entry, index) => visit(entry, `${key}[${index}]`));
    else if (item !== null && typeof item === 'object' && !(item instanceof Date)) {
      for (const [child, value] of Object.entries(item)) visit(value, `${key}.${child}`);
    } else result[key] = goPrint(item);
  };
  for (const [key, value] of Object.entries(values ?? {})) visit(value, key);
  return result;
}

/** Go's `sort.Strings` order (byte order), which `maps.SortKeys` uses. */
function sortedKeys(map: Record<string, unknown>): string[] {
  return Object.keys(map).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The template values skaffold's `envVarForImage` derives from one image. */
function imageValues(imageName: string, reference: string): Record<string, string> {
  const values: Record<string, string> = { IMAGE_NAME: imageName, DIGEST: reference };
  const parsed = tryParseImageReference(reference);
  if (parsed) {
    values.IMAGE_REPO = parsed.baseName;
    values.IMAGE_TAG = parsed.tag;
    values.IMAGE_DIGEST = parsed.digest;
  }
  if (reference === '') return values;
  const separator = reference.indexOf(':');
  if (separator >= 0) {
    values.DIGEST_ALGO = reference.slice(0, separator);
    values.DIGEST_HEX = reference.slice(separator + 1);
  } else {
    values.DIGEST_HEX = reference;
  }
  const domain = parsed?.domain ?? '';
  const baseName = parsed?.baseName ?? '';
  values.IMAGE_DOMAIN = domain;
  values.IMAGE_REPO_NO_DOMAIN = baseName.startsWith(`${domain}/`) ? baseName.slice(domain.length + 1) : baseName;
  values.IMAGE_FULLY_QUALIFIED = reference;
  return values;
}

/**
 * The values `setValueTemplates` (and `valuesFiles` entries) are expanded with: for every build, skaffold's
 * `IMAGE_REPO_<name>`, `IMAGE_TAG_<name>`, `IMAGE_DIGEST_<name>`, `IMAGE_FULLY_QUALIFIED_<name>`,
 * `IMAGE_DOMAIN_<name>`, `IMAGE_REPO_NO_DOMAIN_<name>` (plus `IMAGE_NAME`, `DIGEST`, `DIGEST_ALGO`, `DIGEST_HEX`),
 * `<name>` being the image name with `.`, `-`, `/`, `:` as `_`; the first build also without suffix, the
 * n-th (n ≥ 2) with suffix `n`. Later builds win on a clash, as in skaffold's map.
 */
export function imageTemplateValues(builds: readonly HelmBuild[]): Record<string, string> {
  const values: Record<string, string> = {};
  builds.forEach((build, index) => {
    const indexSuffix = index > 0 ? String(index + 1) : '';
    const nameSuffix = sanitizeHelmTemplateValue(build.imageName);
    for (const [key, value] of Object.entries(imageValues(build.imageName, build.tag))) {
      values[key + indexSuffix] = value;
      values[`${key}_${nameSuffix}`] = value;
    }
  });
  return values;
}

/** skaffold's `SanitizeFilePath` off Windows: a path with a space or tab is wrapped in double quotes; an empty one is `""`. */
export function sanitizeFilePath(path: string): string {
  if (path === '') return '""';
  return /[ \t]/.test(path) ? `"${path}"` : path;
}

/** go-homedir's `Expand`: a leading `~` (alone or before `/`) is the home directory. */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  if (path.startsWith('~')) {
    throw new GitopsError(`Cannot expand "${path}": only "~" and "~/…" name a home directory.`, { hint: 'Write the path without "~user".' });
  }
  return path;
}

/** Expands a skaffold env template in a helm field; `missingKey: 'error'` is skaffold's `ExpandEnvTemplateOrFail`. */
export function expandHelmTemplate(options: { field: string; text: string; values: Record<string, string | undefined>; missingKey: MissingKeyMode }): string {
  if (!options.text.includes('{{')) return options.text;
  const data = Object.fromEntries(Object.entries(options.values).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return executeGoTemplate(parseGoTemplate(options.field, options.text), data, { missingKey: options.missingKey });
}

/** `helm dep build <chart> <flags.depBuild…>`, as skaffold's `depBuildArgs`. */
export function depBuildArgs(chartPath: string, flags: HelmFlags = {}): string[] {
  return ['dep', 'build', chartPath, ...(flags.depBuild ?? [])];
}

/** The namespace a release is templated in: the `namespace` option wins over the release's (templated) `namespace`. */
export function releaseNamespace(options: { namespace?: string; release: HelmRelease; env: Record<string, string | undefined> }): string {
  if (options.namespace) return options.namespace;
  if (!options.release.namespace) return '';
  return expandHelmTemplate({ field: `release "${options.release.name}" namespace`, text: options.release.namespace, values: options.env, missingKey: 'error' });
}

/** What {@link templateArgs} needs. */
export interface TemplateArgsOptions {
  releaseName: string;
  release: HelmRelease;
  flags?: HelmFlags;
  builds?: readonly HelmBuild[];
  namespace?: string;
  /** The environment templates read (skaffold's OS environment); image values override it. */
  env?: Record<string, string | undefined>;
  /** Arguments after the template flags (skaffold's post-renderer). */
  additionalArgs?: readonly string[];
  /** The file `overrides` were written to, when the release has overrides. */
  overridesFile?: string;
  /** The home directory `~` expands to. */
  home?: string;
}

/**
 * The arguments of `helm template`, in skaffold's order: `template <name> <chart>`, `flags.template`,
 * additional arguments, `--set` per setValues key (sorted), `--set-file` per setFiles key (sorted), `--set`
 * per setValueTemplates key (sorted, key and value expanded, a trailing `@` dropped), `-f` per valuesFiles
 * entry, `-f <overrides>`, `--version`, `--namespace`, `--repo`, `--skip-tests`. `flags.global` is appended
 * by the caller, as skaffold appends it to every helm command.
 */
export function templateArgs(options: TemplateArgsOptions): string[] {
  const { release } = options;
  const args = ['template', options.releaseName, release.remoteChart || release.chartPath || '', ...(options.flags?.template ?? []), ...(options.additionalArgs ?? [])];
  const setValues = flattenValues(release.setValues);
  for (const key of sortedKeys(setValues)) args.push('--set', `${key}=${setValues[key]}`);
  const setFiles = release.setFiles ?? {};
  for (const key of sortedKeys(setFiles)) args.push('--set-file', `${key}=${sanitizeFilePath(expandHome(setFiles[key], options.home))}`);
  const values = { ...(options.env ?? {}), ...imageTemplateValues(options.builds ?? []) };
  const templates = flattenValues(release.setValueTemplates);
  for (const key of sortedKeys(templates)) {
    const field = `release "${release.name}" setValueTemplates`;
    const value = expandHelmTemplate({ field, text: templates[key], values, missingKey: 'invalid' });
    const expandedKey = expandHelmTemplate({ field, text: key, values, missingKey: 'invalid' });
    args.push('--set', `${expandedKey}=${value.endsWith('@') ? value.slice(0, -1) : value}`);
  }
  for (const file of release.valuesFiles ?? []) {
    const expanded = expandHelmTemplate({ field: `release "${release.name}" valuesFiles`, text: expandHome(file, options.home), values, missingKey: 'invalid' });
    args.push('-f', expanded);
  }
  if (options.overridesFile && Object.keys(release.overrides ?? {}).length > 0) args.push('-f', options.overridesFile);
  if (!release.packaged && release.version) args.push('--version', release.version);
  if (options.namespace) args.push('--namespace', options.namespace);
  if (release.repo) args.push('--repo', release.repo);
  if (release.skipTests) args.push('--skip-tests');
  return args;
}

/** The YAML skaffold writes for a release's `overrides` (yaml.v3, keys sorted). */
export function overridesYaml(overrides: Record<string, unknown>): string {
  return manifestYaml().marshalYaml(overrides as ManifestValue);
}

/**
 * The releases of the legacy `deploy.helm` that skaffold render adds for a config: those whose name no
 * `manifests.helm` release of the same config has (skaffold's `filterDuplicates`).
 */
export function filterLegacyDuplicates(legacy: readonly HelmRelease[] | undefined, rendered: readonly HelmRelease[] | undefined): HelmRelease[] {
  if (!legacy) return [];
  const names = new Set((rendered ?? []).map((release) => release.name));
  return legacy.filter((release) => !names.has(release.name));
}

/**
 * A skaffold/v2 release as skaffold's v2beta29 upgrade turns it into a v3 one: `artifactOverrides` become
 * `setValues`-style `setValueTemplates`, `{{.IMAGE_FULLY_QUALIFIED_<name>}}` for the `fqn` strategy (the
 * default), or `<key>.repository`/`<key>.tag` (and `<key>.registry` with `explicitRegistry`) for `helm`.
 */
export function upgradeV2Release(release: HelmRelease): HelmRelease {
  const { artifactOverrides, imageStrategy, ...rest } = release;
  const overrides = flattenValues(artifactOverrides as Record<string, unknown> | undefined);
  if (Object.keys(overrides).length === 0) return rest;
  const templates: Record<string, unknown> = { ...flattenValues(release.setValueTemplates) };
  const helmConvention = imageStrategy?.helm;
  for (const [key, image] of Object.entries(overrides)) {
    const name = sanitizeHelmTemplateValue(image);
    if (helmConvention) {
      templates[`${key}.tag`] = `{{.IMAGE_TAG_${name}}}@{{.IMAGE_DIGEST_${name}}}`;
      templates[`${key}.repository`] = `{{.IMAGE_REPO_${name}}}`;
      if (helmConvention.explicitRegistry) {
        templates[`${key}.registry`] = `{{.IMAGE_DOMAIN_${name}}}`;
        templates[`${key}.repository`] = `{{.IMAGE_REPO_NO_DOMAIN_${name}}}`;
      }
    } else {
      templates[key] = `{{.IMAGE_FULLY_QUALIFIED_${name}}}`;
    }
  }
  return { ...rest, setValues: rest.setValues ?? {}, setValueTemplates: templates };
}

/** `path` against `dir` unless it is absolute (skaffold makes a config's file paths absolute against its folder). */
export function resolveAgainst(dir: string, path: string): string {
  return isAbsolute(path) ? path : join(dir, path);
}
