import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import { GitopsError } from '../lib/errors';

/** The file names kustomize accepts for a kustomization, in the order it looks for them. */
export const KUSTOMIZATION_FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** The kustomization file in `dir`, or undefined when there is none. */
export function findKustomizationFile(dir: string): string | undefined {
  for (const name of KUSTOMIZATION_FILE_NAMES) {
    const file = join(dir, name);
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  return undefined;
}

type Kustomization = Record<string, unknown>;

const parsedByHash = new Map<string, Kustomization>();

/** Parses a kustomization file, caching by content hash so repeated graph computations parse each version once. */
function readKustomization(file: string): Kustomization {
  const text = readFileSync(file, 'utf8');
  const hash = createHash('sha1').update(text).digest('hex');
  let parsed = parsedByHash.get(hash);
  if (!parsed) {
    try {
      // js-yaml: only values are needed here, and it is several times faster than the position-keeping parser.
      parsed = (load(text, { schema: CORE_SCHEMA }) ?? {}) as Kustomization;
    } catch (error) {
      throw new GitopsError(`${file}: invalid YAML: ${(error as Error).message.split('\n')[0]}`, {
        cause: error,
        hint: 'Fix the kustomization; kustomize would reject it too.',
      });
    }
    if (typeof parsed !== 'object' || Array.isArray(parsed)) parsed = {};
    parsedByHash.set(hash, parsed);
  }
  return parsed;
}

/** True for entries kustomize fetches rather than reads from disk. */
function isRemote(entry: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(entry) || entry.startsWith('git@');
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function paths(value: unknown): string[] {
  return Array.isArray(value)
    ? value.flatMap((item) => (item && typeof item === 'object' && typeof (item as { path?: unknown }).path === 'string' ? [(item as { path: string }).path] : []))
    : [];
}

function generatorFiles(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((generator) => {
    if (!generator || typeof generator !== 'object') return [];
    const { files, env, envs } = generator as { files?: unknown; env?: unknown; envs?: unknown };
    // A `key=path` entry stores the file under another key; the file is still read.
    return [...strings(files).map((file) => file.slice(file.indexOf('=') + 1)), ...(typeof env === 'string' ? [env] : []), ...strings(envs)];
  });
}

/**
 * Every local file a kustomization reads, as absolute paths, sorted: the kustomization files themselves,
 * recursively through local `resources`, `bases` and `components` directories, plus resource files,
 * patches, CRDs, generator inputs, configurations, transformers, generators and replacements. Remote and
 * missing entries are skipped (kustomize reports those itself). Reads files only; starts no process.
 */
export function listKustomizationFiles(dir: string): string[] {
  const files = new Set<string>();
  const visited = new Set<string>();
  const visit = (directory: string) => {
    const absolute = resolve(directory);
    if (visited.has(absolute)) return;
    visited.add(absolute);
    const file = findKustomizationFile(absolute);
    if (!file) return;
    files.add(file);
    const kustomization = readKustomization(file);
    const local = (entry: string) => (isAbsolute(entry) ? entry : join(absolute, entry));
    for (const entry of [...strings(kustomization.resources), ...strings(kustomization.bases), ...strings(kustomization.components)]) {
      if (isRemote(entry)) continue;
      const target = local(entry);
      if (!existsSync(target)) continue;
      if (statSync(target).isDirectory()) visit(target);
      else files.add(target);
    }
    const plainFiles = [
      ...strings(kustomization.patchesStrategicMerge).filter((entry) => !entry.includes('\n')),
      ...strings(kustomization.crds),
      ...strings(kustomization.configurations),
      ...strings(kustomization.transformers),
      ...strings(kustomization.generators),
      ...paths(kustomization.patches),
      ...paths(kustomization.patchesJson6902),
      ...paths(kustomization.replacements),
      ...generatorFiles(kustomization.configMapGenerator),
      ...generatorFiles(kustomization.secretGenerator),
    ];
    for (const entry of plainFiles) {
      if (isRemote(entry)) continue;
      const target = local(entry);
      if (!existsSync(target)) continue;
      if (statSync(target).isDirectory()) visit(target);
      else files.add(target);
    }
  };
  visit(dir);
  return [...files].sort();
}
