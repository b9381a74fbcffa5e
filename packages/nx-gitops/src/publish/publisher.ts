import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describeError, GitopsError } from '../lib/errors';
import { runWithConcurrency } from '../lib/exec';
import { silentLogger, type GitopsLogger } from '../lib/log';
import { remoteAccess } from './auth';
import { withFileLock } from './file-lock';
import { AtomicPushUnsupportedError, DEFAULT_NETWORK_TIMEOUT_SECONDS, EMPTY_TREE, ManifestRepositoryCache, TransientNetworkError, type BranchUpdate, type GitIdentity } from './git-cache';
import { formatHydratorNote, HYDRATOR_NOTES_REF } from './hydrator';
import { decideStatus, notePath, planTrees, requestChanges, retryDelayMs, type PlannedTree, type PublishMode, type PublishStatus, type TreeListingEntry } from './plan';
import type { RefPushResult } from './push-output';
import type { CommitSigning, SignFormat } from './signing';

/**
 * A file to publish: a rendered file (where it goes in the branch and where it is on disk), or a file
 * nx-gitops generates (`hydrator.metadata`, `README.md`, `.gitattributes`) with its content. Generated
 * files never make a commit on their own: a tree that differs only in them is `unchanged`.
 */
export type PublishFile = { path: string; sourceFile: string } | { path: string; content: string; generated: true };

/** Everything needed to publish one project and environment; templates already expanded and validated. */
export interface PublishRequest {
  /** Identifies the request in results and logs (the Nx task id, say). */
  id: string;
  project: string;
  environment: string;
  branch: string;
  /** Branch a missing `branch` starts from; `null` starts it with a root commit. */
  baseBranch: string | null;
  mode: PublishMode;
  /** With `replace`: the branch directory the request owns and replaces (`''`, the default, is the whole branch). */
  replaceDir?: string;
  files: PublishFile[];
  /** The full commit message, trailers included. */
  message: string;
  author: GitIdentity;
  /** With promotion `next`: the active branch `branch` (its `-next` branch) starts from; equals `baseBranch`. */
  activeBranch?: string;
  /** The source commit to note in `refs/notes/hydrator.metadata` on the branch head when nothing changed. */
  note?: string;
  /**
   * A missing `branch` whose tree would equal `baseBranch`'s (or differ only in generated files) is
   * `unchanged` and not created (pull-request mode: no branch without a change to review).
   */
  comparedWithBase?: boolean;
  /** Push options the push of `branch` carries (GitLab's `merge_request.*`); the branch is pushed on its own. */
  pushOptions?: readonly string[];
  /**
   * GitOps Promoter's monorepo layout (`activePath`): the service's folder on a branch shared by the
   * environment's services. The requests of one branch that name a folder are written in one commit.
   */
  folder?: string;
  /** The full source commit (`null` outside a git repository), named in the subject of a commit that combines services. */
  sourceCommit?: string | null;
  /** Sign the request's commit (`sign`): `git commit-tree -S` with this key. */
  signing?: CommitSigning;
}

/** What publishing one request did. */
export interface PublishOutcome {
  id: string;
  project: string;
  environment: string;
  branch: string;
  paths: string[];
  status: PublishStatus;
  /** The commit the branch holds for this request (when `unchanged`, the commit that already held it); `null` in a dry run or on failure. */
  commit: string | null;
  /** The branch tip before this request, `null` for a new branch. */
  previousCommit: string | null;
  /** Push attempts made (1 when the first push went through). */
  attempts: number;
  dryRun: boolean;
  /** In a dry run: the patch that publishing would apply. */
  diff?: string;
  /** The drySha noted on the unchanged head in `refs/notes/hydrator.metadata` (in a dry run: that would be). */
  noted?: string;
  /** Why it failed, redacted. */
  error?: string;
  /** The format the commit made for this request was signed with (`sign`); absent when no commit was made or signed. */
  signed?: SignFormat;
}

/** How to publish a set of requests to one manifest repository. */
export interface PublishToRepositoryOptions {
  /** The manifest repository: any URL git accepts, or a local path. */
  repository: string;
  requests: readonly PublishRequest[];
  /** Folder holding the bare cache repositories (see `defaultCacheRoot`). */
  cacheRoot: string;
  /** Environment read for the token; defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Build commits and print the diff, push nothing. */
  dryRun?: boolean;
  /** Push attempts per branch before giving up on rejections (default 5). */
  maxAttempts?: number;
  /** The logger of one request. */
  loggerFor?: (request: PublishRequest) => GitopsLogger;
  /** Waits between attempts; tests may shorten it. */
  sleep?: (ms: number) => Promise<void>;
  /** Send `NX_GITOPS_TOKEN` or URL credentials over plain http to a host that is not loopback. */
  allowInsecureTransport?: boolean;
  /** The longest one git network command may take, in seconds (default {@link DEFAULT_NETWORK_TIMEOUT_SECONDS}). */
  networkTimeoutSeconds?: number;
  /** Folder of the machine-wide lock files (default {@link machineLockDir}); tests give each simulated machine its own. */
  lockDir?: string;
  /**
   * Aborted on SIGINT or SIGTERM (its reason names the signal): no attempt, push or note starts after it,
   * the push in flight ends as git ends it (a push is atomic, so the server takes all of it or none), and
   * every request whose branch the server does not hold afterwards fails as interrupted.
   */
  signal?: AbortSignal;
}

