import { GitopsError } from '../lib/errors';

/** Git object types that can appear in a tree. */
export type GitObjectType = 'blob' | 'tree' | 'commit';

/** One entry of `git ls-tree -r -t` output: a file, a directory or a submodule at `path`. */
export interface TreeListingEntry {
  mode: string;
  type: GitObjectType;
  sha: string;
  path: string;
}

/** A file to place in the branch: its path inside the tree and the blob already written for it. */
export interface PlannedFile {
  path: string;
  blob: string;
}

/**
 * How the rendered files combine with what the branch holds: `merge` writes them and keeps every other
 * file; `replace` makes the directory the rendered files go to (the whole branch for a top-level path)
 * hold exactly the rendered files.
 */
export type PublishMode = 'merge' | 'replace';

/** One line of `git mktree` input. Either `sha` names an existing object or `dir` names a tree written earlier in the plan. */
export interface PlannedTreeEntry {
  name: string;
  mode: string;
  type: GitObjectType;
  sha?: string;
  dir?: string;
}

/** A tree to create with `git mktree`; `dir` is its path in the branch (`''` for the root). */
export interface PlannedTree {
  dir: string;
  entries: PlannedTreeEntry[];
}

interface LeafNode {
  kind: 'leaf';
  mode: string;
  type: GitObjectType;
  sha: string;
}

interface DirNode {
  kind: 'dir';
  /** The existing tree's id while nothing below it changes; cleared once something does. */
  sha?: string;
  children: Map<string, LeafNode | DirNode>;
}

const FILE_MODE = '100644';
const TREE_MODE = '040000';

function ensureDir(parent: DirNode, name: string): DirNode {
  const existing = parent.children.get(name);
  if (existing?.kind === 'dir') {
    existing.sha = undefined;
    return existing;
  }
  // A file standing where a directory must go is replaced: the rendered layout wins.
  const dir: DirNode = { kind: 'dir', children: new Map() };
  parent.children.set(name, dir);
  return dir;
}

function treeFromListing(listing: readonly TreeListingEntry[]): DirNode {
  const root: DirNode = { kind: 'dir', children: new Map() };
  for (const entry of listing) {
    const parts = entry.path.split('/');
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      const child = dir.children.get(part);
      if (child?.kind !== 'dir') throw new GitopsError(`Unexpected tree listing: "${entry.path}" appears before its directory.`);
      dir = child;
    }
    const name = parts[parts.length - 1];
    dir.children.set(
      name,
      entry.type === 'tree'
        ? { kind: 'dir', sha: entry.sha, children: new Map() }
        : { kind: 'leaf', mode: entry.mode, type: entry.type, sha: entry.sha },
    );
  }
  return root;
}

function collectWrites(dir: DirNode, path: string, writes: PlannedTree[]): void {
  const entries: PlannedTreeEntry[] = [];
  for (const [name, child] of [...dir.children].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const childPath = path ? `${path}/${name}` : name;
    if (child.kind === 'leaf') {
      entries.push({ name, mode: child.mode, type: child.type, sha: child.sha });
    } else if (child.sha) {
      entries.push({ name, mode: TREE_MODE, type: 'tree', sha: child.sha });
    } else if (child.children.size > 0) {
      collectWrites(child, childPath, writes);
      entries.push({ name, mode: TREE_MODE, type: 'tree', dir: childPath });
    }
  }
  writes.push({ dir: path, entries });
}

/** Whether `path` is `dir` or lies below it (`''` is the root, holding everything). */
export function isWithinDir(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}

/** The branch's tree with everything at or below each of `dirs` removed, every directory on the way to them marked as changed. */
function treeWithoutDirs(listing: readonly TreeListingEntry[], dirs: readonly string[]): DirNode {
  const root = treeFromListing(listing.filter((entry) => !dirs.some((dir) => isWithinDir(entry.path, dir))));
  for (const dir of dirs) {
    let node: DirNode = root;
    for (const part of dir.split('/').slice(0, -1)) {
      const child = node.children.get(part);
      if (child?.kind !== 'dir') break;
      child.sha = undefined;
      node = child;
    }
  }
  return root;
}

/**
 * Plans the trees of the next commit: starting from the branch's current listing (`merge`), or from it
 * without anything under `replaceDir` (`replace`; the default `''` replaces the whole branch), places
 * every file and returns the trees to create, children before parents and the root last. Directories
 * nothing was written into keep their existing tree id, so a merge into a large branch only rewrites the
 * directories on the written paths.
 */
