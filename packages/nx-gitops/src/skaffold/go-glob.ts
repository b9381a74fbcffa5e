import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GitopsError } from '../lib/errors';

/**
 * Go's `path/filepath` glob semantics (Unix), which skaffold expands `rawYaml` with: `*` matches any run of
 * characters but `/` (so `**` matches like `*`, with no recursion), `?` one character, `[a-z]` / `[^a-z]` a
 * class, and `\` escapes the next character. A malformed pattern is an error, as Go's ErrBadPattern.
 */

type Token = { kind: 'star' } | { kind: 'any' } | { kind: 'char'; char: string } | { kind: 'class'; negated: boolean; ranges: Array<[number, number]> };

class BadPattern extends Error {}

/** One character of a class, `\`-escaped or not; `-`, `]` and the end of the pattern cannot start one. */
function classChar(chars: string[], index: number): { code: number; next: number } {
  let char = chars[index];
  if (char === undefined || char === '-' || char === ']') throw new BadPattern();
  if (char === '\\') {
    char = chars[index + 1];
    if (char === undefined) throw new BadPattern();
    return { code: char.codePointAt(0) ?? 0, next: index + 2 };
  }
  return { code: char.codePointAt(0) ?? 0, next: index + 1 };
}

function tokenize(pattern: string): Token[] {
  const chars = [...pattern];
  const tokens: Token[] = [];
  let index = 0;
  while (index < chars.length) {
    const char = chars[index];
    if (char === '*') {
      tokens.push({ kind: 'star' });
      index++;
    } else if (char === '?') {
      tokens.push({ kind: 'any' });
      index++;
    } else if (char === '\\') {
      if (chars[index + 1] === undefined) throw new BadPattern();
      tokens.push({ kind: 'char', char: chars[index + 1] });
      index += 2;
    } else if (char === '[') {
      index++;
      const negated = chars[index] === '^';
      if (negated) index++;
      const ranges: Array<[number, number]> = [];
      for (;;) {
        if (chars[index] === ']' && ranges.length > 0) {
          index++;
          break;
        }
        const lo = classChar(chars, index);
        let hi = lo;
        if (chars[lo.next] === '-') hi = classChar(chars, lo.next + 1);
        ranges.push([lo.code, hi.code]);
        index = hi.next;
      }
      tokens.push({ kind: 'class', negated, ranges });
    } else {
      tokens.push({ kind: 'char', char });
      index++;
    }
  }
  return tokens;
}

function matchTokens(tokens: Token[], name: string[], ti: number, ni: number): boolean {
  for (; ti < tokens.length; ti++) {
    const token = tokens[ti];
    if (token.kind === 'star') {
      for (let skip = ni; skip <= name.length; skip++) {
        if (matchTokens(tokens, name, ti + 1, skip)) return true;
        if (name[skip] === '/') return false;
      }
      return false;
    }
    const char = name[ni];
    if (char === undefined) return false;
    if (token.kind === 'any' && char === '/') return false;
    if (token.kind === 'char' && token.char !== char) return false;
    if (token.kind === 'class') {
      const code = char.codePointAt(0) ?? 0;
      const inClass = token.ranges.some(([lo, hi]) => lo <= code && code <= hi);
      if (inClass === token.negated) return false;
    }
    ni++;
  }
  return ni === name.length;
}

/** Whether a path segment has a character Go's glob treats specially. */
function hasMeta(path: string): boolean {
  return /[*?[\\]/.test(path);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The entries of `dir` whose names match `pattern`, in sorted order (none when `dir` is not a directory). */
function globIn(dir: string, tokens: Token[]): string[] {
  if (!isDirectory(dir)) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .sort()
    .filter((name) => matchTokens(tokens, [...name], 0, 0))
    .map((name) => join(dir, name));
}

function globPath(pattern: string): string[] {
  if (!hasMeta(pattern)) return exists(pattern) ? [pattern] : [];
  const slash = pattern.lastIndexOf('/');
  let dir = slash < 0 ? '' : pattern.slice(0, slash + 1);
  const file = pattern.slice(slash + 1);
  dir = dir === '' ? '.' : dir === '/' ? '/' : dir.slice(0, -1);
  const tokens = tokenize(file);
  if (!hasMeta(dir)) return globIn(dir, tokens);
  if (dir === pattern) throw new BadPattern();
  return globPath(dir).flatMap((match) => globIn(match, tokens));
}

/**
 * Whether `name` matches `pattern` as Go's `filepath.Match` decides (Unix separators). Throws a
 * {@link GitopsError} for a malformed pattern.
 */
export function goPathMatch(pattern: string, name: string): boolean {
  try {
    return matchTokens(tokenize(pattern), [...name], 0, 0);
  } catch (error) {
    if (error instanceof BadPattern) throw badPattern(pattern);
    throw error;
  }
}

function badPattern(pattern: string): GitopsError {
  return new GitopsError(`syntax error in glob pattern "${pattern}".`, {
    hint: 'Close every "[" with "]", put at least one character in a class, escape "-" and "]" in a class with "\\", and do not end the pattern with "\\".',
  });
}

/**
 * The paths that match `pattern`, as Go's `filepath.Glob` returns them: each directory level matched in
 * sorted order, no recursion, hidden files matched like any other. A pattern without glob characters
 * gives itself when it exists. A malformed pattern throws a {@link GitopsError}.
 */
export function goGlob(pattern: string): string[] {
  try {
    for (const segment of pattern.split('/')) tokenize(segment);
    return globPath(pattern);
  } catch (error) {
    if (error instanceof BadPattern) throw badPattern(pattern);
    throw error;
  }
}