interface BuiltRequest {
  status: Exclude<PublishStatus, 'failed'>;
  commit: string | null;
  previousCommit: string | null;
  diff?: string;
  /** Why this request alone failed (a request of a combined commit whose own files are wrong); the others went on. */
  error?: string;
}

/** The requests of a branch that make one commit: a single request, or every request of the branch that names a folder. */
interface BuildStep {
  requests: PublishRequest[];
  combined: boolean;
}

interface BranchJob {
  branch: string;
  /** In the order of `steps`. */
  requests: PublishRequest[];
  steps: BuildStep[];
  attempts: number;
  done: boolean;
  error?: string;
  /** The drySha noted on the unchanged head, once the note is pushed. */
  noted?: string;
  /** The commits built on `remoteTip`; reused as long as the server's tip has not moved. */
  built?: { remoteTip: string | null; head: string | null; requests: BuiltRequest[] };
}

const BUILD_CONCURRENCY = 8;

function groupByBranch(requests: readonly PublishRequest[]): BranchJob[] {
  const jobs = new Map<string, BranchJob>();
  for (const request of requests) {
    const job = jobs.get(request.branch) ?? { branch: request.branch, requests: [], steps: [], attempts: 0, done: false };
    job.requests.push(request);
    jobs.set(request.branch, job);
  }
  for (const job of jobs.values()) {
    // One commit per request, except for the services of a shared environment branch, which go in one.
    const inFolders = job.requests.filter((request) => request.folder !== undefined);
    job.steps = job.requests.filter((request) => request.folder === undefined).map((request) => ({ requests: [request], combined: false }));
    if (inFolders.length > 0) job.steps.push({ requests: inFolders, combined: true });
    job.requests = job.steps.flatMap((step) => step.requests);
  }
  return [...jobs.values()];
}

/**
 * The message of a commit that writes several services of one branch: the subject they share (an Argo CD
 * style message names the source commit only), else `<branch>: render <short sha> (<n> services)`; then
 * one line per service (its own subject when they differ), then the rest of the first message (source
 * body and trailers), with `Source-Dirty: true` when any of them carries it.
 */
export function combinedCommitMessage(options: { branch: string; requests: ReadonlyArray<Pick<PublishRequest, 'project' | 'message' | 'sourceCommit'>> }): string {
  const { requests } = options;
  if (requests.length === 1) return requests[0].message;
  const subjectOf = (message: string) => message.split('\n', 1)[0];
  const subjects = requests.map((request) => subjectOf(request.message));
  const shared = subjects.every((subject) => subject === subjects[0]);
  const source = requests.find((request) => request.sourceCommit)?.sourceCommit;
  const subject = shared ? subjects[0] : `${options.branch}: render ${source ? source.slice(0, 7) : 'unknown'} (${requests.length} services)`;
  const listing = requests.map((request, index) => (shared ? `- ${request.project}` : `- ${subjects[index]}`)).join('\n');
  let rest = requests[0].message.slice(subjects[0].length).replace(/^\n+/, '').replace(/\n+$/, '');
  const dirty = requests.some((request) => /^Source-Dirty: true$/m.test(request.message));
  if (dirty && !/^Source-Dirty: true$/m.test(rest)) rest = rest ? `${rest}\nSource-Dirty: true` : 'Source-Dirty: true';
  return [subject, listing, ...(rest ? [rest] : [])].join('\n\n') + '\n';
}

/**
 * The folder of the machine-wide lock files: one per OS user (named by the uid, created `0700`), so a
 * second user of a CI runner neither gets EACCES on the first user's folder nor can touch its locks.
 * A folder of that name that another user owns is refused.
 */
export function machineLockDir(parent: string = tmpdir()): string {
  const user = typeof process.getuid === 'function' ? String(process.getuid()) : userInfo().username.replace(/[^\w.-]/g, '_');
  const dir = join(parent, `nx-gitops-locks-${user}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stats = statSync(dir);
  if (typeof process.getuid === 'function' && stats.uid !== process.getuid()) {
    throw new GitopsError(`The lock folder ${dir} belongs to another user.`, { hint: 'Remove it, or point TMPDIR at a folder of your own.' });
  }
  if ((stats.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

/**
 * The lock file publishers on this machine share for `repository` (named by a hash of the URL without
 * credentials, so no credential reaches the file system and rotating a token keeps the lock), in `dir`
 * (default {@link machineLockDir}).
 */
export function machineLockPath(repository: string, dir: string = machineLockDir()): string {
  const key = remoteAccess({ repository, env: {} }).url;
  return join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.lock`);
}

/** Git lock files in the cache older than this, found while we hold the machine lock, were left by a killed git. */
const STALE_GIT_LOCK_MS = 10_000;

