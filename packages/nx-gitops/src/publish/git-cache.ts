import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { GitopsError } from '../lib/errors';
import { CommandError, CommandTimeoutError, runCommand, runWithConcurrency, type RunResult } from '../lib/exec';
import { redact } from '../lib/redact';
import { appendGitConfig, remoteAccess, type GitRemoteAccess } from './auth';
import { withoutCredentials } from './commit-message';
import { withFileLock } from './file-lock';
import { objectId, treeContent, writePack, type LooseObject } from './pack-writer';
import type { GitObjectType, PlannedTree, TreeListingEntry } from './plan';
import { GIT_SIGN_FORMAT, type CommitSigning } from './signing';
import { isAtomicUnsupported, isAuthenticationFailure, parsePushPorcelain, refNameConflicts, remoteMessages, type RefPushResult } from './push-output';

/** Name and e-mail of a commit's author and committer. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** A branch to move to a commit in a push. */
export interface BranchUpdate {
  branch: string;
  commit: string;
  /** Push options (`git push -o`) the push of this branch carries; such a branch is pushed on its own. */
  pushOptions?: readonly string[];
}

/** What a blob holds: the bytes of a file on disk, or a text. */
export type BlobSource = { sourceFile: string } | { content: string };

/** The id git gives the empty tree; diffs of a new branch start from it. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * Variables that would point git at another repository, object store or index than the cache (they
 * are set, for example, when nx runs inside a git hook); cleared for every command of the adapter.
 */
const ISOLATION_ENV: Record<string, undefined> = {
  GIT_DIR: undefined,
  GIT_WORK_TREE: undefined,
  GIT_INDEX_FILE: undefined,
  GIT_OBJECT_DIRECTORY: undefined,
  GIT_ALTERNATE_OBJECT_DIRECTORIES: undefined,
  GIT_NAMESPACE: undefined,
  GIT_COMMON_DIR: undefined,
};

/** Our own lock file in a cache repository, for the operations that rewrite shared files. */
const FETCH_LOCK = 'nx-gitops-fetch.lock';

/** Packs a cache may hold before {@link ManifestRepositoryCache.dispose} rolls them up. */
export const MAX_CACHE_PACKS = 50;

/**
 * Why the bare repository at `gitDir` cannot be used as a cache (`null` when it can): no HEAD, no object
 * store, or a repository git refuses to open (a config it cannot parse, say).
 */
