import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { diffManifestObjects, hasChanges } from '../../diff/object-diff';
import { formatRunMarkdown, formatTargetMarkdown, runDiffReport, type RunDiffReport, type TargetDiffReport } from '../../diff/report';
import { describeError, GitopsError } from '../../lib/errors';
import { runCommand } from '../../lib/exec';
import { silentLogger, type GitopsLogger } from '../../lib/log';
import { redact, secretsFromEnv } from '../../lib/redact';
import { parseManifests, type ManifestDocument } from '../../manifests/yaml';
import { withoutCredentials } from '../../publish/commit-message';
import { defaultCacheRoot, ManifestRepositoryCache } from '../../publish/git-cache';
import { MANIFEST_REPOSITORY_ENV, PUBLISH_DEFAULTS } from '../../publish/options';
import { readRenderedOutput, resolveRepositoryLocation, type RenderedOutput } from '../../publish/request';
import { resolveManifestPath } from '../../publish/hydrator';
import { resolveBranchName } from '../../publish/templates';
import type { DiffManifestExecutorSchema } from './schema';

/** One project and environment to compare, as an Nx task names it. */
export interface DiffTarget {
  /** Identifies the target in results (the Nx task id). */
  id: string;
  project: string;
  /** The Nx configuration; the environment when the `environment` option is not set. */
  configuration?: string;
  options: DiffManifestExecutorSchema;
}

/** The defaults schema.json declares, applied again for callers that bypass Nx. */
export const DIFF_DEFAULTS = {
  branch: PUBLISH_DEFAULTS.branch,
  path: PUBLISH_DEFAULTS.path,
  exitCode: false,
  contextLines: 3,
  maxReportLength: 65_536,
  allowInsecureTransport: false,
} as const satisfies DiffManifestExecutorSchema;

/** The result of one target: its report and whether its task succeeds. */
export interface DiffOutcome {
  id: string;
  report: TargetDiffReport;
  /** False when the comparison failed, or when it found changes and `exitCode` is set. */
  success: boolean;
}

/** The result of a diff run. */
export interface DiffRunResult {
  outcomes: DiffOutcome[];
  report: RunDiffReport;
  /** Absolute paths of the run report files. */
  markdownPath: string;
  jsonPath: string;
}

/** Where the run report goes, workspace-relative. */
export const RUN_REPORT_DIR = join('dist', 'manifests');

/** A target checked and its render read: everything but the manifest repository. */
interface PreparedTarget {
  target: DiffTarget;
  rendered: RenderedOutput;
  repository: string;
  branch: string;
  path: string;
  options: DiffManifestExecutorSchema & { [name in keyof typeof DIFF_DEFAULTS]: NonNullable<DiffManifestExecutorSchema[name]> };
}

function prepare(workspaceRoot: string, target: DiffTarget, env: Readonly<Record<string, string | undefined>>): PreparedTarget {
  const defined = Object.fromEntries(Object.entries(target.options).filter(([, value]) => value !== undefined)) as DiffManifestExecutorSchema;
  const options: PreparedTarget['options'] = { ...DIFF_DEFAULTS, ...defined };
  const rendered = readRenderedOutput({
    workspaceRoot,
    target: { id: target.id, project: target.project, configuration: target.configuration, options: { environment: options.environment } },
  });
  const values = { project: target.project, environment: rendered.environment };
  const branch = resolveBranchName({ template: options.branch, values });
  // Where publish-manifest writes it: with activePath, inside the service's folder of the environment's branch.
  const { path } = resolveManifestPath({ pathTemplate: options.path, activePathTemplate: options.activePath, branchTemplate: options.branch, values });
  const repository = options.manifestRepository || env[MANIFEST_REPOSITORY_ENV];
  if (!repository) {
    throw new GitopsError(`No manifest repository to compare ${target.project}/${rendered.environment} with.`, {
      hint: `Set the "manifestRepository" option (plugin or target options) or the ${MANIFEST_REPOSITORY_ENV} environment variable.`,
    });
  }
  for (const [option, minimum] of [['contextLines', 0], ['maxReportLength', 1000]] as const) {
    if (!Number.isInteger(options[option]) || options[option] < minimum) {
      throw new GitopsError(`"${option}" must be an integer of at least ${minimum}, got ${options[option]}.`, { hint: `Set the "${option}" option to ${minimum} or more.` });
    }
  }
  return { target, rendered, repository: resolveRepositoryLocation(repository, workspaceRoot), branch, path, options };
}