/**
 * Publishes every request to one manifest repository with one cache: each attempt lists the target
 * branches once, fetches the tips it lacks in one shallow fetch, builds every commit (requests sharing
 * a branch are chained), and pushes all moved branches in one `git push --atomic` (per-ref when the
 * server refuses atomic pushes). Only the rejected branches are retried, rebuilt on their new tips, up to
 * `maxAttempts` with jittered backoff. Each attempt holds a per-repository lock shared by the publishers of
 * this machine, so local publishers (parallel Nx processes, CI jobs on one runner) take turns instead of
 * rejecting each other. A failing request does not stop the others: it is reported as
 * `failed` with the reason, and the caller decides what the run returns.
 */
export async function publishToRepository(options: PublishToRepositoryOptions): Promise<PublishOutcome[]> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const dryRun = options.dryRun ?? false;
  const loggerFor = options.loggerFor ?? (() => silentLogger);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const jobs = groupByBranch(options.requests);
  const warnAll = (message: string) => {
    for (const job of jobs) loggerFor(job.requests[0]).warn(message);
  };
  let cache: ManifestRepositoryCache | undefined;
  try {
    cache = await ManifestRepositoryCache.open({
      repository: options.repository,
      cacheRoot: options.cacheRoot,
      env: options.env ?? process.env,
      allowInsecureTransport: options.allowInsecureTransport,
      onWarning: warnAll,
      networkTimeoutSeconds: options.networkTimeoutSeconds,
    });
    const repo = cache;
    for (const job of jobs) logCredentials({ log: loggerFor(job.requests[0]), cache: repo });
    // The files are hashed into the cache while the first attempt waits for its turn and lists the branches.
    const hashing = hashRequestFiles({ cache: repo, requests: options.requests });
    hashing.catch(() => undefined);
    const pushMode = { atomic: true };
    let pending = jobs;
    const turnLock = machineLockPath(options.repository, options.lockDir ?? machineLockDir());
    const interrupted = () => options.signal?.aborted === true;
    for (let attempt = 1; pending.length > 0 && attempt <= maxAttempts && !interrupted(); attempt++) {
      for (const job of pending) job.attempts = attempt;
      // Publishers on this machine take turns per repository, so they never reject each other's pushes;
      // publishers elsewhere are handled by rebuilding on the new tip and retrying.
      // An attempt makes three network calls, each bounded by the deadline: wait at least that long for a turn.
      const turnTimeoutMs = Math.max(120_000, (3 * (options.networkTimeoutSeconds ?? DEFAULT_NETWORK_TIMEOUT_SECONDS) + 60) * 1000);
      const turn = withFileLock({ path: turnLock, timeoutMs: turnTimeoutMs }, async (): Promise<boolean> => {
        const removed = repo.removeStaleGitLocks({ olderThanMs: STALE_GIT_LOCK_MS });
        if (removed.length > 0) {
          warnAll(`Removed ${removed.join(', ')} from the cache repository ${repo.gitDir}: left by a git process that no longer runs (killed or cancelled).`);
        }
        const bases = pending.map((job) => job.requests[0].baseBranch).filter((base): base is string => base !== null);
        const [tips, blobs] = await Promise.all([repo.remoteTips([...pending.map((job) => job.branch), ...bases]), hashing]);
        // A push that timed out or failed may still have landed: the branch then holds our commit.
        for (const job of pending) {
          if (job.built && job.built.head !== null && job.built.head !== job.built.remoteTip && tips.get(job.branch) === job.built.head) job.done = true;
        }
        pending = pending.filter((job) => !job.done);
        if (pending.length === 0) return true;
        const stale = pending.filter((job) => !job.built || job.built.remoteTip !== (tips.get(job.branch) ?? null));
        const wanted = new Map<string, string>();
        for (const job of stale) {
          const base = job.requests[0].baseBranch;
          const name = tips.has(job.branch) ? job.branch : base;
          const tip = name ? tips.get(name) : undefined;
          if (name && tip) wanted.set(name, tip);
        }
        for (const job of stale) loggerFor(job.requests[0]).verbose(`Building ${job.branch} on ${tips.get(job.branch) ?? 'a new branch'}.`);
        const held = await repo.fetchTips(wanted);
        await buildBranches({ cache: repo, jobs: stale, held, blobs, dryRun });
        pending = pending.filter((job) => !job.done);
        if (dryRun) {
          for (const job of pending) job.done = true;
          return true;
        }
        const toPush = pending.filter((job) => job.built && job.built.head !== job.built.remoteTip);
        for (const job of pending) if (!toPush.includes(job)) job.done = true;
        if (toPush.length === 0 || interrupted()) return true;
        pending = await pushJobs({ cache: repo, jobs: toPush, pushMode, attempt, maxAttempts, loggerFor });
        return false;
      });
      let stop: boolean;
      try {
        stop = await turn;
      } catch (error) {
        // The signal may have ended the push in flight (Ctrl-C reaches git too): settled below.
        if (interrupted()) break;
        if (!(error instanceof TransientNetworkError) || attempt === maxAttempts) throw error;
        for (const job of pending) loggerFor(job.requests[0]).warn(`Attempt ${attempt} of ${maxAttempts} failed; trying again. ${error.message}`);
        stop = false;
      }
      if (stop) break;
      if (pending.length > 0 && !interrupted()) await sleep(retryDelayMs({ attempt }));
    }
    if (interrupted()) await settleInterrupted({ cache: repo, jobs, reason: String(options.signal?.reason ?? 'a signal') });
    else await publishNotes({
      cache: repo,
      jobs,
      dryRun,
      maxAttempts,
      sleep,
      turnLock,
      networkTimeoutSeconds: options.networkTimeoutSeconds ?? DEFAULT_NETWORK_TIMEOUT_SECONDS,
      loggerFor,
    });
  } catch (error) {
    for (const job of jobs) if (!job.done) failJob(job, error);
  } finally {
    await cache?.dispose().catch(() => undefined);
  }
  return jobs.flatMap((job) => job.requests.map((request, index) => outcomeOf({ job, request, index, dryRun, log: loggerFor(request) })));
}