async function cacheProblem(gitDir: string): Promise<string | null> {
  if (!existsSync(join(gitDir, 'HEAD'))) return 'no HEAD';
  if (!existsSync(join(gitDir, 'objects')) || !existsSync(join(gitDir, 'refs'))) return 'no object store';
  // Files git reads on every fetch or ref lookup and refuses to work with when a write was cut short.
  const damaged = (file: string, line: RegExp) => {
    const path = join(gitDir, file);
    return existsSync(path) && readFileSync(path, 'utf8').split('\n').some((text) => text !== '' && !line.test(text));
  };
  if (damaged('shallow', /^[0-9a-f]{40,64}$/)) return 'a damaged shallow file';
  if (damaged('packed-refs', /^(# pack-refs with:.*|\^?[0-9a-f]{40,64}( \S+)?)$/)) return 'a damaged packed-refs file';
  const check = await runCommand('git', ['--git-dir', gitDir, 'rev-parse', '--is-bare-repository'], { env: ISOLATION_ENV, allowFailure: true });
  if (check.exitCode !== 0 || check.stdout.trim() !== 'true') return (check.stderr.trim().split('\n').pop() ?? '').slice(0, 200) || 'git cannot open it';
  return null;
}

/** Signed commits made at once (each runs ssh-keygen or gpg through git). */
const SIGNING_CONCURRENCY = 4;

/** The default of the `networkTimeoutSeconds` option: the longest one git network command may take. */
export const DEFAULT_NETWORK_TIMEOUT_SECONDS = 180;

/** How long a transfer may stay below one byte per second before git gives up (at most the deadline). */
const LOW_SPEED_SECONDS = 30;

/** True when git's error output says curl gave up on a stalled or unreachable server. */
function isTransferTimeout(stderr: string): boolean {
  return /Operation too slow|curl 28|Operation timed out|Connection timed out|timed out after/i.test(stderr);
}

/**
 * A network failure that may pass: the server timed out, stalled, or answered 5xx. The publisher tries
 * again (within `maxAttempts`, after a backoff) instead of failing at once.
 */
export class TransientNetworkError extends GitopsError {}

/** True when git's error output says the server answered with a 5xx status. */
function isServerError(stderr: string): boolean {
  return /returned error: 5\d\d|HTTP 5\d\d|RPC failed; HTTP 5\d\d/i.test(stderr);
}

/**
 * True when git's error output says the connection failed: nothing listening, no such host, or a
 * connection the server (or something between) closed or reset before git got its whole answer.
 */
function isConnectionFailure(stderr: string): boolean {
  return /Failed to connect to|Couldn't connect to server|Connection refused|Could not resolve host|Connection reset by peer|Empty reply from server|Recv failure|Send failure|transfer closed with|unexpected disconnect|the remote end hung up unexpectedly/i.test(
    stderr,
  );
}

/** True when git's error output says the server has no repository at the URL (HTTP 404). */
function isMissingRepository(stderr: string): boolean {
  return /repository '[^']*' not found|returned error: 404|HTTP 404/i.test(stderr);
}

/** Thrown by {@link ManifestRepositoryCache.push} when the server does not offer atomic pushes. */
export class AtomicPushUnsupportedError extends GitopsError {}

/** The workspace-relative folder holding one bare cache repository per manifest repository. */
export function defaultCacheRoot(workspaceRoot: string): string {
  return join(workspaceRoot, 'node_modules', '.cache', 'nx-gitops', 'manifest-repositories');
}

/**
 * The git adapter of the publisher: a bare cache repository for one manifest repository, driven with
 * plumbing only (no work tree, no checkout, no remote configured: every network command names the URL).
 * Several processes may share one cache: every process fetches into refs of its own
 * (`refs/nx-gitops/<owner>/…`), object writes are atomic in git, and the operations that rewrite shared
 * files (shallow fetches, ref deletion) run under a lock file.
 */
export class ManifestRepositoryCache {
  private readonly owner = `${process.pid}-${randomBytes(4).toString('hex')}`;

  private constructor(
    /** The bare repository's directory. */
    readonly gitDir: string,
    private readonly access: GitRemoteAccess,
    /** The repository URL as shown to users (no credentials). */
    readonly displayUrl: string,
    /** The deadline of each network command, and the environment that bounds git's own stalls. */
    private readonly network: { timeoutMs: number; lowSpeedSeconds: number; env: Record<string, string> },
  ) {}

  /**
   * Opens (creating on first use) the cache of `repository` under `cacheRoot`, keyed by a hash of the
   * URL without credentials so that rotating a token keeps the cache.
   */
  static async open(options: {
    repository: string;
    cacheRoot: string;
    env: Readonly<Record<string, string | undefined>>;
    /** Told when the cache had to be recreated. */
    onWarning?: (message: string) => void;
    /** The longest one network command may take (default {@link DEFAULT_NETWORK_TIMEOUT_SECONDS}). */
    networkTimeoutSeconds?: number;
    /** Send `NX_GITOPS_TOKEN` or URL credentials over plain http to a host that is not loopback. */
    allowInsecureTransport?: boolean;
  }): Promise<ManifestRepositoryCache> {
    const access = remoteAccess({ repository: options.repository, env: options.env, allowInsecureTransport: options.allowInsecureTransport });
    const key = createHash('sha256').update(access.url).digest('hex').slice(0, 16);
    const gitDir = join(options.cacheRoot, `${key}.git`);
    const problem = existsSync(gitDir) ? await cacheProblem(gitDir) : 'missing';
    if (problem !== null) {
      mkdirSync(options.cacheRoot, { recursive: true });
      if (problem !== 'missing') {
        // Only the objects of an earlier run are lost: the cache is rebuilt from the server on demand.
        const aside = `${gitDir}.broken-${process.pid}-${randomBytes(4).toString('hex')}`;
        try {
          renameSync(gitDir, aside);
          rmSync(aside, { recursive: true, force: true });
          options.onWarning?.(`The cache repository ${gitDir} was unusable (${problem}); it was recreated.`);
        } catch {
          // Another process moved it first and is recreating it.
        }
      }
      // Initialise beside the final place and rename, so a concurrent process never sees half a repository.
      const staging = `${gitDir}.init-${process.pid}-${randomBytes(4).toString('hex')}`;
      await runCommand('git', ['init', '--quiet', '--bare', staging], { env: ISOLATION_ENV });
      try {
        renameSync(staging, gitDir);
      } catch {
        rmSync(staging, { recursive: true, force: true });
        if ((await cacheProblem(gitDir)) !== null) {
          throw new GitopsError(`Cannot create the cache repository ${gitDir}.`, { hint: 'Delete that folder; it is rebuilt on the next publish.' });
        }
      }
    }
    const timeoutSeconds = options.networkTimeoutSeconds ?? DEFAULT_NETWORK_TIMEOUT_SECONDS;
    const lowSpeedSeconds = Math.max(1, Math.min(LOW_SPEED_SECONDS, timeoutSeconds));
    const network = {
      timeoutMs: timeoutSeconds * 1000,
      lowSpeedSeconds,
      // After the credentials' entry, if any: git() sets these over the access environment.
      env: appendGitConfig({ ...options.env, ...access.env }, [
        ['http.lowSpeedLimit', '1'],
        ['http.lowSpeedTime', String(lowSpeedSeconds)],
      ]),
    };
    return new ManifestRepositoryCache(gitDir, access, withoutCredentials(access.url), network);
  }

  /**
   * Removes git lock files (`shallow.lock`, `index.lock`, `packed-refs.lock`, `refs/**.lock`, …) older
   * than `olderThanMs`. Call it only while holding the machine lock of the repository: every git command
   * that could legitimately hold one then belongs to this process or takes milliseconds, so a lock that
   * old was left by a git process that was killed (SIGKILL, a cancelled CI job), and would make every later
   * fetch or ref update fail. Returns the paths removed, relative to the cache repository.
   */
  removeStaleGitLocks(options: { olderThanMs: number }): string[] {
    const removed: string[] = [];
    const now = Date.now();
    const visit = (relative: string, recurse: boolean) => {
      let entries: Dirent[];
      try {
        entries = readdirSync(join(this.gitDir, relative), { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = relative ? `${relative}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (recurse) visit(path, true);
          continue;
        }
        // Our own lock file carries a pid and is handled by withFileLock.
        if (!entry.name.endsWith('.lock') || entry.name === FETCH_LOCK) continue;
        try {
          if (now - statSync(join(this.gitDir, path)).mtimeMs < options.olderThanMs) continue;
          unlinkSync(join(this.gitDir, path));
          removed.push(path);
        } catch {
          // Released in the meantime.
        }
      }
    };
    visit('', false);
    visit('refs', true);
    visit('objects/info', true);
    return removed;
  }

  /** Which credentials go to which host (`null` when none are sent), and why set ones are withheld. */
  get credentials(): Pick<GitRemoteAccess, 'credentials' | 'withheld' | 'withheldForTransport'> {
    return { credentials: this.access.credentials, withheld: this.access.withheld, withheldForTransport: this.access.withheldForTransport };
  }

  /** The error for a server that refused us: the credentials it refused, or the fact that none were sent. */
  private authenticationError(what: string, reason: string, cause?: unknown): GitopsError {
    const because = reason ? ` (${reason})` : '';
    if (this.access.credentials === null) {
      const withheld = this.access.withheld ? ` ${this.access.withheld}.` : '';
      return new GitopsError(`The manifest repository ${this.displayUrl} asked for credentials while trying to ${what}, and none were sent${because}.${withheld}`, {
        hint: this.access.withheldForTransport
          ? 'Use an https URL for the manifest repository, or set the "allowInsecureTransport" option to send the token over plain http.'
          : 'Set NX_GITOPS_TOKEN to a token that may push to the manifest repository (GITHUB_TOKEN is only sent to GitHub over https).',
        cause,
      });
    }
    return new GitopsError(`The manifest repository ${this.displayUrl} refused the credentials from ${this.access.credentials.source} while trying to ${what}${because}.`, {
      hint: 'Set NX_GITOPS_TOKEN (or GITHUB_TOKEN, for GitHub) to a token that may push to the manifest repository.',
      cause,
    });
  }

  private async git(
    args: readonly string[],
    options: { input?: string | Uint8Array; allowFailure?: boolean; env?: Record<string, string>; timeoutMs?: number; secrets?: readonly string[] } = {},
  ): Promise<RunResult> {
    return runCommand(
      'git',
      ['--git-dir', this.gitDir, '-c', 'gc.auto=0', '-c', 'maintenance.auto=false', '-c', 'fetch.writeCommitGraph=false', ...args],
      {
        env: { ...ISOLATION_ENV, ...this.access.env, ...options.env },
        secrets: [...this.access.secrets, ...(options.secrets ?? [])],
        input: options.input,
        allowFailure: options.allowFailure,
        timeoutMs: options.timeoutMs,
      },
    );
  }

  /** Runs a command that talks to the server, turning an authentication failure into an error that says so. */
  private async remote(args: readonly string[], what: string, options: { allowFailure?: boolean } = {}): Promise<RunResult> {
    let result: RunResult;
    try {
      result = await this.git(args, { ...options, env: this.network.env, timeoutMs: this.network.timeoutMs });
    } catch (error) {
      if (error instanceof CommandTimeoutError) throw this.timeoutError(what, error);
      if (error instanceof CommandError && isTransferTimeout(error.stderr)) throw this.timeoutError(what, error);
      if (error instanceof CommandError && isServerError(error.stderr)) throw this.serverError(what, error.stderr, error);
      if (error instanceof CommandError && isAuthenticationFailure(error.stderr)) {
        throw this.authenticationError(what, error.stderr.trim().split('\n').pop() ?? '', error);
      }
      if (error instanceof CommandError && isMissingRepository(error.stderr)) throw this.missingError(what, error);
      if (error instanceof CommandError && isConnectionFailure(error.stderr)) throw this.connectionError(what, error.stderr, error);
      throw error;
    }
    if (result.exitCode !== 0 && isTransferTimeout(result.stderr)) throw this.timeoutError(what);
    if (result.exitCode !== 0 && isServerError(result.stderr) && parsePushPorcelain(result.stdout).size === 0) throw this.serverError(what, result.stderr);
    if (result.exitCode !== 0 && parsePushPorcelain(result.stdout).size === 0 && !isAuthenticationFailure(result.stderr)) {
      if (isMissingRepository(result.stderr)) throw this.missingError(what);
      // A server without atomic pushes also hangs up; push() reports that as AtomicPushUnsupportedError.
      if (isConnectionFailure(result.stderr) && !isAtomicUnsupported(result.stderr)) throw this.connectionError(what, result.stderr);
    }
    return result;
  }

  /** The error for a server that answered 5xx: git's last line, redacted. */
  private serverError(what: string, stderr: string, cause?: unknown): TransientNetworkError {
    const line = redact(stderr, this.access.secrets).trim().split('\n').pop() ?? '';
    return new TransientNetworkError(`The manifest repository ${this.displayUrl} failed with a server error while trying to ${what} (${line}).`, {
      hint: 'The server may be overloaded or restarting; raise the "maxAttempts" option to try longer.',
      cause,
    });
  }

  /**
   * The error for a connection that could not be made or was cut before git had its answer: retried, as
   * it may pass (a restarting server, a dropped proxy connection); a push cut short is applied by the
   * server either whole or not at all, and the next attempt sees which.
   */
  private connectionError(what: string, stderr: string, cause?: unknown): TransientNetworkError {
    const line = redact(stderr, this.access.secrets).trim().split('\n').filter((text) => /fatal|error/i.test(text)).pop() ?? '';
    return new TransientNetworkError(`The manifest repository ${this.displayUrl} could not be reached, or dropped the connection, while trying to ${what} (${line}).`, {
      hint: 'Check the host and port of the "manifestRepository" option and that the server is up; raise the "maxAttempts" option to try longer.',
      cause,
    });
  }

  /** The error for a URL the server holds no repository at. */
  private missingError(what: string, cause?: unknown): GitopsError {
    return new GitopsError(`The manifest repository ${this.displayUrl} does not exist (the server answered "not found" while trying to ${what}).`, {
      hint: 'Check the "manifestRepository" option, and create the repository first; some forges also answer "not found" to a token that may not read it (NX_GITOPS_TOKEN).',
      cause,
    });
  }

  /** The error for a network command that hit the deadline or that git gave up on as stalled. */
  private timeoutError(what: string, cause?: unknown): TransientNetworkError {
    const seconds = this.network.timeoutMs / 1000;
    return new TransientNetworkError(
      `The manifest repository ${this.displayUrl} did not answer in time while trying to ${what} ` +
        `(no progress for ${this.network.lowSpeedSeconds} s, or longer than the ${seconds} s deadline).`,
      { hint: `Check that the server is up and reachable; raise the "networkTimeoutSeconds" option (now ${seconds}) for a slow server.`, cause },
    );
  }

  /** The current commit of each of `branches` on the server; branches that do not exist are absent. */
  async remoteTips(branches: readonly string[]): Promise<Map<string, string>> {
    const tips = await this.listRemoteRefs(branches.map((branch) => `refs/heads/${branch}`), 'list its branches');
    return new Map([...tips].map(([ref, sha]) => [ref.slice('refs/heads/'.length), sha]));
  }

  /** The commit `ref` (a full ref name, such as a notes ref) points to on the server, `null` when it does not exist. */
  async remoteRefTip(ref: string): Promise<string | null> {
    return (await this.listRemoteRefs([ref], `list ${ref}`)).get(ref) ?? null;
  }

  /**
   * {@link remoteTips} for full ref names (`what` names the listing in errors): one `git ls-remote` for them
   * all, none when there are none. Refs the server does not hold are absent.
   */
  private async listRemoteRefs(refs: readonly string[], what: string): Promise<Map<string, string>> {
    const tips = new Map<string, string>();
    if (refs.length === 0) return tips;
    const wanted = new Set(refs);
    const { stdout } = await this.remote(['ls-remote', '--', this.access.url, ...wanted], what);
    for (const line of stdout.split('\n')) {
      const [sha, ref] = line.split('\t');
      if (sha && ref && wanted.has(ref)) tips.set(ref, sha);
    }
    return tips;
  }

  /**
   * Makes sure the cache holds the tip commit (and its tree) of each branch: those already present are
   * used as they are, the others are fetched in one shallow fetch of just those branches. Returns the tips
   * actually held, which may be newer than `tips` if a branch moved in between.
   */
  async fetchTips(tips: ReadonlyMap<string, string>): Promise<Map<string, string>> {
    const held = await this.fetchRefs(new Map([...tips].map(([branch, sha]) => [`refs/heads/${branch}`, sha])), 'fetch its branches');
    return new Map([...held].map(([ref, sha]) => [ref.slice('refs/heads/'.length), sha]));
  }

  /** Makes sure the cache holds commit `sha` of the server's `ref` (one shallow fetch when it does not); returns the commit held. */
  async fetchRef(ref: string, sha: string): Promise<string> {
    return (await this.fetchRefs(new Map([[ref, sha]]), `fetch ${ref}`)).get(ref)!;
  }

  /**
   * {@link fetchTips} for full ref names (`what` names the fetch in errors). The objects are fetched alone,
   * no ref written (the cache never prunes, so they stay): the commits listed are the ones wanted, which saves
   * writing, reading back and deleting a ref per branch. A ref that moved between the listing and the fetch
   * is fetched again into a ref of ours to learn its new tip.
   */
  private async fetchRefs(tips: ReadonlyMap<string, string>, what: string): Promise<Map<string, string>> {
    const held = new Map(tips);
    const missing = await this.missingObjects([...tips.values()]);
    const toFetch = [...tips].filter(([, sha]) => missing.has(sha)).map(([ref]) => ref);
    if (toFetch.length === 0) return held;
    await this.shallowFetch(toFetch, what);
    const moved = await this.missingObjects(toFetch.map((ref) => tips.get(ref)!));
    const refetch = toFetch.filter((ref) => moved.has(tips.get(ref)!));
    if (refetch.length === 0) return held;
    const localRef = (ref: string) => `refs/nx-gitops/${this.owner}/${ref.replace(/^refs\//, '')}`;
    await this.shallowFetch(refetch.map((ref) => `+${ref}:${localRef(ref)}`), what);
    const { stdout } = await this.git(['rev-parse', ...refetch.map(localRef)]);
    stdout.split('\n').forEach((sha, index) => held.set(refetch[index], sha.trim()));
    return held;
  }

  /** One shallow fetch of `refspecs` from the remote (`what` names it in errors), taking turns with the other processes of this cache. */
  private async shallowFetch(refspecs: readonly string[], what: string): Promise<void> {
    await withFileLock({ path: join(this.gitDir, FETCH_LOCK) }, () =>
      this.remote(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--depth=1', '--', this.access.url, ...refspecs], what),
    );
  }

  private async missingObjects(shas: readonly string[]): Promise<Set<string>> {
    if (shas.length === 0) return new Set();
    const { stdout } = await this.git(['cat-file', '--batch-check'], { input: `${shas.join('\n')}\n` });
    return new Set(
      stdout
        .split('\n')
        .filter((line) => line.endsWith(' missing'))
        .map((line) => line.split(' ')[0]),
    );
  }

  /**
   * Writes each source as a blob (a file's bytes as they are, no filters; a content's UTF-8 bytes) and
   * returns their ids, in order, in one {@link writeObjects} for them all.
   */
  async hashBlobs(sources: readonly BlobSource[]): Promise<string[]> {
    return this.writeObjects(
      sources.map((source) => ({ type: 'blob', content: 'sourceFile' in source ? readFileSync(source.sourceFile) : Buffer.from(source.content, 'utf8') })),
    );
  }

  /** Writes each content as a blob and returns their ids, in order, in one {@link writeObjects} for them all. */
  async hashContents(contents: readonly string[]): Promise<string[]> {
    return this.hashBlobs(contents.map((content) => ({ content })));
  }

  /**
   * Stores those of `objects` the cache lacks as one pack (`git index-pack --stdin --strict`, which checks
   * each as `git fsck` would: a commit well formed, its tree and parent present) and returns the ids of all,
   * in order: two processes and two files however many objects, where loose objects cost a file each. An
   * object already held is not stored again, so an unchanged render adds nothing to the cache.
   */
  private async writeObjects(objects: readonly LooseObject[]): Promise<string[]> {
    if (objects.length === 0) return [];
    const ids = objects.map(objectId);
    const missing = await this.missingObjects([...new Set(ids)]);
    const toStore = new Map<string, LooseObject>();
    objects.forEach((object, index) => {
      if (missing.has(ids[index])) toStore.set(ids[index], object);
    });
    if (toStore.size > 0) await this.git(['index-pack', '--stdin', '--strict'], { input: writePack([...toStore.values()]) });
    return ids;
  }

  /** The tree of each commit, in one process. */
  async treesOf(commits: readonly string[]): Promise<Map<string, string>> {
    const unique = [...new Set(commits)];
    if (unique.length === 0) return new Map();
    const { stdout } = await this.git(['rev-parse', ...unique.map((commit) => `${commit}^{tree}`)]);
    const trees = stdout.split('\n').map((line) => line.trim());
    return new Map(unique.map((commit, index) => [commit, trees[index]]));
  }

  /**
   * Every file, directory and submodule of each tree (directories before their contents), for all
   * trees in one `git diff-tree --stdin` process: each tree is listed as its difference from the empty tree.
   */
  async listTrees(trees: readonly string[]): Promise<Map<string, TreeListingEntry[]>> {
    const unique = [...new Set(trees)];
    const listings = new Map<string, TreeListingEntry[]>(unique.map((tree) => [tree, []]));
    if (unique.length === 0) return listings;
    const input = unique.map((tree) => `${EMPTY_TREE} ${tree}\n`).join('');
    const { stdout } = await this.git(['diff-tree', '--stdin', '-r', '-t', '--raw', '-z', '--no-renames', '--abbrev=40'], { input });
    const records = stdout.split('\0');
    let current: TreeListingEntry[] | undefined;
    for (let index = 0; index < records.length; index++) {
      let record = records[index];
      // diff-tree echoes each input line ("<empty tree> <tree>\n") before that tree's entries.
      const header = /^[0-9a-f]{40,64} ([0-9a-f]{40,64})\n/.exec(record);
      if (header) {
        current = listings.get(header[1]);
        record = record.slice(header[0].length);
      }
      const raw = /^:\d+ (\d+) [0-9a-f]+ ([0-9a-f]+) A$/.exec(record);
      if (!raw || !current) continue;
      const mode = raw[1];
      const path = records[++index];
      const type: GitObjectType = mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
      current.push({ mode, type, sha: raw[2], path });
    }
    return listings;
  }

  /**
   * Creates the trees of several plans (see `planTrees`) and returns each plan's root tree id. The trees
   * are built here, deepest first (a tree's id is the hash of its entries, its subtrees' ids among them), and
   * stored as one pack that git checks as it takes it (sorted entries, every entry's object present).
   */
  async writeTreePlans(plans: ReadonlyArray<readonly PlannedTree[]>): Promise<string[]> {
    const written = new Map<string, string>();
    const key = (plan: number, dir: string) => `${plan}\0${dir}`;
    const depth = (dir: string) => (dir === '' ? 0 : dir.split('/').length);
    const trees = plans.flatMap((plan, index) => plan.map((tree) => ({ plan: index, tree }))).sort((a, b) => depth(b.tree.dir) - depth(a.tree.dir));
    const objects: LooseObject[] = [];
    for (const { plan, tree } of trees) {
      if (tree.entries.length === 0) {
        written.set(key(plan, tree.dir), EMPTY_TREE);
        continue;
      }
      const entries = tree.entries.map((entry) => {
        const sha = entry.dir !== undefined ? written.get(key(plan, entry.dir)) : entry.sha;
        if (!sha) throw new GitopsError(`Internal error: tree "${entry.dir}" was not written before its parent.`);
        return { mode: entry.mode, name: entry.name, sha, isTree: entry.type === 'tree' };
      });
      const object: LooseObject = { type: 'tree', content: treeContent(entries) };
      objects.push(object);
      written.set(key(plan, tree.dir), objectId(object));
    }
    await this.writeObjects(objects);
    return plans.map((_, index) => {
      const root = written.get(key(index, ''));
      if (!root) throw new GitopsError('Internal error: a tree plan has no root.');
      return root;
    });
  }

  /**
   * Creates one commit per entry (`tree` on `parent`, a root commit when `null`) and returns their ids in
   * order. Unsigned commit objects go to git as one pack (`git index-pack --stdin --strict`, which checks
   * each one as `git fsck` would and stores them as one pack file), so a batch of a hundred branches costs
   * one process and two files.
   * A commit with `signing` is made by `git commit-tree -S` (one process each, git running ssh-keygen or
   * gpg), with `gpg.format` and `user.signingkey` given through the environment and the key masked in errors.
   */
  async commitTrees(
    commits: ReadonlyArray<{ tree: string; parent: string | null; message: string; author: GitIdentity; signing?: CommitSigning }>,
  ): Promise<string[]> {
    if (commits.length === 0) return [];
    const now = new Date();
    const seconds = Math.floor(now.getTime() / 1000);
    const offset = -now.getTimezoneOffset();
    const zone = `${offset < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}${String(Math.abs(offset) % 60).padStart(2, '0')}`;
    // As git does for identities: no angle brackets or line breaks inside a name or an address.
    const clean = (value: string) => value.replace(/[<>\n\r]/g, '').trim();
    const ids: string[] = new Array(commits.length);
    const unsigned = commits.flatMap((commit, index) => (commit.signing ? [] : [index]));
    const signed = commits.flatMap((commit, index) => (commit.signing ? [index] : []));
    if (unsigned.length > 0) {
      const objects = unsigned.map((index): LooseObject => {
        const commit = commits[index];
        const person = `${clean(commit.author.name)} <${clean(commit.author.email)}> ${seconds} ${zone}`;
        const header = [`tree ${commit.tree}`, ...(commit.parent ? [`parent ${commit.parent}`] : []), `author ${person}`, `committer ${person}`];
        return { type: 'commit', content: Buffer.from(`${header.join('\n')}\n\n${commit.message}`, 'utf8') };
      });
      (await this.writeObjects(objects)).forEach((id, position) => (ids[unsigned[position]] = id));
    }
    await runWithConcurrency(
      SIGNING_CONCURRENCY,
      signed.map((index) => async () => {
        const commit = commits[index];
        const signing = commit.signing!;
        const date = `${seconds} ${zone}`;
        const { stdout } = await this.git(['commit-tree', '-S', commit.tree, ...(commit.parent ? ['-p', commit.parent] : [])], {
          input: commit.message,
          secrets: [signing.key],
          env: {
            ...this.network.env,
            // After the entries already configured through the environment (credentials, network bounds).
            ...appendGitConfig(this.network.env, [
              ['gpg.format', GIT_SIGN_FORMAT[signing.format]],
              ['user.signingkey', signing.key],
            ]),
            GIT_AUTHOR_NAME: clean(commit.author.name),
            GIT_AUTHOR_EMAIL: clean(commit.author.email),
            GIT_AUTHOR_DATE: date,
            GIT_COMMITTER_NAME: clean(commit.author.name),
            GIT_COMMITTER_EMAIL: clean(commit.author.email),
            GIT_COMMITTER_DATE: date,
          },
        });
        ids[index] = stdout.trim();
      }),
    );
    return ids;
  }

  /** A patch (with a stat) from tree `from` to tree `to`, for dry runs. */
  async diff(from: string, to: string): Promise<string> {
    return (await this.git(['diff', '--no-color', '--no-ext-diff', '--stat', '--patch', from, to])).stdout;
  }

  /**
   * Pushes every update in one `git push` (atomic when asked) and returns each ref's outcome. Rejections
   * are results, not errors; a push that fails before any ref is reported throws (with git's message,
   * redacted), and a server without atomic pushes throws {@link AtomicPushUnsupportedError}. `pushOptions`
   * go to the whole push (`-o`), so a caller gives them only with the updates they belong to.
   */
  async push(updates: readonly BranchUpdate[], options: { atomic: boolean; pushOptions?: readonly string[] }): Promise<Map<string, RefPushResult>> {
    const byRef = await this.pushRefs(updates.map((update) => ({ ref: `refs/heads/${update.branch}`, commit: update.commit })), options);
    return new Map(updates.map((update) => [update.branch, byRef.get(`refs/heads/${update.branch}`)!]));
  }

  /**
   * Moves the server's `ref` (a full ref name, such as a notes ref) to `commit` without forcing (a moved ref
   * is rejected, as `retry`) and returns the outcome as {@link push} gives a branch's; a push that fails
   * before reporting the ref throws.
   */
  async pushRef(update: { ref: string; commit: string }): Promise<RefPushResult> {
    return (await this.pushRefs([update], { atomic: false })).get(update.ref)!;
  }

  /** {@link push} for full ref names: each ref's outcome, by ref. */
  private async pushRefs(updates: ReadonlyArray<{ ref: string; commit: string }>, options: { atomic: boolean; pushOptions?: readonly string[] }): Promise<Map<string, RefPushResult>> {
    const refspecs = updates.map((update) => `${update.commit}:${update.ref}`);
    const pushOptions = (options.pushOptions ?? []).flatMap((option) => ['-o', option]);
    const args = ['push', '--porcelain', '--no-verify', ...(options.atomic ? ['--atomic'] : []), ...pushOptions, '--', this.access.url, ...refspecs];
    const result = await this.remote(args, 'push', { allowFailure: true });
    const byRef = parsePushPorcelain(result.stdout);
    if (result.exitCode !== 0 && options.atomic && isAtomicUnsupported(result.stderr)) {
      throw new AtomicPushUnsupportedError(`${this.displayUrl} does not accept atomic pushes.`);
    }
    if (result.exitCode !== 0 && byRef.size === 0) {
      if (isAuthenticationFailure(result.stderr)) {
        throw this.authenticationError('push', redact(result.stderr, this.access.secrets).trim().split('\n').pop() ?? '');
      }
      throw new CommandError({
        command: `git push ${this.displayUrl}`,
        exitCode: result.exitCode,
        stderr: redact(result.stderr, this.access.secrets),
        stdout: redact(result.stdout, this.access.secrets),
      });
    }
    const stderr = redact(result.stderr, this.access.secrets);
    const conflicts = refNameConflicts(stderr);
    const messages = remoteMessages(stderr);
    const outcomes = new Map<string, RefPushResult>();
    for (const { ref } of updates) {
      const conflict = conflicts.get(ref);
      if (conflict !== undefined) {
        // In an atomic push every ref reads "atomic transaction failed"; the server's error names the culprit.
        outcomes.set(ref, { ref, outcome: 'failed', summary: '[remote rejected] (cannot create the branch)', detail: conflict, nameConflict: true });
        continue;
      }
      const fallback = stderr.trim().split('\n').pop() || 'not reported by git';
      // Over smart HTTP, git reports only the ref it rejected itself (a branch that moved) and none of the
      // refs an atomic push then held back: those were never sent, and go again on the next attempt.
      const heldBack = options.atomic && [...byRef.values()].some((other) => other.outcome === 'retry' || other.outcome === 'failed');
      const outcome: RefPushResult = byRef.get(ref) ?? (heldBack ? { ref, outcome: 'retry', summary: '[rejected] (atomic push failed)' } : { ref, outcome: 'failed', summary: fallback });
      if (outcome.outcome === 'failed') {
        // A push of one ref owns everything the server said; in a larger one, only the lines naming the ref.
        const name = ref.replace(/^refs\/heads\//, '');
        const own = updates.length === 1 ? messages : messages.filter((line) => line.includes(ref) || line.includes(name));
        if (own.length > 0) outcome.detail = own.join('\n');
      }
      outcomes.set(ref, outcome);
    }
    return outcomes;
  }

  /**
   * Deletes this process's fetch refs (the objects stay for the next run) and, once the cache holds more than
   * {@link MAX_CACHE_PACKS} packs (each run that writes something adds a few), rolls them up with
   * `git repack --geometric=2 -d`, which keeps every object, referenced or not. A failed roll-up is left for the next run.
   */
  async dispose(): Promise<void> {
    const prefix = `refs/nx-gitops/${this.owner}/`;
    const { stdout } = await this.git(['for-each-ref', '--format=%(refname)', prefix], { allowFailure: true });
    const refs = stdout.split('\n').filter((ref) => ref.startsWith(prefix));
    if (refs.length > 0) {
      await withFileLock({ path: join(this.gitDir, FETCH_LOCK) }, () =>
        this.git(['update-ref', '--stdin'], { input: refs.map((ref) => `delete ${ref}\n`).join(''), allowFailure: true }),
      );
    }
    if (this.packCount() > MAX_CACHE_PACKS) {
      await withFileLock({ path: join(this.gitDir, FETCH_LOCK) }, async () => {
        if (this.packCount() > MAX_CACHE_PACKS) await this.git(['repack', '--geometric=2', '-d', '-q'], { allowFailure: true });
      });
    }
  }

  private packCount(): number {
    try {
      return readdirSync(join(this.gitDir, 'objects', 'pack')).filter((name) => name.endsWith('.pack')).length;
    } catch {
      return 0;
    }
  }
}
