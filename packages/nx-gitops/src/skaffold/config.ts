import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import type { Document, LineCounter } from 'yaml';
import { GitopsError } from '../lib/errors';
import { checkInputSize, isStackOverflow, readBoundedFile, safeSyntaxReason, stackOverflowRefusal } from '../manifests/yaml-limits';
import { removeNullFields, type FieldPath } from './strict-fields';
import type { ConfigDependency, Profile, SkaffoldConfig } from './types';
import { findConfigProblem } from './validate-config';
import { decodeYamlV3Document, yamlV3OffsetOf } from './yaml-v3';

import { SUPPORTED_API_VERSIONS } from './api-versions';

export { SUPPORTED_API_VERSIONS };

/** One config document of a skaffold.yaml, upgraded to the v3+ layout. */
export interface LoadedConfig {
  /** The config, with `manifests.*` wherever the file's version kept them. */
  config: SkaffoldConfig;
  /** Absolute path of the file it came from. */
  file: string;
  /** The directory relative paths in it are resolved against. */
  dir: string;
  /** 0-based index of the document in its file. */
  documentIndex: number;
}

/** Something a config does that nx-gitops accepts but the user should know about. */
export interface ConfigWarning {
  file: string;
  line?: number;
  message: string;
}

/** The configs of one file, or of a file and everything it `requires`, dependencies first. */
export interface ConfigLoadResult {
  configs: LoadedConfig[];
  warnings: ConfigWarning[];
}

/**
 * The position-keeping YAML parser, loaded only when a file needs an error or warning with its line:
 * valid files never pay for loading it.
 */
function positionalYaml(): typeof import('yaml') {
  return require('yaml') as typeof import('yaml');
}
const parsedByContent = new Map<string, ConfigLoadResult>();

/** `file:line:column` for `offset` in a parsed document, for error messages. */
function locate(file: string, lineCounter: LineCounter, offset: number | undefined): string {
  if (offset === undefined) return file;
  const { line, col } = lineCounter.linePos(offset);
  return `${file}:${line}:${col}`;
}

/**
 * The source offset of the node at `path`, or of its closest existing ancestor, through aliases and merge
 * keys. For a mapping entry the offset of its key is used with `atKey`, so "unknown field" errors point at
 * the field name.
 */
function offsetOf(document: Document, path: FieldPath, atKey = false): number | undefined {
  return yamlV3OffsetOf({ document, path, atKey });
}

/**
 * Parse options for the position-keeping parser: `<<` stays an ordinary key there (whatever a `%YAML 1.1`
 * directive says), for {@link decodeYamlV3Document} to merge as yaml.v3 does.
 */
const POSITIONAL_PARSE_OPTIONS = { merge: false, prettyErrors: false } as const;

/**
 * True when the text may hold an anchor, an alias or a merge key: those files take the position-keeping
 * path, whose decoder follows yaml.v3 (js-yaml shares aliased objects and merges differently).
 */