/**
 * After an interruption: the jobs not settled yet are published when the server's branch holds the head
 * they built (their push got through whole), and fail as interrupted otherwise, their branch as it was.
 */
async function settleInterrupted(options: { cache: ManifestRepositoryCache; jobs: readonly BranchJob[]; reason: string }): Promise<void> {
  const open = options.jobs.filter((job) => !job.done);
  if (open.length === 0) return;
  const hint = 'Run the publish again: it publishes what is missing, and nothing twice.';
  let tips: Map<string, string>;
  try {
    tips = await options.cache.remoteTips(open.map((job) => job.branch));
  } catch (error) {
    for (const job of open) {
      failJob(job, new GitopsError(`Interrupted by ${options.reason} while publishing branch "${job.branch}"; whether its push landed is unknown: ${describeError(error)}`, { hint }));
    }
    return;
  }
  for (const job of open) {
    if (job.built && job.built.head !== null && tips.get(job.branch) === job.built.head) job.done = true;
    else failJob(job, new GitopsError(`Interrupted by ${options.reason} before branch "${job.branch}" was published; it is as it was.`, { hint }));
  }
}

/** The key of a file's blob in the map {@link hashRequestFiles} returns. */
function blobKey(file: PublishFile): string {
  return 'sourceFile' in file ? `file\0${file.sourceFile}` : `content\0${file.content}`;
}

/**
 * Writes every file of the requests as a blob (each distinct file or content once) in one batch: one
 * `cat-file --batch-check` and at most one `index-pack` for the rendered files and the generated ones.
 */
async function hashRequestFiles(options: { cache: ManifestRepositoryCache; requests: readonly PublishRequest[] }): Promise<Map<string, string>> {
  const distinct = new Map<string, PublishFile>();
  for (const file of options.requests.flatMap((request) => request.files)) if (!distinct.has(blobKey(file))) distinct.set(blobKey(file), file);
  const ids = await options.cache.hashBlobs([...distinct.values()]);
  return new Map([...distinct.keys()].map((key, index): [string, string] => [key, ids[index]]));
}

/** The commit a job left its branch at when none of its requests changed it, else `null`. */
function unchangedHead(job: BranchJob): string | null {
  if (job.error !== undefined || !job.built || job.built.head === null) return null;
  return job.built.requests.every((built) => built.status === 'unchanged' && built.error === undefined) ? job.built.head : null;
}

/**
 * Notes, for every branch that a request asked to note and that nothing changed, the source commit on the
 * branch head in `refs/notes/hydrator.metadata` (`{"drySha": "<sha>"}`, as Argo CD's hydrator does), so
 * GitOps Promoter sees the environment hydrated for that commit. All notes go in one commit on the notes
 * ref, pushed without force; when the notes ref moved meanwhile, they are rebuilt on its new tip and
 * pushed again, up to `maxAttempts`. A failure fails the noted requests (their branches are as they were).
 */
