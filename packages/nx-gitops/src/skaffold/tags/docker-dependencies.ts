import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitopsError } from '../../lib/errors';
import { executeGoTemplate, parseGoTemplate } from '../go-template';
import type { Artifact } from '../types';

/**
 * Source dependencies of an artifact, following skaffold's `docker.GetDependencies`: the Dockerfile, plus
 * every file its `COPY`/`ADD` instructions take from the context (build args, `ENV`, globs and
 * `.dockerignore` honoured, `--from` copies and remote sources skipped). Base-image `ONBUILD` triggers are
 * not read: that would need a registry.
 */

/** One Dockerfile instruction: its lower-case name, `--flags`, and argument words. */
interface Instruction {
  name: string;
  flags: string[];
  words: string[];
  line: number;
}

/** Builders whose build is described by a Dockerfile in the context. */
const dockerfileBuilders = ['docker', 'kaniko'] as const;
/** Builders whose inputs nx-gitops approximates as every file of the context. */
const otherBuilders = ['bazel', 'jib', 'buildpacks', 'custom', 'ko'] as const;

function dockerfileError(file: string, line: number, message: string): GitopsError {
  return new GitopsError(`Cannot read the Dockerfile ${file}, line ${line}: ${message}`, {
    hint: 'Fix the Dockerfile, or point build.artifacts[].docker.dockerfile in skaffold.yaml at the right one.',
  });
}

