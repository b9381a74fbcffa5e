import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitopsError } from '../../lib/errors';
import { runCommand, type RunResult } from '../../lib/exec';

/** Runs `git <args>` in `cwd` and resolves with its result, also when git exits non-zero. */
export type GitRunner = (args: readonly string[], cwd: string) => Promise<RunResult>;

/**
 * Git facts for one render, each looked up at most once. Repository-wide facts (HEAD, `describe`, branch,
 * trees, status) are asked once per repository from its top level, so 100 services of one monorepo cost a
 * handful of git processes instead of hundreds.
 */
export interface GitInfoCache {
  /** The top-level directory (symlinks resolved) of the repository containing `dir`. */
  toplevel(dir: string): Promise<string>;
  /** Full commit id of HEAD. Throws when the repository has no commit yet. */
  headCommit(toplevel: string): Promise<string>;
  /** `git rev-list -1 HEAD --abbrev-commit`. */
  abbrevCommit(toplevel: string): Promise<string>;
  /** `git describe --tags --always`. */
  describeTags(toplevel: string): Promise<string>;
  /** `git branch --show-current` (empty on a detached HEAD), or `undefined` when git cannot tell. */
  currentBranch(toplevel: string): Promise<string | undefined>;
  /** `git rev-parse [--short] HEAD:<relDir>/`. */
  treeSha(toplevel: string, relDir: string, abbreviated: boolean): Promise<string>;
  /** Whether `git status <dir> --porcelain` would print anything: modified, staged, deleted or untracked files. */
  isDirty(toplevel: string, relDir: string): Promise<boolean>;
}

/** How to build a {@link GitInfoCache}. */
export interface GitInfoCacheOptions {
  /** Runs git; the default runs the real binary. Tests wrap it to count calls. */
  runner?: GitRunner;
}

const defaultRunner: GitRunner = (args, cwd) => runCommand('git', args, { cwd, allowFailure: true, binaryOption: 'git' });

function gitFailure(what: string, dir: string, result: RunResult, hint: string): GitopsError {
  const detail = result.stderr.trim().split('\n').slice(-3).join('\n');
  return new GitopsError(`Cannot ${what} in ${dir}${detail ? `: ${detail}` : '.'}`, { hint });
}