async function publishNotes(options: {
  cache: ManifestRepositoryCache;
  jobs: readonly BranchJob[];
  dryRun: boolean;
  maxAttempts: number;
  sleep: (ms: number) => Promise<void>;
  turnLock: string;
  networkTimeoutSeconds: number;
  loggerFor: (request: PublishRequest) => GitopsLogger;
}): Promise<void> {
  const { cache, maxAttempts, loggerFor } = options;
  const notes: Array<{ job: BranchJob; object: string; drySha: string }> = [];
  for (const job of options.jobs) {
    const head = unchangedHead(job);
    const drySha = job.requests.map((request) => request.note).filter((sha): sha is string => Boolean(sha)).pop();
    if (head && drySha) notes.push({ job, object: head, drySha });
  }
  if (notes.length === 0) return;
  if (options.dryRun) {
    for (const note of notes) {
      note.job.noted = note.drySha;
      loggerFor(note.job.requests[0]).info(`Dry run: would note ${note.drySha.slice(0, 12)} on ${note.job.branch} in ${HYDRATOR_NOTES_REF}.`);
    }
    return;
  }
  try {
    const blobs = await cache.hashContents(notes.map((note) => formatHydratorNote(note.drySha)));
    const author = notes[0].job.requests[0].author;
    const turnTimeoutMs = Math.max(120_000, (3 * options.networkTimeoutSeconds + 60) * 1000);
    for (let attempt = 1; ; attempt++) {
      const outcome = await withFileLock({ path: options.turnLock, timeoutMs: turnTimeoutMs }, async () => {
        const remoteTip = await cache.remoteRefTip(HYDRATOR_NOTES_REF);
        const tip = remoteTip ? await cache.fetchRef(HYDRATOR_NOTES_REF, remoteTip) : null;
        const tipTree = tip ? (await cache.treesOf([tip])).get(tip)! : null;
        const current = tipTree ? (await cache.listTrees([tipTree])).get(tipTree)! : [];
        const files = notes.map((note, index) => ({ path: notePath({ current, object: note.object }), blob: blobs[index] }));
        const [root] = await cache.writeTreePlans([planTrees({ current, files, mode: 'merge' })]);
        if (root === tipTree) return 'done' as const;
        const [commit] = await cache.commitTrees([{ tree: root, parent: tip, message: 'Notes added by nx-gitops\n', author, signing: notes[0].job.requests[0].signing }]);
        const result = await cache.pushRef({ ref: HYDRATOR_NOTES_REF, commit });
        if (result.outcome === 'pushed' || result.outcome === 'up-to-date') return 'done' as const;
        if (result.outcome === 'failed') throw new GitopsError(`The push of ${HYDRATOR_NOTES_REF} was refused: ${result.summary}${result.detail ? `\nThe server said: ${result.detail}` : ''}`, {
          hint: `Allow the publishing credentials to push ${HYDRATOR_NOTES_REF}, or set the "promotion" option to "none".`,
        });
        return 'retry' as const;
      });
      if (outcome === 'done') break;
      if (attempt >= maxAttempts) {
        throw new GitopsError(`The push of ${HYDRATOR_NOTES_REF} was still rejected after ${attempt} attempts.`, {
          hint: 'Raise the "maxAttempts" option, or find what else keeps pushing to the notes ref.',
        });
      }
      for (const note of notes) loggerFor(note.job.requests[0]).verbose(`${HYDRATOR_NOTES_REF} moved; noting again on its new tip.`);
      await options.sleep(retryDelayMs({ attempt }));
    }
    for (const note of notes) {
      note.job.noted = note.drySha;
      loggerFor(note.job.requests[0]).verbose(`Noted ${note.drySha.slice(0, 12)} on ${note.job.branch} (${note.object.slice(0, 12)}) in ${HYDRATOR_NOTES_REF}.`);
    }
  } catch (error) {
    for (const note of notes) failJob(note.job, error);
  }
}

/** Says (with `--verbose`) which credentials go to which host, never their value; warns when a set token is withheld for plain http. */
function logCredentials(options: { log: GitopsLogger; cache: ManifestRepositoryCache }): void {
  const { credentials, withheld, withheldForTransport } = options.cache.credentials;
  if (credentials) options.log.verbose(`Sending the credentials from ${credentials.source} to ${credentials.host} only.`);
  else options.log.verbose(`Sending no credentials to ${options.cache.displayUrl}.`);
  if (withheld) (withheldForTransport ? options.log.warn : options.log.verbose)(`${withheld}.`);
}

/**
 * Pushes the built head of every job in one push (atomic while the server allows it; `atomic` is
 * switched off for the rest of the run when it does not) and settles each job from its ref's outcome.
 * Returns the jobs to try again: those rejected because the branch moved, while attempts remain.
 */
async function pushJobs(options: {
  cache: ManifestRepositoryCache;
  jobs: readonly BranchJob[];
  /** Shared by the attempts of a run: whether pushes may still be atomic. */
  pushMode: { atomic: boolean };
  attempt: number;
  maxAttempts: number;
  loggerFor: (request: PublishRequest) => GitopsLogger;
}): Promise<BranchJob[]> {
  const { cache, jobs, attempt, maxAttempts, loggerFor } = options;
  const updates: BranchUpdate[] = jobs.map((job) => ({ branch: job.branch, commit: job.built!.head!, pushOptions: job.requests[0].pushOptions }));
  const push = async (list: readonly BranchUpdate[]): Promise<Map<string, RefPushResult>> => {
    // Only a list of one carries push options: they apply to every ref of a push.
    const pushOptions = list.length === 1 ? list[0].pushOptions : undefined;
    try {
      return await cache.push(list, { atomic: options.pushMode.atomic && list.length > 1, pushOptions });
    } catch (error) {
      if (!(error instanceof AtomicPushUnsupportedError)) throw error;
      options.pushMode.atomic = false;
      for (const job of jobs) loggerFor(job.requests[0]).verbose('The manifest repository refuses atomic pushes; pushing each branch on its own.');
      return cache.push(list, { atomic: false, pushOptions });
    }
  };
  const plain = updates.filter((update) => !update.pushOptions?.length);
  const results = plain.length > 0 ? await pushIsolatingRefusals({ push, updates: plain }) : new Map<string, RefPushResult>();
  for (const update of updates) {
    if (update.pushOptions?.length) for (const [branch, result] of await push([update])) results.set(branch, result);
  }
  const retry: BranchJob[] = [];
  for (const job of jobs) {
    const result = results.get(job.branch)!;
    if (result.outcome === 'pushed' || result.outcome === 'up-to-date') {
      job.done = true;
    } else if (result.outcome === 'failed') {
      const said = result.detail ? `\nThe server said: ${result.detail}` : '';
      failJob(
        job,
        new GitopsError(`The push to branch "${job.branch}" was refused: ${result.summary}${said}`, {
          hint: result.nameConflict
            ? 'A branch of the manifest repository blocks this name (git cannot hold both "a" and "a/b"): choose another name with the "branch" option, or rename or delete the conflicting branch.'
            : 'The manifest repository refused this branch itself (a hook, a protection rule or permissions); the other branches were published.',
        }),
      );
    } else if (attempt === maxAttempts) {
      failJob(
        job,
        new GitopsError(`The push to branch "${job.branch}" was still rejected after ${attempt} attempts: ${result.summary}`, {
          hint: 'Raise the "maxAttempts" option, or find what else keeps pushing to this branch.',
        }),
      );
    } else {
      loggerFor(job.requests[0]).verbose(`Push to ${job.branch} rejected (${result.summary}); rebuilding on the new tip.`);
      retry.push(job);
    }
  }
  return retry;
}

