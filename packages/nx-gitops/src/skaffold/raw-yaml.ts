import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { GitopsError } from '../lib/errors';

/** A regular expression for a glob with `*`, `?`, `**` and `[...]`, matched against `/`-separated paths. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index];
    if (char === '*') {
      if (glob[index + 1] === '*') {
        const slash = glob[index + 2] === '/';
        source += slash ? '(?:.*/)?' : '.*';
        index += slash ? 2 : 1;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[') {
      const end = glob.indexOf(']', index);
      if (end < 0) {
        source += '\\[';
      } else {
        source += `[${glob.slice(index + 1, end).replace(/^!/, '^')}]`;
        index = end;
      }
    } else {
      source += char.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

function walk(dir: string, into: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, into);
    else into.push(path);
  }
}

/**
 * The files `rawYaml` patterns name, relative to `dir`: each pattern's matches in sorted order (as Go's
 * `filepath.Glob` returns them), patterns in the order given, each file once. A pattern without glob
 * characters names its file directly, so a missing file is reported by the reader.
 */
export function expandManifestGlobs(dir: string, patterns: readonly string[]): string[] {
  const files: string[] = [];
  for (const pattern of patterns) {
    const absolute = isAbsolute(pattern) ? pattern : join(dir, pattern);
    if (!/[*?[]/.test(pattern)) {
      if (!files.includes(absolute)) files.push(absolute);
      continue;
    }
    const segments = absolute.split(sep);
    const firstGlob = segments.findIndex((segment) => /[*?[]/.test(segment));
    const base = segments.slice(0, firstGlob).join(sep) || sep;
    if (!existsSync(base) || !statSync(base).isDirectory()) continue;
    const matcher = globToRegExp(segments.slice(firstGlob).join('/'));
    const candidates: string[] = [];
    walk(base, candidates);
    for (const file of candidates
      .filter((candidate) => matcher.test(relative(base, candidate).split(sep).join('/')))
      .sort()) {
      if (!files.includes(file)) files.push(file);
    }
  }
  return files;
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
    bytes = readFileSync(options.file);
  } catch {
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