/** Creates an empty per-render cache. Share one instance across every artifact and service of a render. */
export function createGitInfoCache(options: GitInfoCacheOptions = {}): GitInfoCache {
  const runner = options.runner ?? defaultRunner;
  const results = new Map<string, Promise<RunResult>>();
  const toplevels = new Map<string, Promise<string>>();
  const knownToplevels = new Set<string>();
  const statuses = new Map<string, Promise<string[]>>();
  let discovery: Promise<unknown> = Promise.resolve();

  const run = (args: readonly string[], cwd: string): Promise<RunResult> => {
    const key = `${cwd}\0${args.join('\0')}`;
    let result = results.get(key);
    if (!result) {
      result = runner(args, cwd);
      results.set(key, result);
    }
    return result;
  };

  const runOrThrow = async (args: readonly string[], cwd: string, what: string, hint: string): Promise<string> => {
    const result = await run(args, cwd);
    if (result.exitCode !== 0) throw gitFailure(what, cwd, result, hint);
    return result.stdout.trim();
  };

  /** A directory below a known top level belongs to it unless a nested `.git` (submodule, nested repo) sits between. */
  const knownToplevelOf = (realDir: string): string | undefined => {
    for (const top of knownToplevels) {
      const rel = path.relative(top, realDir);
      if (rel === '') return top;
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
      let dir = realDir;
      let nested = false;
      while (dir !== top) {
        if (fs.existsSync(path.join(dir, '.git'))) {
          nested = true;
          break;
        }
        dir = path.dirname(dir);
      }
      if (!nested) return top;
    }
    return undefined;
  };

  const discoverToplevel = async (dir: string): Promise<string> => {
    let realDir: string;
    try {
      realDir = fs.realpathSync(dir);
    } catch (cause) {
      throw new GitopsError(`The artifact directory ${dir} does not exist.`, {
        hint: 'Check the artifact "context" in skaffold.yaml.',
        cause,
      });
    }
    const known = knownToplevelOf(realDir);
    if (known) return known;
    const result = await run(['rev-parse', '--show-toplevel'], realDir);
    if (result.exitCode !== 0) {
      const detail = result.stderr.trim().split('\n').slice(-2).join('\n');
      throw new GitopsError(`${dir} is not inside a git repository, so the gitCommit tag policy cannot tag its image${detail ? ` (git: ${detail})` : ''}.`, {
        hint: 'Run inside a git checkout, or choose another build.tagPolicy (envTemplate, inputDigest, dateTime, sha256) in skaffold.yaml.',
      });
    }
    const top = fs.realpathSync(result.stdout.trim());
    knownToplevels.add(top);
    return top;
  };

  const parseStatus = (output: string): string[] => {
    const paths: string[] = [];
    const fields = output.split('\0');
    for (let i = 0; i < fields.length; i++) {
      const entry = fields[i];
      if (entry.length < 4) continue;
      paths.push(entry.slice(3));
      // Renames and copies carry the original path in the next field.
      if (entry[0] === 'R' || entry[0] === 'C') paths.push(fields[++i] ?? '');
    }
    return paths;
  };

  return {
    toplevel(dir) {
      const key = path.resolve(dir);
      let top = toplevels.get(key);
      if (!top) {
        // Serialised so that the first lookup in a repository can answer all the later ones from the file system.
        top = discovery.then(() => discoverToplevel(key));
        discovery = top.catch(() => undefined);
        toplevels.set(key, top);
      }
      return top;
    },
    async headCommit(toplevel) {
      const result = await run(['rev-list', '-1', 'HEAD'], toplevel);
      if (result.exitCode !== 0) {
        throw new GitopsError(`The git repository ${toplevel} has no commits yet, so there is no commit to tag images with.`, {
          hint: 'Commit the service first, or choose a build.tagPolicy that does not use git in skaffold.yaml.',
        });
      }
      return result.stdout.trim();
    },
    async abbrevCommit(toplevel) {
      await this.headCommit(toplevel);
      return runOrThrow(['rev-list', '-1', 'HEAD', '--abbrev-commit'], toplevel, 'abbreviate the HEAD commit', 'Check the git repository.');
    },
    async describeTags(toplevel) {
      await this.headCommit(toplevel);
      return runOrThrow(['describe', '--tags', '--always'], toplevel, 'run "git describe --tags --always"', 'Check the git repository.');
    },
    async currentBranch(toplevel) {
      await this.headCommit(toplevel);
      const result = await run(['branch', '--show-current'], toplevel);
      return result.exitCode === 0 ? result.stdout.trim() : undefined;
    },
    async treeSha(toplevel, relDir, abbreviated) {
      await this.headCommit(toplevel);
      const spec = `HEAD:${relDir === '' ? '.' : relDir}/`;
      const args = abbreviated ? ['rev-parse', '--short', spec] : ['rev-parse', spec];
      return runOrThrow(
        args,
        toplevel,
        `find the tree of "${relDir || '.'}" in HEAD`,
        'The TreeSha variants need the artifact directory to be committed; commit it or choose another gitCommit variant.',
      );
    },
    async isDirty(toplevel, relDir) {
      let status = statuses.get(toplevel);
      if (!status) {
        // One repository-wide status listing every untracked file answers every directory of the repository.
        status = run(['status', '--porcelain', '-z', '--untracked-files=all'], toplevel).then((result) => {
          if (result.exitCode !== 0) throw gitFailure('read "git status"', toplevel, result, 'Check the git repository.');
          // Not trimmed: the first entry's status column may start with a space.
          return parseStatus(result.stdout);
        });
        statuses.set(toplevel, status);
      }
      const changed = await status;
      if (relDir === '' || relDir === '.') return changed.length > 0;
      const prefix = `${relDir}/`;
      return changed.some((file) => file === relDir || file.startsWith(prefix));
    },
  };
}