/** Git's environment without the variables that would point it at another repository or object store. */
const ISOLATED_GIT_ENV: Record<string, undefined> = {
  GIT_DIR: undefined,
  GIT_WORK_TREE: undefined,
  GIT_INDEX_FILE: undefined,
  GIT_OBJECT_DIRECTORY: undefined,
  GIT_ALTERNATE_OBJECT_DIRECTORIES: undefined,
  GIT_NAMESPACE: undefined,
  GIT_COMMON_DIR: undefined,
};

/**
 * The content of `<commit>:<path>` for each entry, read from the cache in one `git cat-file --batch`
 * (`null` where the commit has no such file). The batch output counts bytes, so it is parsed as bytes.
 */
async function readFiles(gitDir: string, entries: ReadonlyArray<{ commit: string; path: string }>): Promise<Array<string | null>> {
  if (entries.length === 0) return [];
  const git = (args: string[], input?: string) => runCommand('git', ['--git-dir', gitDir, ...args], { env: ISOLATED_GIT_ENV, input });
  const { stdout: check } = await git(['cat-file', '--batch-check=%(objectname) %(objecttype)'], entries.map((entry) => `${entry.commit}:${entry.path}\n`).join(''));
  const blobs = check.split('\n').map((line) => {
    const [sha, type] = line.split(' ');
    return type === 'blob' ? sha : null;
  });
  const wanted = [...new Set(blobs.filter((sha): sha is string => sha !== null))];
  const contents = new Map<string, string>();
  // One process per blob: cat-file's batch output interleaves byte counts with text, which this adapter does not carry.
  for (const sha of wanted) contents.set(sha, (await git(['cat-file', 'blob', sha])).stdout);
  return blobs.map((sha) => (sha === null ? null : (contents.get(sha) ?? null)));
}

function writeAtomically(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const staging = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(staging, content);
  renameSync(staging, file);
}

function failedReport(target: DiffTarget, error: string, prepared?: PreparedTarget): TargetDiffReport {
  return {
    project: target.project,
    environment: prepared?.rendered.environment ?? target.options.environment ?? target.configuration ?? '',
    status: 'failed',
    repository: prepared ? withoutCredentials(prepared.repository) : null,
    branch: prepared?.branch ?? null,
    path: prepared?.path ?? null,
    baseCommit: null,
    baseExists: false,
    sourceCommit: prepared?.rendered.images.sourceCommit ?? null,
    counts: null,
    objects: [],
    images: [],
    error,
  };
}

/** Compares the prepared targets of one manifest repository: one `ls-remote`, one shallow fetch, one blob read. */
async function diffRepository(options: {
  group: readonly PreparedTarget[];
  cacheRoot: string;
  env: Readonly<Record<string, string | undefined>>;
}): Promise<TargetDiffReport[]> {
  const { group } = options;
  const cache = await ManifestRepositoryCache.open({
    repository: group[0].repository,
    cacheRoot: options.cacheRoot,
    env: options.env,
    allowInsecureTransport: group[0].options.allowInsecureTransport,
  });
  try {
    const tips = await cache.fetchTips(await cache.remoteTips(group.map((each) => each.branch)));
    const present = group.filter((each) => tips.has(each.branch));
    const files = await readFiles(cache.gitDir, present.map((each) => ({ commit: tips.get(each.branch)!, path: each.path })));
    const contentOf = new Map(present.map((each, index) => [each, files[index]]));
    return group.map((each) => {
      const baseCommit = tips.get(each.branch) ?? null;
      const content = contentOf.get(each) ?? null;
      try {
        const label = `${each.branch}:${each.path}`;
        const before: ManifestDocument[] | null = content === null ? null : parseManifests(content, `${withoutCredentials(each.repository)} ${label}`);
        const after = parseManifests(readFileSync(each.rendered.manifestFile, 'utf8'), each.rendered.manifestFile);
        const diff = diffManifestObjects({ before, after, context: each.options.contextLines, beforeLabel: label, afterLabel: 'render' });
        return {
          project: each.target.project,
          environment: each.rendered.environment,
          status: hasChanges(diff) ? 'changed' : 'unchanged',
          repository: withoutCredentials(each.repository),
          branch: each.branch,
          path: each.path,
          baseCommit,
          baseExists: content !== null,
          sourceCommit: each.rendered.images.sourceCommit ?? null,
          counts: diff.counts,
          objects: diff.objects,
          images: diff.images,
        } satisfies TargetDiffReport;
      } catch (error) {
        return failedReport(each.target, describeError(error), each);
      }
    });
  } finally {
    await cache.dispose();
  }
}