function mayUseAnchors(text: string): boolean {
  return /(?:^|[\s,[{])[&*][^\s,[\]{}]/m.test(text) || text.includes('<<');
}

const PATCH_PATH_RENAMES: ReadonlyArray<[string, string]> = [
  ['/deploy/kubectl/manifests', '/manifests/rawYaml'],
  ['/deploy/kustomize/paths', '/manifests/kustomize/paths'],
  ['/deploy/kustomize/buildArgs', '/manifests/kustomize/buildArgs'],
  ['/deploy/kustomize', '/manifests/kustomize'],
  ['/deploy/helm', '/manifests/helm'],
  ['/deploy/kpt', '/manifests/kpt'],
];

function isV2(apiVersion: string): boolean {
  return apiVersion.startsWith('skaffold/v2');
}

type Section = Record<string, unknown>;

/**
 * Drops top-level keys that start with "." (skaffold's removeYamlAnchors): they hold YAML anchors for
 * the rest of the file and are not config fields.
 */
function withoutAnchorKeys(raw: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(raw).some((key) => key.startsWith('.'))) return raw;
  return Object.fromEntries(Object.entries(raw).filter(([key]) => !key.startsWith('.')));
}

/** Moves the manifest sources of a v2 `deploy` section into a v3 `manifests` section (as v2beta29/upgrade.go). */
function upgradeDeploySection(section: { deploy?: unknown; manifests?: unknown }): void {
  const deploy = section.deploy as Section | undefined;
  if (!deploy || typeof deploy !== 'object') return;
  const manifests: Section = { ...((section.manifests as Section | undefined) ?? {}) };
  const kubectl = deploy.kubectl as Section | undefined;
  if (kubectl && typeof kubectl === 'object') {
    // v2 defaulted the kubectl deployer's manifests to k8s/*.yaml.
    manifests.rawYaml = (kubectl.manifests as string[] | undefined) ?? ['k8s/*.yaml'];
    const { manifests: _moved, ...rest } = kubectl;
    deploy.kubectl = rest;
  }
  const kustomize = deploy.kustomize as Section | undefined;
  if (kustomize && typeof kustomize === 'object') {
    manifests.kustomize = {
      paths: (kustomize.paths as string[] | undefined)?.length ? kustomize.paths : ['.'],
      ...(kustomize.buildArgs ? { buildArgs: kustomize.buildArgs } : {}),
    };
    delete deploy.kustomize;
  }
  for (const moved of ['helm', 'kpt'] as const) {
    if (deploy[moved] !== undefined) {
      manifests[moved] = deploy[moved];
      delete deploy[moved];
    }
  }
  if (Object.keys(manifests).length > 0) section.manifests = manifests;
}

/** Upgrades a `skaffold/v2beta*` config to the v3+ layout nx-gitops works on; later versions pass unchanged. */
export function upgradeConfig(config: SkaffoldConfig): SkaffoldConfig {
  if (!isV2(config.apiVersion)) return config;
  const upgraded = structuredClone(config);
  upgradeDeploySection(upgraded);
  for (const profile of upgraded.profiles ?? []) {
    upgradeDeploySection(profile as Profile & { deploy?: unknown });
    for (const patch of profile.patches ?? []) {
      for (const key of ['path', 'from'] as const) {
        const value = patch[key];
        if (!value) continue;
        const rename = PATCH_PATH_RENAMES.find(([from]) => value === from || value.startsWith(`${from}/`));
        if (rename) patch[key] = rename[1] + value.slice(rename[0].length);
      }
    }
  }
  return upgraded;
}

/**
 * Parses the text of a skaffold.yaml (one or more `---` separated documents), validates each document
 * against the schema of the fields nx-gitops reads, and upgrades it to the v3+ layout. Malformed YAML,
 * an unknown `apiVersion` or `kind`, and invalid fields fail with `file:line:column`. The text is read within
 * the limits of `manifests/yaml-limits.ts` (size, depth, aliases), as every file nx-gitops parses.
 */
export function parseSkaffoldConfigs(options: { text: string; file: string }): ConfigLoadResult {
  checkInputSize(options);
  // The Nx plugin parses every skaffold.yaml on each graph computation; unchanged files are parsed once.
  const key = createHash('sha1').update(options.file).update('\0').update(options.text).digest('hex');
  const cached = parsedByContent.get(key);
  if (cached) return structuredClone(cached);
  const result = parseValidConfigs(options) ?? parseWithPositions(options);
  parsedByContent.set(key, result);
  return structuredClone(result);
}

/**
 * The fast path for the common case, a valid file: js-yaml parses several times faster than the
 * position-keeping parser, which matters when the graph reads hundreds of skaffold.yaml files. Anything
 * unusual (a syntax error, an invalid field, a warning to report) returns undefined, and the file is parsed
 * again with positions so the message can name the line.
 */
function parseValidConfigs(options: { text: string; file: string }): ConfigLoadResult | undefined {
  if (mayUseAnchors(options.text)) return undefined;
  let documents: unknown[];
  try {
    documents = loadAll(options.text, undefined, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  const configs: LoadedConfig[] = [];
  for (const [documentIndex, value] of documents.entries()) {
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) return undefined;
    const raw = withoutAnchorKeys(value as Record<string, unknown>);
    if (raw.kind !== 'Config' || typeof raw.apiVersion !== 'string' || !SUPPORTED_API_VERSIONS.includes(raw.apiVersion)) return undefined;
    removeNullFields(raw, raw.apiVersion);
    if (findConfigProblem(raw, { apiVersion: raw.apiVersion })) return undefined;
    const config = upgradeConfig(raw as unknown as SkaffoldConfig);
    if (Object.keys(config.build?.tagPolicy ?? {}).length > 1) return undefined;
    configs.push({ config, file: options.file, dir: dirname(options.file), documentIndex });
  }
  return configs.length > 0 ? { configs, warnings: [] } : undefined;
}

/**
 * Parses with the position-keeping parser only (what {@link parseSkaffoldConfigs} falls back to for
 * errors and warnings); exported so the two paths can be checked to agree.
 */
export function parseWithPositions(options: { text: string; file: string }): ConfigLoadResult {
  const { text, file } = options;
  const { LineCounter, parseAllDocuments } = positionalYaml();
  const lineCounter = new LineCounter();
  const tooDeep = (offset?: number): GitopsError => {
    const refusal = stackOverflowRefusal();
    return new GitopsError(`${locate(file, lineCounter, offset)}: ${refusal.reason}.`, { hint: refusal.hint });
  };
  let documents: ReturnType<typeof parseAllDocuments>;
  try {
    documents = parseAllDocuments(text, { lineCounter, ...POSITIONAL_PARSE_OPTIONS });
  } catch (error) {
    if (isStackOverflow(error)) throw tooDeep();
    throw error;
  }
  const list = Array.isArray(documents) ? documents : [];
  const configs: LoadedConfig[] = [];
  const warnings: ConfigWarning[] = [];
  list.forEach((document, documentIndex) => {
    const [yamlError] = document.errors;
    if (yamlError) {
      if (isStackOverflow(yamlError)) throw tooDeep(yamlError.pos[0]);
      // The reason without the text it may quote: a `requires` path can point at any file.
      throw new GitopsError(`${locate(file, lineCounter, yamlError.pos[0])}: invalid YAML: ${safeSyntaxReason(yamlError.message)}`, {
        hint: 'Fix the YAML syntax at that position.',
      });
    }
    let value: unknown;
    try {
      value = decodeYamlV3Document({ document, lineCounter, file });
    } catch (error) {
      if (isStackOverflow(error)) throw tooDeep(document.contents?.range?.[0]);
      throw error;
    }
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new GitopsError(`${locate(file, lineCounter, offsetOf(document, []))}: a skaffold config must be a mapping.`);
    }
    const raw = withoutAnchorKeys(value as Record<string, unknown>);
    if (raw.kind !== 'Config') {
      throw new GitopsError(
        `${locate(file, lineCounter, offsetOf(document, ['kind']))}: unknown kind ${JSON.stringify(raw.kind)}; skaffold configs have "kind: Config".`,
      );
    }
    if (typeof raw.apiVersion !== 'string' || !SUPPORTED_API_VERSIONS.includes(raw.apiVersion)) {
      throw new GitopsError(
        `${locate(file, lineCounter, offsetOf(document, ['apiVersion']))}: unsupported apiVersion ${JSON.stringify(raw.apiVersion)}.`,
        {
          hint: `Use one of skaffold/v2beta10 … skaffold/v4beta14 (run "skaffold fix" to upgrade older configs).`,
        },
      );
    }
    removeNullFields(raw, raw.apiVersion);
    const problem = findConfigProblem(raw, { apiVersion: raw.apiVersion });
    if (problem) {
      throw new GitopsError(`${locate(file, lineCounter, offsetOf(document, problem.path, problem.atKey))}: ${problem.message}.`, { hint: problem.hint });
    }
    const config = upgradeConfig(raw as unknown as SkaffoldConfig);
    const policy = config.build?.tagPolicy;
    if (policy && Object.keys(policy).length > 1) {
      warnings.push({
        file,
        line: lineCounter.linePos(offsetOf(document, ['build', 'tagPolicy'], true) ?? 0).line,
        message: `build.tagPolicy sets ${Object.keys(policy).join(' and ')}; skaffold uses only the first in its order (envTemplate, sha256, gitCommit, dateTime, inputDigest, customTemplate).`,
      });
    }
    configs.push({ config, file, dir: dirname(file), documentIndex });
  });
  if (configs.length === 0) {
    throw new GitopsError(`${file}: no skaffold config found (the file is empty).`);
  }
  return { configs, warnings };
}

/**
 * `file:line:column` of a path in one document of a skaffold.yaml (the key itself with `atKey`), or of its
 * closest existing ancestor; just `file` when the file cannot be read. Parses the file with positions, so
 * it is meant for error messages only.
 */
export function locateInConfigFile(options: { file: string; documentIndex: number; path: FieldPath; atKey?: boolean }): string {
  let text: string;
  try {
    text = readBoundedFile(options.file);
  } catch {
    return options.file;
  }
  const { LineCounter, parseAllDocuments } = positionalYaml();
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, ...POSITIONAL_PARSE_OPTIONS });
  const document = Array.isArray(documents) ? documents[options.documentIndex] : undefined;
  if (!document) return options.file;
  return locate(options.file, lineCounter, offsetOf(document, options.path, options.atKey));
}

