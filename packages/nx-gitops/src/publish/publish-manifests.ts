import { describeError } from '../lib/errors';
import { silentLogger, type GitopsLogger } from '../lib/log';
import { redact, secretsFromEnv } from '../lib/redact';
import { withoutCredentials } from './commit-message';
import { defaultCacheRoot } from './git-cache';
import { publishToRepository, type PublishOutcome } from './publisher';
import { settlePullRequest, type PullRequestReport } from './pull-request';
import { writePublishReport, type PublishReportEntry } from './report';
import { readRenderedOutput, resolveTarget, type PublishTarget, type RenderedOutput, type ResolvedTarget } from './request';
import { findRenderDrift, refuseStaleReplay } from './replay-check';
import { createSigningResolver } from './signing';
import { changedSourcesOf, findChangedSources } from './source-status';
import { readWorkspaceGitInfo } from './workspace-info';

/** The result of one target. */
export interface TargetOutcome extends PublishOutcome {
  /** The manifest repository, without credentials (`null` when the target failed before naming one). */
  repository: string | null;
  /** With `pullRequest`: what the pull-request step did. */
  pullRequest?: PullRequestReport;
}

/** The result of a publish run: `success` is false when any target failed. */
export interface PublishRunResult {
  success: boolean;
  outcomes: TargetOutcome[];
  /** Absolute path of the report written. */
  reportPath: string;
}

/**
 * Publishes the rendered manifests of `targets`: validates every target first (templates, repository,
 * rendered files, empty renders, stale build artifacts, dirty images, and — with one `git status` of the
 * workspace for the whole run — files the renders read that differ from `HEAD`) without touching the
 * manifest repository, then publishes the valid ones grouped by
 * manifest repository — one fetch and one push per repository — and records every outcome in
 * `dist/manifests/publish-report.json`. One target's failure never stops the others.
 */
