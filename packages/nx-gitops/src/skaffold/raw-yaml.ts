import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { GitopsError } from '../lib/errors';
import { readBoundedFile, readLimits } from '../manifests/yaml-limits';
import { goGlob } from './go-glob';

/** The files under `path` in Go's walk order (sorted, depth first); symlinks are not followed, as godirwalk does. */
function walkFiles(path: string, into: string[]): void {
  let isDirectory = false;
  try {
    isDirectory = lstatSync(path).isDirectory();
  } catch {
    return;
  }
  if (!isDirectory) {
    into.push(path);
    return;
  }
  let entries: string[];
  try {
    entries = readdirSync(path).sort();
  } catch {
    return;
  }
  for (const entry of entries) walkFiles(join(path, entry), into);
}

function cleanPath(path: string): string {
  const normalized = normalize(path);
  return normalized.length > 1 && normalized.endsWith(sep) ? normalized.slice(0, -1) : normalized;
}

/**
 * The paths `patterns` name, relative to `dir`, as skaffold's `util.ExpandPathsGlob` gives them: a path
 * that exists is taken as it is (even a directory); otherwise the pattern is expanded with Go's
 * `filepath.Glob` semantics (see {@link goGlob}: `**` is `*`) and every match is walked, directories
 * giving the files below them in sorted order. Patterns keep their order, each path comes once. A
 * malformed pattern throws a {@link GitopsError}.
 */
export function expandPathsGlob(dir: string, patterns: readonly string[]): string[] {
  const paths = new Set<string>();
  for (const pattern of patterns) {
    const path = cleanPath(isAbsolute(pattern) ? pattern : join(dir, pattern));
    if (existsSync(path)) {
      paths.add(path);
      continue;
    }
    for (const match of goGlob(path)) {
      const files: string[] = [];
      walkFiles(match, files);
      for (const file of files) paths.add(file);
    }
  }
  return [...paths];
}

const MANIFEST_EXTENSIONS = ['.yml', '.yaml', '.json'];

/**
 * The files `rawYaml` entries render, relative to `dir` (the config's directory), as skaffold's render
 * generator picks them: the paths {@link expandPathsGlob} gives, keeping only `.yaml`, `.yml` and `.json`
 * files, except a path written out as an entry (skaffold refuses other files "under a glob pattern", so
 * `k8s/*` skips a README). A file listed by name that does not exist is kept, for the reader to fail on.
 * `entries` are the rawYaml entries with their env templates already expanded.
 */
export function expandManifestGlobs(dir: string, entries: readonly string[]): string[] {
  const written = new Set(entries);
  const paths = expandPathsGlob(dir, entries);
  // Stricter than skaffold, which only warns: a file listed by name that is missing fails the render (in
  // the reader) instead of silently leaving its objects out of the manifest.
  for (const entry of entries) {
    const path = cleanPath(isAbsolute(entry) ? entry : join(dir, entry));
    if (!/[*?[\\]/.test(entry) && !paths.includes(path)) paths.push(path);
  }
  return paths.filter((path) => {
    if (MANIFEST_EXTENSIONS.some((extension) => path.endsWith(extension))) return true;
    // skaffold compares the joined path with the entry as written, which it equals for an entry that is
    // already clean (relative to the config's directory, or absolute).
    return written.has(path) || written.has(relative(dir, path).split(sep).join('/'));
  });
}

/** Length of the UTF-8 sequence a lead byte starts, and the range its second byte must fall in; undefined when it cannot lead. */
function utf8Sequence(lead: number): { length: number; min: number; max: number } | undefined {
  if (lead < 0x80) return { length: 1, min: 0, max: 0 };
  if (lead >= 0xc2 && lead <= 0xdf) return { length: 2, min: 0x80, max: 0xbf };
  if (lead === 0xe0) return { length: 3, min: 0xa0, max: 0xbf };
  if (lead === 0xed) return { length: 3, min: 0x80, max: 0x9f };
  if (lead >= 0xe1 && lead <= 0xef) return { length: 3, min: 0x80, max: 0xbf };
  if (lead === 0xf0) return { length: 4, min: 0x90, max: 0xbf };
  if (lead === 0xf4) return { length: 4, min: 0x80, max: 0x8f };
  if (lead >= 0xf1 && lead <= 0xf3) return { length: 4, min: 0x80, max: 0xbf };
  return undefined;
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence (Unicode table 3-7). */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let offset = 0;
  while (offset < bytes.length) {
    const sequence = utf8Sequence(bytes[offset]);
    if (!sequence) return offset;
    for (let index = 1; index < sequence.length; index++) {
      const byte = bytes[offset + index];
      const [min, max] = index === 1 ? [sequence.min, sequence.max] : [0x80, 0xbf];
      if (byte === undefined || byte < min || byte > max) return offset;
    }
    offset += sequence.length;
  }
  return offset;
}

/** `line:column` (1-based, column in bytes) of a byte offset. */
function bytePosition(bytes: Uint8Array, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < offset; index++) {
    if (bytes[index] === 0x0a) {
      line++;
      lineStart = index + 1;
    }
  }
  return `${line}:${offset - lineStart + 1}`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads a file that `manifests.rawYaml` lists. It must be UTF-8, as Kubernetes manifests are: a file with
 * other bytes fails with the file and the line of the first bad byte instead of being rendered with
 * U+FFFD in their place. A missing or unreadable file fails naming the config that lists it.
 */
export function readRawYamlFile(options: { file: string; configFile: string }): string {
  let bytes: Uint8Array;
  try {
    if (statSync(options.file).isDirectory()) {
      throw new GitopsError(`${options.configFile}: manifests.rawYaml names the directory ${options.file}; skaffold reads a path that exists as a file, and fails on a directory.`, {
        hint: 'Match the directory with a glob (for example "k8s/*"), whose matches skaffold walks, or list its files.',
      });
    }
    // A file over the size limit is refused before it is read.
    const size = statSync(options.file).size;
    if (size > readLimits().maxBytes) readBoundedFile(options.file);
    bytes = readFileSync(options.file);
  } catch (error) {
    if (error instanceof GitopsError) throw error;
    throw new GitopsError(`${options.configFile}: manifests.rawYaml names ${options.file}, which cannot be read.`, { hint: 'Fix manifests.rawYaml.' });
  }
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8Offset(bytes);
    const byte = bytes[offset].toString(16).padStart(2, '0');
    throw new GitopsError(`${options.file}:${bytePosition(bytes, offset)}: not UTF-8 (byte 0x${byte}); manifests must be UTF-8 (listed in manifests.rawYaml of ${options.configFile}).`, {
      hint: 'Re-encode the file as UTF-8 (for example iconv -f latin1 -t utf-8), or fix the bytes at that position.',
    });
  }
}