export function planTrees(options: {
  current: readonly TreeListingEntry[];
  files: readonly PlannedFile[];
  mode: PublishMode;
  /** With `replace`: the directory of the branch the rendered files own (`''` for the whole branch). */
  replaceDir?: string;
  /** With `replace`, instead of `replaceDir`: the directories of several services written in one commit. */
  replaceDirs?: readonly string[];
}): PlannedTree[] {
  const replaceDirs = options.replaceDirs ?? [options.replaceDir ?? ''];
  const root: DirNode =
    options.mode === 'merge'
      ? treeFromListing(options.current)
      : replaceDirs.includes('')
        ? { kind: 'dir', children: new Map() }
        : treeWithoutDirs(options.current, replaceDirs);
  root.sha = undefined;
  const seen = new Set<string>();
  for (const file of options.files) {
    if (seen.has(file.path)) {
      throw new GitopsError(`Two rendered files would be written to "${file.path}" in the same branch.`, {
        hint: 'Make the "path" option unique per project and environment, e.g. "{project}/{environment}/manifest.yaml".',
      });
    }
    seen.add(file.path);
    const parts = file.path.split('/');
    let dir: DirNode = root;
    for (const part of parts.slice(0, -1)) dir = ensureDir(dir, part);
    dir.children.set(parts[parts.length - 1], { kind: 'leaf', mode: FILE_MODE, type: 'blob', sha: file.blob });
  }
  const writes: PlannedTree[] = [];
  collectWrites(root, '', writes);
  return writes;
}

/** A file of one request, as {@link requestChanges} compares it: generated files (the hydrator's) never count as a change. */
export interface RequestFile extends PlannedFile {
  generated: boolean;
}

/**
 * Whether writing a request's files into the branch `current` lists changes anything but generated files:
 * a rendered file whose blob differs or is missing, or (with `replace`) a file under `replaceDir` the
 * request no longer writes. Decides, without writing a tree, which services of a shared branch a
 * combined commit carries.
 */
export function requestChanges(options: { current: readonly TreeListingEntry[]; files: readonly RequestFile[]; mode: PublishMode; replaceDir?: string }): boolean {
  const blobs = new Map(options.current.filter((entry) => entry.type !== 'tree').map((entry) => [entry.path, entry.sha]));
  if (options.files.some((file) => !file.generated && blobs.get(file.path) !== file.blob)) return true;
  if (options.mode === 'merge') return false;
  const written = new Set(options.files.map((file) => file.path));
  const dir = options.replaceDir ?? '';
  return [...blobs.keys()].some((path) => isWithinDir(path, dir) && !written.has(path));
}

/** What publishing did (or, in a dry run, would do) to one branch. */
export type PublishStatus = 'created' | 'updated' | 'unchanged' | 'failed';

/**
 * Decides the outcome from the branch state and the new tree: a missing branch is `created`, an
 * identical tree is `unchanged` (no commit, so re-runs leave no empty commits), anything else `updated`.
 */
export function decideStatus(options: { branchExists: boolean; currentTree: string | null; newTree: string }): Exclude<PublishStatus, 'failed'> {
  if (!options.branchExists) return 'created';
  return options.currentTree === options.newTree ? 'unchanged' : 'updated';
}

/**
 * Milliseconds to wait before attempt `attempt + 1`: "full jitter" — a random time up to an exponential
 * ceiling (from `baseMs`, capped at `maxMs`). Publishers that collided spread out over the whole window
 * instead of colliding again in lock step, which keeps the attempts a crowd of publishers needs low.
 */
export function retryDelayMs(options: { attempt: number; random?: () => number; baseMs?: number; maxMs?: number }): number {
  const base = options.baseMs ?? 500;
  const ceiling = Math.min(options.maxMs ?? 5000, base * 2 ** Math.max(0, options.attempt - 1));
  const random = options.random ?? Math.random;
  return Math.round(random() * ceiling);
}

/**
 * Where the note of `object` goes in a notes tree, as git places it: at the root under the object's id,
 * or, when the tree already fans out (`ab/cdef…`, which git switches to once a notes tree grows large),
 * under as many two-character folders as the existing notes use, so git keeps finding every note.
 */
export function notePath(options: { current: readonly TreeListingEntry[]; object: string }): string {
  const existing = options.current.find((entry) => entry.type === 'blob' && /^[0-9a-f/]{40,}$/.test(entry.path));
  const depth = existing ? existing.path.split('/').length - 1 : 0;
  const parts: string[] = [];
  for (let level = 0; level < depth; level++) parts.push(options.object.slice(level * 2, level * 2 + 2));
  parts.push(options.object.slice(depth * 2));
  return parts.join('/');
}