/**
 * Pushes `updates`, and when the server refuses every ref of a push of several (a pre-receive hook sees
 * all refs at once and can only accept or refuse them together), pushes each half again until the
 * refused refs stand alone, so one branch the server will not take does not keep the others out.
 * Costs one push when nothing is refused, and about two per refused ref per halving otherwise.
 */
export async function pushIsolatingRefusals(options: {
  push: (updates: readonly BranchUpdate[]) => Promise<Map<string, RefPushResult>>;
  updates: readonly BranchUpdate[];
}): Promise<Map<string, RefPushResult>> {
  const { push, updates } = options;
  const results = await push(updates);
  const refusedAsOne = updates.length > 1 && [...results.values()].every((result) => result.outcome === 'failed' && !result.nameConflict);
  if (!refusedAsOne) return results;
  const half = Math.ceil(updates.length / 2);
  const first = await pushIsolatingRefusals({ push, updates: updates.slice(0, half) });
  const second = await pushIsolatingRefusals({ push, updates: updates.slice(half) });
  return new Map([...first, ...second]);
}

function failJob(job: BranchJob, error: unknown): void {
  job.done = true;
  job.error = describeError(error);
}

/** A branch being built: where its chain of commits stands. */
interface BuildState {
  job: BranchJob;
  remoteTip: string | null;
  head: string | null;
  headTree: string | null;
  branchExists: boolean;
  built: BuiltRequest[];
}

/**
 * Builds the commits of every job on the tips in `held`. Git work is batched across branches: one
 * process finds every tip's tree, and for each round of steps (a branch shared by several requests takes
 * one round per request, except that the services of a shared environment branch — requests naming a
 * folder — make one step and one commit) one process lists the current trees, one pack stores the new ones
 * (a `cat-file --batch-check` and an `index-pack`) and one the commits; only a signed commit's `commit-tree`
 * (and, in a dry run, `diff`) runs per step.
 * A job whose own inputs are wrong fails alone; a git failure fails the whole build.
 */
