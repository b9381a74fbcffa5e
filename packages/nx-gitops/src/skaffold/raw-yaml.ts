import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';

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
