import { createHash } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import { activeReadJournal, ReadJournal, statPath } from '../lib/read-journal';
import { readBoundedFile } from '../manifests/yaml-limits';

/** The file names kustomize accepts for a kustomization, in the order it looks for them. */
export const KUSTOMIZATION_FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** The kustomization file in `dir`, or undefined when there is none. */
export function findKustomizationFile(dir: string): string | undefined {
  for (const name of KUSTOMIZATION_FILE_NAMES) {
    const file = join(dir, name);
    if (statPath(file)?.isFile()) return file;
  }
  return undefined;
}

type Kustomization = Record<string, unknown>;

const parsedByHash = new Map<string, Kustomization>();

/** True when the text may hold an anchor, an alias or a merge key (js-yaml would not bound their expansion). */
function mayUseAnchors(text: string): boolean {
  return /(?:^|[\s,[{])[&*][^\s,[\]{}]/m.test(text) || text.includes('<<');
}

/**
 * Parses a kustomization file within the reading policy of every file (`manifests/yaml-limits.ts`), caching by
 * content hash so repeated graph computations parse each version once. js-yaml reads the common file (only
 * values are needed, and it is several times faster); a file with anchors, or one js-yaml refuses, goes
 * through the bounded parser, whose errors name the line and never quote the file.
 */
function readKustomization(file: string): Kustomization {
  const text = readBoundedFile(file);
  const hash = createHash('sha1').update(text).digest('hex');
  let parsed = parsedByHash.get(hash);
  if (!parsed) {
    let value: unknown;
    try {
      value = mayUseAnchors(text) ? undefined : load(text, { schema: CORE_SCHEMA });
    } catch {
      value = undefined;
    }
    if (value === undefined) {
      // Throws for malformed or unbounded YAML, with file, line and column. Loaded here only: the graph
      // reads kustomizations, and valid files without anchors never pay for the position-keeping parser.
      const { parseManifests } = require('../manifests/yaml') as typeof import('../manifests/yaml');
      value = parseManifests(text, file)[0];
    }
    parsed = value && typeof value === 'object' && !Array.isArray(value) ? (value as Kustomization) : {};
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

/** The files one directory's kustomization reads, and whether a cycle left out part of them (then not memoised). */
interface DirectoryReads {
  files: string[];
  complete: boolean;
}

/**
 * Every local file a kustomization reads, as absolute paths, sorted: the kustomization files themselves,
 * recursively through local `resources`, `bases` and `components` directories, plus resource files,
 * patches, CRDs, generator inputs, configurations, transformers, generators and replacements. Remote and
 * missing entries are skipped (kustomize reports those itself). Reads files only; starts no process. Under a
 * graph computation's read journal each directory's list is computed once, however many overlays share it.
 */
export function listKustomizationFiles(dir: string): string[] {
  // Outside a graph computation, the lists are shared within this call only.
  const journal = activeReadJournal() ?? new ReadJournal();
  const inProgress = new Set<string>();
  const visit = (directory: string): DirectoryReads => {
    const absolute = resolve(directory);
    // A directory already being listed further up (a cycle, which kustomize refuses) adds nothing more here.
    if (inProgress.has(absolute)) return { files: [], complete: false };
    const known = journal.recall<DirectoryReads>(`kustomize-reads:${absolute}`);
    if (known) return known;
    inProgress.add(absolute);
    const reads = directoryReads(absolute, visit);
    inProgress.delete(absolute);
    if (reads.complete) journal.keep(`kustomize-reads:${absolute}`, reads);
    return reads;
  };
  return [...visit(dir).files];
}

/** The reads of the kustomization in `absolute` (none when it has none), with `visit` for the directories it names. */
function directoryReads(absolute: string, visit: (directory: string) => DirectoryReads): DirectoryReads {
  const file = findKustomizationFile(absolute);
  if (!file) return { files: [], complete: true };
  const files = new Set<string>([file]);
  let complete = true;
  const kustomization = readKustomization(file);
  const local = (entry: string) => (isAbsolute(entry) ? entry : join(absolute, entry));
  const add = (entry: string) => {
    if (isRemote(entry)) return;
    const target = local(entry);
    const stats = statPath(target);
    if (!stats) return;
    if (stats.isDirectory()) {
      const nested = visit(target);
      for (const read of nested.files) files.add(read);
      complete &&= nested.complete;
    } else {
      files.add(target);
    }
  };
  for (const entry of [...strings(kustomization.resources), ...strings(kustomization.bases), ...strings(kustomization.components)]) add(entry);
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
  for (const entry of plainFiles) add(entry);
  return { files: [...files].sort(), complete };
}