async function buildBranches(options: {
  cache: ManifestRepositoryCache;
  jobs: readonly BranchJob[];
  held: ReadonlyMap<string, string>;
  /** Blob ids by {@link blobKey}. */
  blobs: ReadonlyMap<string, string>;
  dryRun: boolean;
}): Promise<void> {
  const { cache, held, blobs, dryRun } = options;
  const states: BuildState[] = [];
  for (const job of options.jobs) {
    const remoteTip = held.get(job.branch) ?? null;
    const baseBranch = job.requests[0].baseBranch;
    const head = remoteTip ?? (baseBranch ? (held.get(baseBranch) ?? null) : null);
    if (!head && baseBranch) {
      failJob(
        job,
        job.requests[0].activeBranch
          ? new GitopsError(`The active branch "${baseBranch}" does not exist in the manifest repository; "${job.branch}" is created from it, never as an orphan.`, {
              hint: `Publish once with the "promotion" option set to "none" to create "${baseBranch}", then publish with "next".`,
            })
          : job.requests[0].comparedWithBase
            ? new GitopsError(`The branch "${baseBranch}" does not exist in the manifest repository: a pull request needs it to merge into.`, {
                hint: `Publish once with the "pullRequest" option set to false to create "${baseBranch}", or create it by hand.`,
              })
            : new GitopsError(`The base branch "${baseBranch}" does not exist in the manifest repository.`, {
                hint: 'Create it, or change or remove the "baseBranch" option.',
              }),
      );
      continue;
    }
    states.push({ job, remoteTip, head, headTree: null, branchExists: remoteTip !== null, built: [] });
  }
  const trees = await cache.treesOf(states.flatMap((state) => (state.head ? [state.head] : [])));
  for (const state of states) state.headTree = state.head ? trees.get(state.head)! : null;

  for (let round = 0; ; round++) {
    const active = states.filter((state) => !state.job.done && round < state.job.steps.length);
    if (active.length === 0) break;
    const stepOf = (state: BuildState) => state.job.steps[round];
    // A combined step always reads the branch: which services changed decides what it writes.
    const keepsFiles = (step: BuildStep) => step.combined || step.requests[0].mode === 'merge' || (step.requests[0].replaceDir ?? '') !== '';
    // The trees read this round, in one process: those a step keeps files of, and those whose generated
    // files decide whether anything else changed.
    const toList = active.filter((state) => state.headTree && (keepsFiles(stepOf(state)) || stepOf(state).requests[0].files.some(isGenerated)));
    const listings = await cache.listTrees(toList.map((state) => state.headTree!));
    const planned: Array<{ state: BuildState; input: RoundInput; verdicts: Map<PublishRequest, Verdict> | null; plan: PlannedTree[]; generatedOnly: PlannedTree[] | null }> = [];
    for (const state of active) {
      const step = stepOf(state);
      try {
        const listing = state.headTree ? (listings.get(state.headTree) ?? []) : [];
        const { input, verdicts } = step.combined
          ? combineStep({ step, branch: state.job.branch, listing, blobs, branchExists: state.branchExists })
          : { input: singleInput(step.requests[0]), verdicts: null };
        const current = keepsFiles(step) ? listing : [];
        const files = input.files.map((file) => ({ path: file.path, blob: blobs.get(blobKey(file))! }));
        const generated = files.filter((_, index) => isGenerated(input.files[index]));
        // The branch as it is with only the generated files written: when the new tree equals it, only
        // generated files (the source commit they name) differ, and nothing is committed.
        const generatedOnly = generated.length > 0 && state.headTree ? planTrees({ current: listing, files: generated, mode: 'merge' }) : null;
        planned.push({ state, input, verdicts, plan: planTrees({ current, files, mode: input.mode, replaceDirs: input.replaceDirs }), generatedOnly });
      } catch (error) {
        failJob(state.job, error);
      }
    }
    // Every new tree of this round and every tree with only the generated files written, in one pack.
    const withGenerated = planned.filter(({ generatedOnly }) => generatedOnly !== null);
    const written = await cache.writeTreePlans([...planned.map(({ plan }) => plan), ...withGenerated.map(({ generatedOnly }) => generatedOnly!)]);
    const roots = written.slice(0, planned.length);
    const generatedRootOf = new Map(withGenerated.map(({ state }, index) => [state, written[planned.length + index]]));
    const decided = await runWithConcurrency(
      BUILD_CONCURRENCY,
      planned.map(({ state, input, verdicts }, index) => async () => {
        const newTree = roots[index];
        const onlyGenerated = generatedRootOf.get(state) === newTree;
        const sameAsBase = !state.branchExists && state.headTree !== null && input.comparedWithBase === true && (onlyGenerated || newTree === state.headTree);
        const status =
          (onlyGenerated && state.branchExists) || sameAsBase ? 'unchanged' : decideStatus({ branchExists: state.branchExists, currentTree: state.headTree, newTree });
        const diff = dryRun && status !== 'unchanged' ? await cache.diff(state.headTree ?? EMPTY_TREE, newTree) : undefined;
        return { state, input, verdicts, newTree, status, diff, previousCommit: state.branchExists ? state.head : null };
      }),
    );
    // Every branch's commit of this round in one process.
    const toCommit = dryRun ? [] : decided.filter(({ status }) => status !== 'unchanged');
    const commits = await cache.commitTrees(
      toCommit.map(({ state, input, newTree }) => ({
        tree: newTree,
        parent: state.head,
        message: input.message,
        author: input.author,
        signing: input.signing,
      })),
    );
    toCommit.forEach(({ state }, index) => (state.head = commits[index]));
    for (const { state, input, verdicts, newTree, status, diff, previousCommit } of decided) {
      for (const request of stepOf(state).requests) {
        const verdict = verdicts?.get(request);
        if (verdict !== undefined && verdict !== 'changed' && verdict !== 'unchanged') {
          state.built.push({ status: 'unchanged', commit: null, previousCommit, error: verdict.error });
        } else if (verdict === 'unchanged' && status !== 'unchanged') {
          // Its folder is as it was: the branch moved for the other services of the commit.
          state.built.push({ status: 'unchanged', commit: dryRun ? null : previousCommit, previousCommit });
        } else {
          state.built.push({ status, commit: dryRun ? null : state.head, previousCommit, diff });
        }
      }
      if (status !== 'unchanged') state.headTree = newTree;
      // A branch compared with its base and left unchanged is still missing.
      if (status !== 'unchanged' || state.branchExists || !input.comparedWithBase) state.branchExists = true;
    }
  }
  for (const state of states) {
    // Nothing to create: the branch stays missing, and there is nothing to push.
    const head = state.remoteTip === null && !state.branchExists ? null : state.head;
    if (!state.job.done) state.job.built = { remoteTip: state.remoteTip, head, requests: state.built };
  }
}