/** The skaffold.yaml a `requires[].path` points at: the file itself, or `skaffold.yaml` in that directory. */
function dependencyFile(fromDir: string, dependency: ConfigDependency, file: string): string {
  const target = resolve(fromDir, dependency.path ?? '.');
  if (existsSync(target) && statSync(target).isDirectory()) return join(target, 'skaffold.yaml');
  return target;
}

/** Reads a file as UTF-8; a missing file is a {@link GitopsError} naming who asked for it. */
function readConfigFile(file: string, requiredBy?: string): string {
  try {
    return readBoundedFile(file);
  } catch (error) {
    if (error instanceof GitopsError) throw error;
    throw new GitopsError(`Cannot read skaffold config ${file}${requiredBy ? ` (required by ${requiredBy})` : ''}.`, {
      hint: requiredBy ? 'Fix the "requires[].path" entry.' : 'Check the "skaffoldConfig" option.',
    });
  }
}

/** The configs of a file and of everything it requires, dependencies first. */
export interface ResolvedConfigLoadResult {
  configs: ResolvedConfig[];
  warnings: ConfigWarning[];
}

/** A config plus the profiles its dependents asked for through `requires[].activeProfiles`. */
export interface ResolvedConfig extends LoadedConfig {
  /** Profiles a dependent config activates in this one, given the dependent's own active profiles. */
  requiredProfiles: Array<{ name: string; activatedBy: string[]; requiredBy: string }>;
  /** True for the configs of the file that was loaded (not reached through `requires`). */
  isRoot: boolean;
}