/**
 * Compares the render of each target with the manifest on its branch of the manifest repository, read
 * through the publisher's cache and credentials (nothing is pushed), grouped by repository so a batch
 * costs one fetch per repository. Writes `diff.json` and `diff.md` beside each render and the run report
 * `dist/manifests/diff.json` and `diff.md` (cut to `maxReportLength`). One target's failure never stops
 * the others; a failed target is in the run report with its error.
 */
export async function diffManifestTargets(options: {
  workspaceRoot: string;
  targets: readonly DiffTarget[];
  env?: Readonly<Record<string, string | undefined>>;
  loggerFor?: (target: DiffTarget) => GitopsLogger;
  /** Folder of the cache repositories; defaults to the publisher's, in the workspace's `node_modules/.cache`. */
  cacheRoot?: string;
}): Promise<DiffRunResult> {
  const env = options.env ?? process.env;
  const loggerFor = options.loggerFor ?? (() => silentLogger);
  const secrets = secretsFromEnv(env as NodeJS.ProcessEnv);
  const reports = new Map<DiffTarget, TargetDiffReport>();
  const prepared = new Map<DiffTarget, PreparedTarget>();
  const groups = new Map<string, PreparedTarget[]>();
  for (const target of options.targets) {
    try {
      const each = prepare(options.workspaceRoot, target, env);
      prepared.set(target, each);
      const key = `${each.options.allowInsecureTransport ? 'insecure' : 'secure'}\0${each.repository}`;
      groups.set(key, [...(groups.get(key) ?? []), each]);
    } catch (error) {
      reports.set(target, failedReport(target, redact(describeError(error), secrets)));
    }
  }
  await Promise.all(
    [...groups.values()].map(async (group) => {
      try {
        const results = await diffRepository({ group, cacheRoot: options.cacheRoot ?? defaultCacheRoot(options.workspaceRoot), env });
        group.forEach((each, index) => reports.set(each.target, results[index]));
      } catch (error) {
        const message = redact(describeError(error), secrets);
        for (const each of group) reports.set(each.target, failedReport(each.target, message, each));
      }
    }),
  );
  const outcomes: DiffOutcome[] = options.targets.map((target) => {
    const report = reports.get(target)!;
    if (report.error) report.error = redact(report.error, secrets);
    const logger = loggerFor(target);
    const each = prepared.get(target);
    if (report.status === 'failed') {
      logger.error(report.error ?? 'The comparison failed.');
    } else {
      const dir = dirname(each!.rendered.manifestFile);
      writeAtomically(join(dir, 'diff.json'), `${JSON.stringify(report, null, 2)}\n`);
      writeAtomically(join(dir, 'diff.md'), formatTargetMarkdown(report));
      const counts = report.counts!;
      const where = `${report.branch} of ${report.repository}`;
      logger.info(
        report.status === 'unchanged'
          ? `No change against ${where}.`
          : `+${counts.added} ~${counts.changed} −${counts.removed} objects, ${counts.imagesChanged} image${counts.imagesChanged === 1 ? '' : 's'} changed against ${where}` +
              `${report.baseCommit === null ? ' (the branch does not exist yet)' : ''}.`,
      );
    }
    const failsOnChange = (each?.options.exitCode ?? target.options.exitCode ?? false) && report.status === 'changed';
    if (failsOnChange) logger.error('The render differs from the manifest repository (exitCode is set).');
    return { id: target.id, report, success: report.status !== 'failed' && !failsOnChange };
  });
  const run = runDiffReport(outcomes.map((outcome) => outcome.report));
  const limits = [...prepared.values()].map((each) => each.options.maxReportLength);
  const limit = limits.length > 0 ? Math.min(...limits) : DIFF_DEFAULTS.maxReportLength;
  const jsonPath = join(options.workspaceRoot, RUN_REPORT_DIR, 'diff.json');
  const markdownPath = join(options.workspaceRoot, RUN_REPORT_DIR, 'diff.md');
  writeAtomically(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
  writeAtomically(markdownPath, formatRunMarkdown(run, { limit }));
  return { outcomes, report: run, markdownPath, jsonPath };
}
