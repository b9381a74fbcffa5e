import { runCommand } from '../lib/exec';
import { isWithinDir } from './plan';

/** One path of the workspace that differs from `HEAD`. */
export interface ChangedSource {
  /** Workspace-relative posix path. */
  path: string;
  /** What differs, in words: `modified`, `staged`, `deleted`, `untracked`, `renamed`, … */
  change: string;
}

function describeChange(code: string): string {
  if (code === '??') return 'untracked';
  const [index, worktree] = [code[0], code[1]];
  if (index === 'U' || worktree === 'U' || code === 'AA' || code === 'DD') return 'unmerged';
  if (index === 'D' || worktree === 'D') return 'deleted';
  if (index === 'R') return 'renamed';
  if (index === 'C') return 'copied';
  if (index === 'A') return 'added';
  if (worktree === 'M' || worktree === 'T') return index === ' ' ? 'modified' : 'staged and modified';
  return 'staged';
}

/** Whether `path` (workspace-relative) can be given to git as a pathspec of the workspace. */
function isWorkspacePath(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.startsWith('../') && path !== '..' && !/^[a-zA-Z]:/.test(path);
}

/**
 * The paths at or below `sources` (workspace-relative: files, and directories meaning everything under
 * them) that differ from `HEAD`: modified, staged, deleted, or untracked and not ignored. One
 * `git status` answers for every source of a run. Resolves `null` when the workspace is not a git
 * repository (`prefix` is `null`), when nothing can be asked.
 */
export async function findChangedSources(options: {
  workspaceRoot: string;
  sources: readonly string[];
  /** The workspace's path inside its repository (see `WorkspaceGitInfo.prefix`), or the read of it: git status starts at once. */
  prefix: string | null | Promise<string | null>;
}): Promise<ChangedSource[] | null> {
  const pathspecs = [...new Set(options.sources.map((source) => (source === '.' ? '.' : source.replace(/\/+$/, ''))))].filter(isWorkspacePath).sort();
  const status =
    pathspecs.length === 0
      ? Promise.resolve({ stdout: '' })
      : runCommand(
          'git',
          ['-C', options.workspaceRoot, 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=none', '--no-renames', '--', ...pathspecs],
          // Sources are file names, never patterns.
          { env: { GIT_LITERAL_PATHSPECS: '1', GIT_OPTIONAL_LOCKS: '0' } },
        );
  // Handled below; until then a failure must not count as unhandled.
  status.catch(() => undefined);
  const prefix = await options.prefix;
  if (prefix === null) {
    // Not a repository: nothing to ask git about, and its status fails.
    await status.catch(() => undefined);
    return null;
  }
  const { stdout } = await status;
  const changed: ChangedSource[] = [];
  for (const entry of stdout.split('\0')) {
    if (entry.length < 4) continue;
    const path = entry.slice(3);
    // Porcelain paths are relative to the repository's top; the workspace may be a folder of it.
    if (!path.startsWith(prefix)) continue;
    // dist/ holds what render itself wrote (a service at the workspace root lists the whole workspace).
    if (path.slice(prefix.length).startsWith('dist/')) continue;
    changed.push({ path: path.slice(prefix.length), change: describeChange(entry.slice(0, 2)) });
  }
  return changed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The entries of `changed` at or below one of `sources`. */
export function changedSourcesOf(changed: readonly ChangedSource[], sources: readonly string[]): ChangedSource[] {
  const roots = sources.map((source) => (source === '.' ? '' : source.replace(/\/+$/, '')));
  return changed.filter((entry) => roots.some((root) => isWithinDir(entry.path, root)));
}