/**
 * Loads a skaffold.yaml and, recursively, every config it `requires` by local path (git, GCS and Cloud
 * Build sources fail with a clear "not supported" error). Returns the configs dependencies first, each once,
 * as skaffold orders them; a `configs` filter on a `requires` entry keeps only the named configs.
 */
export function loadSkaffoldConfigs(options: { file: string; cwd?: string }): ResolvedConfigLoadResult {
  const rootFile = isAbsolute(options.file) ? options.file : resolve(options.cwd ?? process.cwd(), options.file);
  const ordered: ResolvedConfig[] = [];
  const warnings: ConfigWarning[] = [];
  const parsedFiles = new Map<string, ConfigLoadResult>();
  const visiting = new Set<string>();
  const byKey = new Map<string, ResolvedConfig>();

  const parseFile = (file: string, requiredBy?: string): ConfigLoadResult => {
    let parsed = parsedFiles.get(file);
    if (!parsed) {
      parsed = parseSkaffoldConfigs({ text: readConfigFile(file, requiredBy), file });
      parsedFiles.set(file, parsed);
      warnings.push(...parsed.warnings);
    }
    return parsed;
  };

  const visit = (loaded: LoadedConfig, isRoot: boolean): ResolvedConfig => {
    const key = `${loaded.file}#${loaded.documentIndex}`;
    const existing = byKey.get(key);
    if (existing) return existing;
    if (visiting.has(key)) {
      throw new GitopsError(`${loaded.file}: "requires" forms a cycle back to this config.`, {
        hint: 'Remove one of the requires entries that form the cycle.',
      });
    }
    visiting.add(key);
    const resolved: ResolvedConfig = { ...loaded, requiredProfiles: [], isRoot };
    for (const dependency of loaded.config.requires ?? []) {
      const remote = (['git', 'googleCloudStorage', 'googleCloudBuildRepoV2'] as const).find((source) => dependency[source] !== undefined);
      if (remote) {
        throw new GitopsError(`${loaded.file}: requires.${remote} is not supported by the native engine.`, {
          hint: 'Vendor the dependency and use a local "path", or render with engine "skaffold".',
        });
      }
      const file = dependencyFile(loaded.dir, dependency, loaded.file);
      const parsed = parseFile(file, relative(dirname(rootFile), loaded.file) || loaded.file);
      const names = dependency.configs;
      const selected = names?.length ? parsed.configs.filter((config) => names.includes(config.config.metadata?.name ?? '')) : parsed.configs;
      for (const name of names ?? []) {
        if (!parsed.configs.some((config) => config.config.metadata?.name === name)) {
          throw new GitopsError(`${loaded.file}: requires config "${name}" but ${file} has no config with that metadata.name.`);
        }
      }
      for (const child of selected) {
        const visited = visit(child, false);
        for (const profile of dependency.activeProfiles ?? []) {
          visited.requiredProfiles.push({ name: profile.name, activatedBy: profile.activatedBy ?? [], requiredBy: key });
        }
      }
    }
    visiting.delete(key);
    byKey.set(key, resolved);
    ordered.push(resolved);
    return resolved;
  };

  for (const loaded of parseFile(rootFile).configs) visit(loaded, true);
  return { configs: ordered, warnings };
}