/** Splits a Dockerfile into instructions as BuildKit's parser does (escape directive, continuations, comments, heredocs). */
function parseDockerfile(text: string, file: string): { instructions: Instruction[]; escape: string } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let escape = '\\';
  let index = 0;
  // Parser directives come first, before any instruction or ordinary comment.
  for (; index < lines.length; index++) {
    const directive = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(lines[index]);
    if (!directive) break;
    if (directive[1].toLowerCase() === 'escape') escape = directive[2];
  }
  const isComment = (line: string) => line.trimStart().startsWith('#');
  const continues = (line: string) => line.trimEnd().endsWith(escape);
  const instructions: Instruction[] = [];
  while (index < lines.length) {
    const startLine = index + 1;
    let line = lines[index++];
    if (line.trim() === '' || isComment(line)) continue;
    while (continues(line) && index < lines.length) {
      const trimmed = line.trimEnd();
      line = trimmed.slice(0, trimmed.length - escape.length);
      let next = lines[index++];
      while ((next.trim() === '' || isComment(next)) && index < lines.length) next = lines[index++];
      if (next.trim() === '' || isComment(next)) next = '';
      line += next;
    }
    const match = /^\s*(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const name = match[1].toLowerCase();
    let rest = match[2].trim();
    if (['run', 'copy', 'add'].includes(name)) {
      for (const heredoc of rest.matchAll(/<<(-?)(["']?)([A-Za-z0-9_]+)\2/g)) {
        const stripTabs = heredoc[1] === '-';
        while (index < lines.length) {
          const body = lines[index++];
          if ((stripTabs ? body.replace(/^\t+/, '') : body) === heredoc[3]) break;
        }
      }
    }
    const flags: string[] = [];
    if (name === 'copy' || name === 'add') {
      let flag: RegExpExecArray | null;
      while ((flag = /^(--\S+)\s*/.exec(rest))) {
        flags.push(flag[1]);
        rest = rest.slice(flag[0].length);
      }
    }
    let words: string[] | undefined;
    if (rest.startsWith('[') && name !== 'env' && name !== 'arg') {
      try {
        const parsed = JSON.parse(rest) as unknown;
        if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) words = parsed as string[];
      } catch {
        words = undefined;
      }
    }
    if (!words) words = name === 'env' ? parseEnvWords(rest) : rest.split(/\s+/).filter(Boolean);
    if (name === 'from' && words.length === 0) throw dockerfileError(file, startLine, 'FROM requires at least one argument.');
    instructions.push({ name, flags, words, line: startLine });
  }
  return { instructions, escape };
}

/** `ENV a=b c="d e"` → `['a', 'b', 'c', '"d e"']`; the legacy `ENV a b c` → `['a', 'b c']`. */
function parseEnvWords(rest: string): string[] {
  const first = /^\S+/.exec(rest)?.[0] ?? '';
  if (!first.includes('=')) return [first, rest.slice(first.length).trim()];
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i];
    if (quote) {
      if (ch === '\\' && quote === '"' && i + 1 < rest.length) {
        current += ch + rest[++i];
        continue;
      }
      if (ch === quote) quote = undefined;
      current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      current += ch;
    } else if (/\s/.test(ch)) {
      if (current) words.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) words.push(current);
  return words.flatMap((word) => {
    const eq = word.indexOf('=');
    return eq < 0 ? [word, ''] : [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/** skaffold's `unquote`: drops every `"`, else every `'`. */
function unquote(value: string): string {
  const withoutDouble = value.replace(/"/g, '');
  return withoutDouble !== value ? withoutDouble : value.replace(/'/g, '');
}

/** skaffold's `util.Expand`: replaces `${key}` and `$key` (when not followed by a letter, digit or `_`). */
function expandArg(text: string, key: string, value: string): string {
  const braced = text.split('${' + key + '}').join(value);
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return braced.replace(new RegExp(`\\$${escaped}(?![A-Za-z0-9_])`, 'g'), () => value);
}

function substituteBuildArgs(instructions: Instruction[], buildArgs: Readonly<Record<string, string | null | undefined>>): void {
  instructions.forEach((instruction, index) => {
    if (instruction.name !== 'arg' || instruction.words.length === 0) return;
    const [key, ...defaults] = instruction.words[0].split('=');
    const given = buildArgs[key];
    const value = given !== undefined && given !== null ? given : defaults.length > 0 ? defaults[0] : '';
    for (const later of instructions.slice(index + 1)) {
      if (later.name === 'arg' && later.words[0]?.split('=')[0] === key) break;
      later.words = later.words.map((word) => expandArg(word, key, value));
    }
  });
}

/** The shell-word processing BuildKit applies to COPY/ADD sources: quotes, escapes, `$VAR` and `${VAR…}` forms. */
function processWord(word: string, env: ReadonlyMap<string, string>, escape: string, where: () => GitopsError): string {
  let out = '';
  let i = 0;
  const readVariable = (): string => {
    if (word[i] === '{') {
      const close = word.indexOf('}', i);
      if (close < 0) throw where();
      const body = word.slice(i + 1, close);
      i = close + 1;
      const modifier = /^([A-Za-z_][A-Za-z0-9_]*)(:?[-+?])?(.*)$/.exec(body);
      if (!modifier) throw where();
      const [, name, op, operand] = modifier;
      const value = env.get(name);
      const isSet = op?.startsWith(':') ? value !== undefined && value !== '' : value !== undefined;
      switch (op?.replace(':', '')) {
        case '-':
          return isSet ? (value as string) : operand;
        case '+':
          return isSet ? operand : '';
        case '?':
          if (!isSet) throw where();
          return value as string;
        default:
          return value ?? '';
      }
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(word.slice(i))?.[0];
    if (!name) return '$';
    i += name.length;
    return env.get(name) ?? '';
  };
  while (i < word.length) {
    const ch = word[i++];
    if (ch === escape) {
      if (i < word.length) out += word[i++];
      continue;
    }
    if (ch === "'") {
      const close = word.indexOf("'", i);
      if (close < 0) throw where();
      out += word.slice(i, close);
      i = close + 1;
      continue;
    }
    if (ch === '"') {
      while (i < word.length && word[i] !== '"') {
        const inner = word[i++];
        if (inner === escape && ['"', '$', escape].includes(word[i])) out += word[i++];
        else if (inner === '$') out += readVariable();
        else out += inner;
      }
      if (word[i] !== '"') throw where();
      i++;
      continue;
    }
    out += ch === '$' ? readVariable() : ch;
  }
  return out;
}

/** Go's `path.Match` pattern for one path segment, as a regular expression. */
function segmentRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]);
    else if (ch === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) throw new GitopsError(`invalid glob pattern ${JSON.stringify(pattern)}: syntax error in pattern.`);
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/\\(.)/g, '\\$1').replace(/[\]]/g, '\\]')}]`;
      i = close;
    } else source += escapeRegExp(ch);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const hasMeta = (text: string) => /[*?[\\]/.test(text);

/** Go's `filepath.Glob` on an absolute pattern: matches sorted per directory, unreadable directories skipped. */
function glob(pattern: string): string[] {
  if (!hasMeta(pattern)) return fs.existsSync(pattern) ? [pattern] : [];
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  const dirs = hasMeta(dir) && dir !== pattern ? glob(dir) : [dir];
  const matcher = segmentRegExp(base);
  const matches: string[] = [];
  for (const parent of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(parent).sort();
    } catch {
      continue;
    }
    for (const name of names) if (matcher.test(name)) matches.push(path.join(parent, name));
  }
  return matches;
}

/** A compiled `.dockerignore` pattern, as moby's patternmatcher builds it. */
interface IgnorePattern {
  cleaned: string;
  exclusion: boolean;
  regexp: RegExp;
}

/** Reads `.dockerignore` lines as BuildKit's `dockerignore.ReadAll` does. */
export function readDockerignorePatterns(text: string): string[] {
  const patterns: string[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    let line = index === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.startsWith('#')) continue;
    line = line.trim();
    if (!line) continue;
    const invert = line.startsWith('!');
    if (invert) line = line.slice(1).trim();
    if (line) {
      line = path.posix.normalize(line).replace(/\/+$/, '') || '/';
      if (line.length > 1 && line.startsWith('/')) line = line.slice(1);
    }
    patterns.push(invert ? `!${line}` : line);
  }
  return patterns;
}

function compileIgnorePattern(raw: string): IgnorePattern | undefined {
  let pattern = raw.trim();
  if (!pattern) return undefined;
  pattern = path.posix.normalize(pattern).replace(/(.)\/+$/, '$1');
  const exclusion = pattern.startsWith('!');
  if (exclusion) {
    if (pattern.length === 1) throw new GitopsError('Illegal exclusion pattern "!" in .dockerignore.', { hint: 'Fix the .dockerignore file.' });
    pattern = pattern.slice(1);
  }
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        source += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else source += '[^/]*';
    } else if (ch === '?') source += '[^/]';
    else if ('.+()|{}$'.includes(ch)) source += `\\${ch}`;
    else if (ch === '\\') source += i + 1 < pattern.length ? `\\${pattern[++i]}` : '\\\\';
    else source += ch;
  }
  return { cleaned: pattern, exclusion, regexp: new RegExp(`${source}$`) };
}

/** moby's `PatternMatcher.MatchesOrParentMatches`: later patterns win, a parent directory's match counts. */
function createIgnoreMatcher(patterns: readonly string[]) {
  const compiled = patterns.map(compileIgnorePattern).filter((p): p is IgnorePattern => p !== undefined);
  const hasExclusions = compiled.some((p) => p.exclusion);
  const matches = (file: string): boolean => {
    const parent = path.posix.dirname(file);
    const parentDirs = parent.split('/');
    let matched = false;
    for (const pattern of compiled) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.regexp.test(file);
      if (!match && parent !== '.') {
        for (let i = 0; i < parentDirs.length && !match; i++) match = pattern.regexp.test(parentDirs.slice(0, i + 1).join('/'));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  };
  /** A ignored directory is skipped whole unless an exception pattern may re-include something inside it. */
  const canSkipDir = (dir: string): boolean =>
    !hasExclusions || !compiled.some((p) => p.exclusion && `${p.cleaned}/`.startsWith(`${dir}/`));
  return { matches, canSkipDir };
}

function readDockerignore(workspaceDir: string, dockerfilePath: string): string[] {
  for (const candidate of [`${dockerfilePath}.dockerignore`, path.join(workspaceDir, '.dockerignore')]) {
    if (fs.existsSync(candidate)) return readDockerignorePatterns(fs.readFileSync(candidate, 'utf8'));
  }
  return [];
}

/** Adds to `files` the workspace-relative files under `source` (and empty directories), skipping ignored ones. */
function walkSource(workspaceDir: string, source: string, ignore: ReturnType<typeof createIgnoreMatcher>, files: Set<string>): void {
  const root = path.join(workspaceDir, source);
  const rel = (abs: string) => path.relative(workspaceDir, abs).split(path.sep).join('/') || '.';
  const visit = (abs: string, isDir: boolean, isRoot: boolean) => {
    const relative = rel(abs);
    if (!(isRoot && isDir)) {
      const ignored = ignore.matches(relative);
      if (ignored && isDir && ignore.canSkipDir(relative)) return;
      if (ignored) {
        if (isDir) for (const entry of fs.readdirSync(abs, { withFileTypes: true })) visit(path.join(abs, entry.name), entry.isDirectory(), false);
        return;
      }
    }
    if (!isDir) {
      files.add(relative);
      return;
    }
    const entries = fs.readdirSync(abs, { withFileTypes: true });
    if (entries.length === 0) files.add(relative);
    for (const entry of entries) visit(path.join(abs, entry.name), entry.isDirectory(), false);
  };
  const stat = fs.lstatSync(root);
  visit(root, stat.isDirectory(), true);
}

/** Resolves the Dockerfile as skaffold's `NormalizeDockerfilePath`: in the context first, else from the config directory. */
export function resolveDockerfilePath({ workspaceDir, dockerfile, configDir }: { workspaceDir: string; dockerfile: string; configDir: string }): string {
  const inContext = path.resolve(workspaceDir, dockerfile);
  if (!fs.existsSync(inContext)) {
    const fromConfig = path.resolve(configDir, dockerfile);
    if (fs.existsSync(fromConfig)) return fromConfig;
  }
  return inContext;
}

/** Inputs of {@link listDockerDependencies}. */
export interface DockerDependenciesInput {
  /** Absolute build context. */
  workspaceDir: string;
  /** The Dockerfile as configured (`build.artifacts[].docker.dockerfile`), default `Dockerfile`. */
  dockerfile?: string;
  /** `docker.buildArgs`; values may be env templates (`{{.VAR}}`), `null` means "use the default". */
  buildArgs?: Readonly<Record<string, string | null | undefined>>;
  /** Environment for build-arg templates. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Directory skaffold runs in, where a Dockerfile missing from the context is looked up; default `workspaceDir`. */
  configDir?: string;
}

/**
 * The files a docker build reads from its context, as sorted workspace-relative paths (`/`-separated),
 * the Dockerfile included even when `.dockerignore`d, `.dockerignore` itself excluded. A missing Dockerfile
 * gives just its path, as in skaffold; a COPY pattern matching nothing is an error.
 */
export function listDockerDependencies(input: DockerDependenciesInput): string[] {
  const { workspaceDir } = input;
  const dockerfile = input.dockerfile || 'Dockerfile';
  const configDir = input.configDir ?? workspaceDir;
  const absDockerfile = resolveDockerfilePath({ workspaceDir, dockerfile, configDir });
  if (!fs.existsSync(absDockerfile)) return [dockerfile];

  const buildArgs: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(input.buildArgs ?? {})) {
    if (value === undefined || value === null) {
      buildArgs[key] = null;
      continue;
    }
    const data: Record<string, string> = {};
    for (const [name, envValue] of Object.entries(input.env ?? process.env)) if (envValue !== undefined) data[name] = envValue;
    buildArgs[key] = executeGoTemplate(parseGoTemplate(`docker.buildArgs.${key}`, value), data, { missingKey: 'invalid' });
  }

  const text = fs.readFileSync(absDockerfile, 'utf8');
  const { instructions, escape } = parseDockerfile(text, absDockerfile);
  substituteBuildArgs(instructions, buildArgs);

  const envs = new Map<string, string>();
  const sources: string[] = [];
  for (const instruction of instructions) {
    if (instruction.name === 'env') {
      for (let i = 0; i + 1 < instruction.words.length; i += 2) envs.set(instruction.words[i], unquote(instruction.words[i + 1]));
      continue;
    }
    if (instruction.name !== 'copy' && instruction.name !== 'add') continue;
    // A copy from another stage or image reads nothing from the context.
    if (instruction.flags.some((flag) => flag.startsWith('--from='))) continue;
    const where = () => dockerfileError(absDockerfile, instruction.line, `cannot expand ${instruction.words.join(' ')}.`);
    const words: string[] = [];
    for (const word of instruction.words) {
      if (word.startsWith('#')) break;
      words.push(processWord(word, envs, escape, where));
    }
    if (words.length === 0) throw dockerfileError(absDockerfile, instruction.line, `invalid ${instruction.name.toUpperCase()} instruction.`);
    const patterns = words.slice(0, -1).filter((src) => !/^(https?:\/\/|<<)/.test(src));
    if (patterns.length === 0) continue;
    let matchesOne = false;
    for (const pattern of patterns) {
      const joined = path.join(workspaceDir, pattern);
      if (fs.existsSync(joined)) {
        sources.push(path.posix.normalize(pattern.split(path.sep).join('/')));
        matchesOne = true;
        continue;
      }
      const found = glob(joined);
      if (found.length === 0) continue;
      for (const file of found) sources.push(path.relative(workspaceDir, file));
      matchesOne = true;
    }
    if (!matchesOne) {
      throw new GitopsError(`file pattern [${patterns.join(' ')}] must match at least one file (${absDockerfile}, line ${instruction.line}).`, {
        hint: 'Fix the COPY/ADD source in the Dockerfile, or the artifact "context" in skaffold.yaml.',
      });
    }
  }

  const ignore = createIgnoreMatcher(readDockerignore(workspaceDir, absDockerfile));
  const files = new Set<string>();
  for (const source of sources) walkSource(workspaceDir, source, ignore, files);
  files.add(path.isAbsolute(dockerfile) ? absDockerfile : dockerfile);
  files.delete('.dockerignore');
  return [...files].sort(compareBytes);
}

/** Go's `sort.Strings` order: by UTF-8 bytes. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The builder key of an artifact; skaffold's default builder is docker. */
export function artifactBuilder(artifact: Artifact | undefined): string {
  if (!artifact) return 'docker';
  return [...dockerfileBuilders, ...otherBuilders].find((builder) => artifact[builder] !== undefined && artifact[builder] !== null) ?? 'docker';
}

/** The Dockerfile an artifact's builder reads, or undefined for builders without one. */
export function artifactDockerfile(artifact: Artifact | undefined): string | undefined {
  const builder = artifactBuilder(artifact);
  if (!(dockerfileBuilders as readonly string[]).includes(builder)) return undefined;
  const settings = artifact?.[builder] as { dockerfile?: string } | undefined;
  return settings?.dockerfile || 'Dockerfile';
}

/** Inputs of {@link listArtifactDependencies}. */
export interface ArtifactDependenciesInput {
  artifact?: Artifact;
  /** Absolute build context. */
  workspaceDir: string;
  configDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Absolute paths of the files an artifact's build reads: for docker and kaniko artifacts those of
 * {@link listDockerDependencies}; for other builders every file under the context except `.git`.
 */
export function listArtifactDependencies(input: ArtifactDependenciesInput): string[] {
  const { workspaceDir, artifact } = input;
  const dockerfile = artifactDockerfile(artifact);
  if (dockerfile !== undefined) {
    const builder = artifactBuilder(artifact);
    const settings = artifact?.[builder] as { buildArgs?: Record<string, string | null> } | undefined;
    return listDockerDependencies({
      workspaceDir,
      dockerfile,
      buildArgs: settings?.buildArgs,
      env: input.env,
      configDir: input.configDir,
    }).map((file) => path.resolve(workspaceDir, file));
  }
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(abs);
      else files.push(abs);
    }
  };
  walk(workspaceDir);
  return files.sort(compareBytes);
}