export async function publishManifests(options: {
  workspaceRoot: string;
  targets: readonly PublishTarget[];
  env?: Readonly<Record<string, string | undefined>>;
  loggerFor?: (target: PublishTarget) => GitopsLogger;
  /** Folder of the cache repositories; defaults to `node_modules/.cache/nx-gitops` in the workspace. */
  cacheRoot?: string;
  sleep?: (ms: number) => Promise<void>;
  /** Aborted on SIGINT or SIGTERM: see `PublishToRepositoryOptions.signal`. */
  signal?: AbortSignal;
}): Promise<PublishRunResult> {
  const env = options.env ?? process.env;
  const loggerFor = options.loggerFor ?? (() => silentLogger);
  // The workspace's git processes run while the rendered outputs are read.
  const workspaceInfo = readWorkspaceGitInfo(options.workspaceRoot);
  workspaceInfo.catch(() => undefined);
  const outcomes: TargetOutcome[] = [];
  const groups = new Map<string, ResolvedTarget[]>();
  const targetsById = new Map(options.targets.map((target) => [target.id, target]));
  const dirtyById = new Map<string, string[]>();
  const signingFor = createSigningResolver({ workspaceRoot: options.workspaceRoot });
  const fail = (target: PublishTarget, error: unknown) => {
    const message = describeError(error);
    loggerFor(target).error(message);
    outcomes.push({
      id: target.id,
      project: target.project,
      environment: target.options.environment ?? target.configuration ?? '',
      repository: null,
      branch: '',
      paths: [],
      status: 'failed',
      commit: null,
      previousCommit: null,
      attempts: 0,
      dryRun: target.options.dryRun ?? false,
      error: message,
    });
  };
  const rendered = new Map<PublishTarget, RenderedOutput>();
  for (const target of options.targets) {
    try {
      rendered.set(target, readRenderedOutput({ workspaceRoot: options.workspaceRoot, target }));
    } catch (error) {
      fail(target, error);
    }
  }
  // One git status for every source of the run (renders that recorded none, older versions, are not asked
  // about), beside the workspace's git facts and the check of renders Nx replayed from an earlier commit:
  // nothing they read may have changed since.
  const sources = [...rendered.values()].flatMap((output) => output.images.sources ?? []);
  const changedSources = findChangedSources({ workspaceRoot: options.workspaceRoot, sources, prefix: workspaceInfo.then((info) => info.prefix) });
  changedSources.catch(() => undefined);
  const workspace = await workspaceInfo;
  const [changed, drift] = await Promise.all([
    changedSources,
    findRenderDrift({
      workspaceRoot: options.workspaceRoot,
      head: workspace.head,
      renders: [...rendered.values()].map((output) => ({ sourceCommit: output.images.sourceCommit, sources: output.images.sources ?? [] })),
    }),
  ]);
  for (const [target, output] of rendered) {
    try {
      const replayWarning = refuseStaleReplay({
        project: target.project,
        environment: output.images.environment,
        sources: output.images.sources ?? [],
        drift: output.images.sourceCommit ? drift.get(output.images.sourceCommit) : undefined,
      });
      if (replayWarning) loggerFor(target).warn(replayWarning);
      const resolved = resolveTarget({
        workspaceRoot: options.workspaceRoot,
        target,
        workspace,
        env,
        rendered: output,
        changed: changed && output.images.sources ? changedSourcesOf(changed, output.images.sources) : null,
      });
      if (withoutCredentials(resolved.repository) !== resolved.repository) {
        loggerFor(target).warn(
          'The manifest repository URL carries credentials; they are used but kept out of git\'s command line. ' +
            'Prefer the NX_GITOPS_TOKEN environment variable: a URL in nx.json or project.json is a secret on disk.',
        );
      }
      if (resolved.sourceDirty) {
        loggerFor(target).warn(
          `Publishing uncommitted changes (allowDirty); the commit carries "Source-Dirty: true"` +
            (resolved.dirtySources.length > 0 ? `: ${resolved.dirtySources.join(', ')}.` : '.'),
        );
      }
      dirtyById.set(target.id, resolved.dirtySources);
      // Before any repository is touched: a missing signing key fails the target here.
      const signing = await signingFor(target.options);
      if (signing) resolved.request.signing = signing;
      const key = `${resolved.dryRun ? 'dry' : 'push'}\0${resolved.allowInsecureTransport ? 'insecure' : 'secure'}\0${resolved.repository}`;
      groups.set(key, [...(groups.get(key) ?? []), resolved]);
    } catch (error) {
      fail(target, error);
    }
  }
  const published = await Promise.all(
    [...groups.values()].map(async (group) => {
      const repository = group[0].repository;
      const results = await publishToRepository({
        repository,
        requests: group.map((resolved) => resolved.request),
        cacheRoot: options.cacheRoot ?? defaultCacheRoot(options.workspaceRoot),
        env,
        dryRun: group[0].dryRun,
        maxAttempts: Math.max(...group.map((resolved) => resolved.maxAttempts)),
        loggerFor: (request) => loggerFor(targetsById.get(request.id)!),
        sleep: options.sleep,
        allowInsecureTransport: group[0].allowInsecureTransport,
        networkTimeoutSeconds: Math.max(...group.map((resolved) => resolved.networkTimeoutSeconds)),
        signal: options.signal,
      });
      const outcomes = results.map((result) => ({ ...result, repository: withoutCredentials(repository) }));
      return Promise.all(
        outcomes.map((outcome) => {
          const resolved = group.find((each) => each.request.id === outcome.id);
          if (!resolved?.pullRequest) return outcome;
          return settlePullRequest({
            plan: resolved.pullRequest,
            outcome,
            env,
            allowInsecureTransport: resolved.allowInsecureTransport,
            timeoutSeconds: resolved.networkTimeoutSeconds,
            log: loggerFor(targetsById.get(outcome.id)!),
          });
        }),
      );
    }),
  );
  outcomes.push(...published.flat());
  const entries: PublishReportEntry[] = outcomes.map((outcome) => ({
    project: outcome.project,
    environment: outcome.environment,
    repository: outcome.repository ?? '',
    branch: outcome.branch,
    paths: outcome.paths,
    status: outcome.status,
    commit: outcome.commit,
    previousCommit: outcome.previousCommit,
    attempts: outcome.attempts,
    dryRun: outcome.dryRun,
    ...(dirtyById.get(outcome.id)?.length ? { dirtySources: dirtyById.get(outcome.id) } : {}),
    ...(outcome.pullRequest ? { pullRequest: outcome.pullRequest } : {}),
    ...(outcome.noted ? { noted: outcome.noted } : {}),
    ...(outcome.signed ? { signed: outcome.signed } : {}),
    ...(outcome.error !== undefined ? { error: redact(outcome.error, secretsFromEnv(env)) } : {}),
  }));
  const reportPath = await writePublishReport({ workspaceRoot: options.workspaceRoot, entries });
  return { success: outcomes.every((outcome) => outcome.status !== 'failed'), outcomes, reportPath };
}