/** What one round writes to a branch: the files, how they combine with it, and the commit's message and author. */
type RoundInput = Pick<PublishRequest, 'files' | 'mode' | 'message' | 'author' | 'comparedWithBase' | 'signing'> & {
  /** With `replace`: the directories replaced (`''` for the whole branch). */
  replaceDirs: string[];
};

/** How a service of a combined commit fared against the branch: its files change it, they do not, or they are wrong. */
type Verdict = 'changed' | 'unchanged' | { error: string };

function singleInput(request: PublishRequest): RoundInput {
  return { ...request, replaceDirs: [request.replaceDir ?? ''] };
}

/**
 * The one commit of the services of a shared environment branch (GitOps Promoter's monorepo layout): the
 * files of the services whose manifests change the branch (of every service when none does, so that
 * nothing but generated files differ and no commit is made), with a message listing them. A service whose
 * own files are wrong (two files on one path, a path another service writes differently) is left out and
 * fails alone; the others go on.
 */
function combineStep(options: {
  step: BuildStep;
  branch: string;
  listing: readonly TreeListingEntry[];
  blobs: ReadonlyMap<string, string>;
  branchExists: boolean;
}): { input: RoundInput; verdicts: Map<PublishRequest, Verdict> } {
  const { step, listing, blobs } = options;
  const verdicts = new Map<PublishRequest, Verdict>();
  const written = new Map<string, string>();
  const valid: PublishRequest[] = [];
  for (const request of step.requests) {
    const files = request.files.map((file) => ({ path: file.path, blob: blobs.get(blobKey(file))!, generated: isGenerated(file) }));
    const paths = new Set<string>();
    const twice = files.find((file) => paths.has(file.path) || !paths.add(file.path));
    const clash = files.find((file) => written.has(file.path) && written.get(file.path) !== file.blob);
    if (twice || clash) {
      const problem = twice
        ? new GitopsError(`Two files of ${request.project}/${request.environment} would be written to "${twice.path}" in branch "${request.branch}".`, {
            hint: 'Choose a "path" that is not README.md or hydrator.metadata of the service\'s folder.',
          })
        : new GitopsError(`${request.project}/${request.environment} would write "${clash!.path}" in branch "${request.branch}", which another service of the same commit writes differently.`, {
            hint: 'Give every service its own folder with the "activePath" option (e.g. "{project}").',
          });
      verdicts.set(request, { error: describeError(problem) });
      continue;
    }
    for (const file of files) written.set(file.path, file.blob);
    valid.push(request);
    const changed = !options.branchExists || requestChanges({ current: listing, files, mode: request.mode, replaceDir: request.replaceDir });
    verdicts.set(request, changed ? 'changed' : 'unchanged');
  }
  const changing = valid.filter((request) => verdicts.get(request) === 'changed');
  const carried = changing.length > 0 ? changing : valid;
  const files = new Map<string, PublishFile>();
  for (const file of carried.flatMap((request) => request.files)) if (!files.has(file.path)) files.set(file.path, file);
  const replacing = carried.filter((request) => request.mode === 'replace');
  const first = carried[0] ?? step.requests[0];
  return {
    input: {
      files: [...files.values()],
      mode: replacing.length > 0 ? 'replace' : 'merge',
      replaceDirs: replacing.map((request) => request.replaceDir ?? ''),
      message: carried.length > 0 ? combinedCommitMessage({ branch: options.branch, requests: carried }) : first.message,
      author: first.author,
      signing: first.signing,
    },
    verdicts,
  };
}

function isGenerated(file: PublishFile): boolean {
  return 'generated' in file && file.generated;
}

function outcomeOf(options: { job: BranchJob; request: PublishRequest; index: number; dryRun: boolean; log: GitopsLogger }): PublishOutcome {
  const { job, request, index, dryRun, log } = options;
  const base = {
    id: request.id,
    project: request.project,
    environment: request.environment,
    branch: request.branch,
    paths: request.files.map((file) => file.path),
    attempts: job.attempts,
    dryRun,
  };
  const built = job.built?.requests[index];
  if (job.error !== undefined || !built || built.error !== undefined) {
    const error = job.error ?? built?.error ?? 'The branch was not published.';
    log.error(`Failed to publish to ${request.branch}: ${error}`);
    return { ...base, status: 'failed', commit: null, previousCommit: built?.previousCommit ?? null, error };
  }
  if (dryRun) {
    log.info(`Dry run: ${request.branch} would be ${built.status}${built.status === 'unchanged' ? '' : '; nothing was pushed'}.`);
    if (built.diff) log.info(built.diff);
  } else {
    const where = built.commit ? ` at ${built.commit.slice(0, 12)}` : '';
    const tries = job.attempts > 1 ? ` after ${job.attempts} attempts` : '';
    log.info(`${request.branch}: ${built.status}${where}${tries}.`);
  }
  const signed = request.signing && built.commit && built.status !== 'unchanged' ? { signed: request.signing.format } : {};
  return { ...base, status: built.status, commit: built.commit, previousCommit: built.previousCommit, diff: built.diff, ...(job.noted ? { noted: job.noted } : {}), ...signed };
}
