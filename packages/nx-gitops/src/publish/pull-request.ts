import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatTargetBody, type TargetDiffReport } from '../diff/report';
import { describeError, GitopsError } from '../lib/errors';
import { runCommand } from '../lib/exec';
import type { GitopsLogger } from '../lib/log';
import { redact, secretsFromEnv } from '../lib/redact';
import { renderOutputDir } from '../manifests/render-output';
import { hostOf } from './auth';
import { GitHubApi, GitHubApiError, githubApiToken, type GitHubPullRequest } from './github-api';
import type { Forge } from './options';
import type { TargetOutcome } from './publish-manifests';
import type { RenderedOutput } from './request';
import { expandTemplate, resolveBranchName, templateUses, type TemplateValues } from './templates';

/** What pull-request mode did for one target, as the publish report lists it. */
export interface PullRequestReport {
  forge: Forge;
  /**
   * `opened` or `updated` (GitHub); `requested` (GitLab: the push carried the merge-request push options);
   * `unchanged` (the render equals the target branch: no branch pushed, nothing opened); `dry-run`;
   * `failed` (the push or the API call failed; the entry's `error` says why).
   */
  action: 'opened' | 'updated' | 'requested' | 'unchanged' | 'dry-run' | 'failed';
  headBranch: string;
  targetBranch: string;
  /** The pull request's number and web address, when the forge told them. */
  number: number | null;
  url: string | null;
  /** Older open pull requests of the same project and environment that this one closed. */
  superseded: Array<{ number: number; url: string }>;
  /**
   * Open pull requests of the same project and environment left open, and why: their source commit is
   * `newer` (a descendant of this one), on a `parallel` line of history, or `unknown` to this clone
   * (a shallow checkout, or a commit of another clone).
   */
  keptOpen: Array<{ number: number; url: string; sourceCommit: string | null; reason: SourceCommitRelation }>;
}

/** How the source commit of another open pull request relates to the one being published. */
export type SourceCommitRelation = 'newer' | 'parallel' | 'unknown';

/** How to open the pull request of one target, decided before anything is pushed. */
export interface PullRequestPlan {
  forge: Forge;
  /** The workspace whose history tells whether another pull request's source commit is older. */
  workspaceRoot: string;
  /** The full source commit the pull request publishes. */
  sourceCommit: string;
  targetBranch: string;
  headBranch: string;
  /** `owner/name` of the manifest repository on the forge. */
  repositoryPath: string;
  /** GitHub's API base URL; `null` on GitLab. */
  apiUrl: string | null;
  title: string;
  body: string;
  /**
   * Matches the pull-request branches of every source commit of this project and environment; its groups
   * capture the commit (full or short) the branch was named after.
   */
  headPattern: RegExp;
  /** Push options the push of `headBranch` carries (GitLab). */
  pushOptions: string[];
}

/** Host (lowercase, with port) and path of a repository address: a URL, `user@host:path`, or a local path (no host). */
function splitRepository(repository: string): { host: string | null; path: string } {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(repository) ? new URL(repository) : null;
  if (url) return { host: url.protocol === 'file:' ? null : url.host.toLowerCase(), path: decodeURIComponent(url.pathname) };
  const scp = /^(?:[^@/]+@)?([^:/]+):(.*)$/.exec(repository);
  if (scp && scp[1].length > 1) return { host: scp[1].toLowerCase(), path: scp[2] };
  return { host: null, path: repository };
}

/**
 * The forge of the manifest repository: the `forge` option, else its host — github.com or the host of
 * `GITHUB_SERVER_URL` is GitHub; gitlab.com, a host starting with `gitlab.` or `CI_SERVER_HOST` is GitLab.
 * Throws a {@link GitopsError} naming the `forge` option when the host says neither.
 */
export function detectForge(options: { repository: string; env: Readonly<Record<string, string | undefined>>; forge?: Forge }): Forge {
  if (options.forge) return options.forge;
  const { host } = splitRepository(options.repository);
  const { env } = options;
  if (host && (host === 'github.com' || host === hostOf(env.GITHUB_SERVER_URL))) return 'github';
  if (host && (host === 'gitlab.com' || host.startsWith('gitlab.') || host === env.CI_SERVER_HOST?.toLowerCase())) return 'gitlab';
  throw new GitopsError(`Cannot tell which forge hosts the manifest repository ${redact(options.repository)}, to open a pull request there.`, {
    hint: 'Set the "forge" option to "github" or "gitlab" (and "forgeApiUrl" for a GitHub API the repository URL does not give).',
  });
}

/** `owner/name` of a repository address: the last two components of its path, without `.git`. */
export function forgeRepositoryPath(repository: string): string {
  const parts = splitRepository(repository)
    .path.replace(/\.git\/?$/, '')
    .split('/')
    .filter(Boolean);
  if (parts.length < 2) {
    throw new GitopsError(`Cannot tell the owner and name of the manifest repository ${redact(repository)} for its pull requests.`, {
      hint: 'Use a repository URL of the form https://<host>/<owner>/<name>.git, or set the "pullRequest" option to false.',
    });
  }
  return parts.slice(-2).join('/');
}

/**
 * The GitHub API for the manifest repository: the `forgeApiUrl` option; `GITHUB_API_URL` when the workflow
 * runs on the repository's server (`GITHUB_SERVER_URL`); `https://api.github.com` for github.com; else
 * `https://<host>/api/v3` (GitHub Enterprise Server).
 */
export function githubApiUrl(options: { repository: string; env: Readonly<Record<string, string | undefined>>; forgeApiUrl?: string }): string {
  const strip = (url: string) => url.replace(/\/+$/, '');
  if (options.forgeApiUrl) return strip(options.forgeApiUrl);
  const { host } = splitRepository(options.repository);
  if (!host) {
    throw new GitopsError(`Cannot tell the GitHub API of the manifest repository ${redact(options.repository)}.`, { hint: 'Set the "forgeApiUrl" option.' });
  }
  if (options.env.GITHUB_API_URL && hostOf(options.env.GITHUB_SERVER_URL) === host) return strip(options.env.GITHUB_API_URL);
  return host === 'github.com' ? 'https://api.github.com' : `https://${host.replace(/:\d+$/, '')}/api/v3`;
}

/**
 * Expands the `pullRequestBranch` template (placeholders `{branch}`, `{project}`, `{environment}`,
 * `{sourceCommit}`, `{shortSourceCommit}`). It must name the source commit: one branch per source commit is
 * what makes a second run update its pull request and a newer commit supersede it.
 */
export function resolvePullRequestBranch(options: { template: string; values: TemplateValues }): string {
  if (!templateUses(options.template, 'shortSourceCommit') && !templateUses(options.template, 'sourceCommit')) {
    throw new GitopsError(`Refusing the "pullRequestBranch" template "${options.template}": it must contain {shortSourceCommit} or {sourceCommit}.`, {
      hint: 'Set the "pullRequestBranch" option to a template such as "{branch}-pr/{shortSourceCommit}".',
    });
  }
  return resolveBranchName({ template: options.template, values: options.values, option: 'pullRequestBranch' });
}

/**
 * The pull-request branches of every source commit of one project and environment: the template with the
 * commit as a wildcard, each occurrence a capturing group.
 */
export function pullRequestBranchPattern(options: { template: string; values: TemplateValues }): RegExp {
  const wildcard = '\u0000';
  const expanded = expandTemplate({
    template: options.template,
    values: { ...options.values, sourceCommit: wildcard, shortSourceCommit: wildcard },
    option: 'pullRequestBranch',
  });
  const source = expanded
    .split(wildcard)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('([0-9a-f]{4,40})');
  return new RegExp(`^${source}$`);
}

/** GitLab's longest merge-request description is 1,048,576 characters; GitHub's pull-request body 65,536. */
const BODY_LIMIT = 60_000;

/** The `diff.json` that `diff-manifest` wrote for this render and target branch, when there is one. */
function readDiffReport(options: { workspaceRoot: string; rendered: RenderedOutput; targetBranch: string }): TargetDiffReport | null {
  const file = join(options.workspaceRoot, renderOutputDir(options.rendered.project, options.rendered.environment), 'diff.json');
  if (!existsSync(file)) return null;
  try {
    const report = JSON.parse(readFileSync(file, 'utf8')) as TargetDiffReport;
    const sameRender = (report.sourceCommit ?? null) === (options.rendered.images.sourceCommit ?? null);
    return report.status !== 'failed' && report.counts && report.branch === options.targetBranch && sameRender ? report : null;
  } catch {
    return null;
  }
}

/**
 * The pull request's body: what it publishes where, the `diff-manifest` summary of this render against the
 * target branch when `diff.json` holds one (else the objects and images of the render), and the commit's
 * provenance trailers.
 */
export function pullRequestBody(options: { workspaceRoot: string; rendered: RenderedOutput; targetBranch: string; message: string; shortSourceCommit: string }): string {
  const { rendered } = options;
  const intro = `Publishes the render of \`${rendered.project}\` for \`${rendered.environment}\` at source commit \`${options.shortSourceCommit}\` to \`${options.targetBranch}\`. Merging deploys it.`;
  const report = readDiffReport(options);
  let summary: string;
  if (report) {
    summary = formatTargetBody(report);
    if (summary.length > BODY_LIMIT) summary = formatTargetBody(report, { withDiffs: false });
    if (summary.length > BODY_LIMIT) summary = `${summary.slice(0, BODY_LIMIT)}\n\n(cut to fit)`;
  } else {
    const count = rendered.images.objectCount;
    const images = rendered.images.images.map((image) => `- \`${image.reference}\``);
    summary = [
      typeof count === 'number' ? `The render holds ${count} Kubernetes object${count === 1 ? '' : 's'}.` : null,
      images.length > 0 ? `Images:\n${images.join('\n')}` : null,
      `Run \`nx run ${rendered.project}:diff-manifest:${rendered.environment}\` before publishing to see the changes here.`,
    ]
      .filter((line): line is string => line !== null)
      .join('\n\n');
  }
  const trailers = options.message.split('\n').filter((line) => /^(Source-Commit|Source-Repository|Build-Url|Source-Dirty): /.test(line));
  return [`<!-- nx-gitops:pull-request ${rendered.project}/${rendered.environment} -->`, intro, summary, ...(trailers.length > 0 ? ['```text\n' + trailers.join('\n') + '\n```'] : [])].join(
    '\n\n',
  );
}

/**
 * Decides the pull request of one target: the forge, the pull-request branch (from the target branch's
 * name and the source commit), title (the commit's subject), body and, for GitLab, the push options.
 * Throws a {@link GitopsError} naming the option to change when pull-request mode cannot work.
 */
export function planPullRequest(options: {
  workspaceRoot: string;
  repository: string;
  env: Readonly<Record<string, string | undefined>>;
  rendered: RenderedOutput;
  targetBranch: string;
  sourceCommit: string | null;
  message: string;
  pullRequestBranch: string;
  forge?: Forge;
  forgeApiUrl?: string;
}): PullRequestPlan {
  const { rendered, targetBranch } = options;
  if (!options.sourceCommit) {
    throw new GitopsError(`Cannot open a pull request for ${rendered.project}/${rendered.environment}: the workspace has no source commit to name its branch after.`, {
      hint: 'Publish from a git repository with at least one commit, or set the "pullRequest" option to false.',
    });
  }
  const forge = detectForge({ repository: options.repository, env: options.env, forge: options.forge });
  const values = {
    project: rendered.project,
    environment: rendered.environment,
    branch: targetBranch,
    sourceCommit: options.sourceCommit,
    shortSourceCommit: options.sourceCommit.slice(0, 7),
  };
  const headBranch = resolvePullRequestBranch({ template: options.pullRequestBranch, values });
  const title = options.message.split('\n')[0].trim();
  return {
    forge,
    workspaceRoot: options.workspaceRoot,
    sourceCommit: options.sourceCommit,
    targetBranch,
    headBranch,
    repositoryPath: forge === 'github' ? forgeRepositoryPath(options.repository) : '',
    apiUrl: forge === 'github' ? githubApiUrl({ repository: options.repository, env: options.env, forgeApiUrl: options.forgeApiUrl }) : null,
    title,
    body: pullRequestBody({ workspaceRoot: options.workspaceRoot, rendered, targetBranch, message: options.message, shortSourceCommit: values.shortSourceCommit }),
    headPattern: pullRequestBranchPattern({ template: options.pullRequestBranch, values }),
    // Push options cannot hold a newline: the title only, the description stays GitLab's default.
    pushOptions: forge === 'gitlab' ? ['merge_request.create', `merge_request.target=${targetBranch}`, `merge_request.title=${title.replace(/[\r\n]+/g, ' ')}`] : [],
  };
}

/** An open pull request as GitHub lists it, with the body (whose trailers name its source commit). */
type ListedPullRequest = GitHubPullRequest & { body?: string | null };

/**
 * The source commit an open pull-request branch of this project and environment publishes: the
 * `Source-Commit` trailer of its body when that agrees with the commit the branch is named after, else the
 * (possibly short) commit of the branch name; `null` when the branch is not one of `headPattern`'s.
 */
export function pullRequestSourceCommit(options: { headPattern: RegExp; headRef: string; body?: string | null }): string | null {
  const match = options.headPattern.exec(options.headRef);
  if (!match) return null;
  const named = match
    .slice(1)
    .filter((group): group is string => typeof group === 'string')
    .sort((a, b) => b.length - a.length);
  const fromBranch = named[0] ?? null;
  // A template naming the commit twice ({sourceCommit} and {shortSourceCommit}) must name one commit.
  if (fromBranch === null || !named.every((each) => fromBranch.startsWith(each))) return null;
  const trailers = [...(options.body ?? '').matchAll(/^Source-Commit: ([0-9a-f]{40})$/gm)].map((each) => each[1]);
  return trailers.find((sha) => sha.startsWith(fromBranch)) ?? fromBranch;
}

async function isAncestor(workspaceRoot: string, ancestor: string, descendant: string): Promise<boolean | null> {
  const result = await runCommand('git', ['-C', workspaceRoot, 'merge-base', '--is-ancestor', ancestor, descendant], { allowFailure: true });
  return result.exitCode === 0 ? true : result.exitCode === 1 ? false : null;
}

/**
 * Where `candidate` (a full or short commit) stands relative to `current` in the workspace's history:
 * `older` (an ancestor: a pull request of it is superseded), `newer` (a descendant), `parallel` (neither), or
 * `unknown` when the workspace does not hold it, or holds it in a shallow history that cannot tell. Nothing is
 * fetched: the source repository's address and credentials are the CI checkout's, not the publisher's, and a
 * pull request is only closed on evidence — one left open is harmless, a wrongly closed one is not.
 */
export async function relateSourceCommit(options: { workspaceRoot: string; candidate: string; current: string }): Promise<'older' | SourceCommitRelation> {
  const { workspaceRoot, current } = options;
  if (!/^[0-9a-f]{4,40}$/.test(options.candidate)) return 'unknown';
  const resolved = await runCommand('git', ['-C', workspaceRoot, 'rev-parse', '--verify', '--quiet', `${options.candidate}^{commit}`], { allowFailure: true });
  if (resolved.exitCode !== 0) return 'unknown';
  const candidate = resolved.stdout.trim();
  const older = await isAncestor(workspaceRoot, candidate, current);
  if (older === null) return 'unknown';
  if (older) return 'older';
  const newer = await isAncestor(workspaceRoot, current, candidate);
  if (newer === null) return 'unknown';
  if (newer) return 'newer';
  // A shallow history may have cut the path between them.
  const shallow = await runCommand('git', ['-C', workspaceRoot, 'rev-parse', '--is-shallow-repository'], { allowFailure: true });
  return shallow.stdout.trim() === 'true' ? 'unknown' : 'parallel';
}

/**
 * Opens the pull request of `plan` on GitHub, or updates the open one of its branch (also when the
 * listing lagged and GitHub answers 422 "A pull request already exists"), then closes, with a comment naming
 * the new one, the open pull requests of the same project and environment whose source commit is an ancestor
 * of this one; those of a newer, parallel or unknown commit stay open (see {@link relateSourceCommit}).
 */
export async function openOrUpdateGitHubPullRequest(options: {
  api: GitHubApi;
  plan: PullRequestPlan;
}): Promise<Pick<PullRequestReport, 'action' | 'number' | 'url' | 'superseded' | 'keptOpen'>> {
  const { api, plan } = options;
  const [owner] = plan.repositoryPath.split('/');
  const repo = `/repos/${plan.repositoryPath.split('/').map(encodeURIComponent).join('/')}`;
  const findOpen = async () =>
    (
      await api.request<GitHubPullRequest[]>({
        method: 'GET',
        path: `${repo}/pulls?head=${encodeURIComponent(`${owner}:${plan.headBranch}`)}&state=open`,
        what: `find the open pull request of ${plan.headBranch}`,
      })
    ).find((pull) => pull.base.ref === plan.targetBranch);
  const update = (pull: GitHubPullRequest) =>
    api.request<GitHubPullRequest>({ method: 'PATCH', path: `${repo}/pulls/${pull.number}`, body: { title: plan.title, body: plan.body }, what: `update pull request #${pull.number}` });
  let action: 'opened' | 'updated' = 'updated';
  let pull = await findOpen();
  if (pull) {
    pull = await update(pull);
  } else {
    try {
      pull = await api.request<GitHubPullRequest>({
        method: 'POST',
        path: `${repo}/pulls`,
        body: { title: plan.title, head: plan.headBranch, base: plan.targetBranch, body: plan.body },
        what: `open a pull request from ${plan.headBranch} into ${plan.targetBranch}`,
      });
      action = 'opened';
    } catch (error) {
      if (!(error instanceof GitHubApiError && error.status === 422 && /already exists/i.test(error.apiMessage))) throw error;
      const existing = await findOpen();
      if (!existing) throw error;
      pull = await update(existing);
    }
  }
  const open = await api.list<ListedPullRequest>({
    path: `${repo}/pulls?state=open&base=${encodeURIComponent(plan.targetBranch)}`,
    what: `list the open pull requests into ${plan.targetBranch}`,
  });
  const others = open.filter(
    (each) =>
      each.number !== pull.number &&
      each.head.ref !== plan.headBranch &&
      plan.headPattern.test(each.head.ref) &&
      each.head.repo?.full_name.toLowerCase() === plan.repositoryPath.toLowerCase(),
  );
  const superseded: PullRequestReport['superseded'] = [];
  const keptOpen: PullRequestReport['keptOpen'] = [];
  for (const each of others) {
    const sourceCommit = pullRequestSourceCommit({ headPattern: plan.headPattern, headRef: each.head.ref, body: each.body });
    const relation = sourceCommit ? await relateSourceCommit({ workspaceRoot: plan.workspaceRoot, candidate: sourceCommit, current: plan.sourceCommit }) : 'unknown';
    if (relation !== 'older') {
      keptOpen.push({ number: each.number, url: each.html_url, sourceCommit, reason: relation });
      continue;
    }
    await api.request({
      method: 'POST',
      path: `${repo}/issues/${each.number}/comments`,
      body: {
        body: `Superseded by #${pull.number} (${pull.html_url}), a newer render of ${plan.targetBranch}: source commit ${plan.sourceCommit.slice(0, 7)} follows ${sourceCommit!.slice(0, 7)}.`,
      },
      what: `comment on superseded pull request #${each.number}`,
    });
    await api.request({ method: 'PATCH', path: `${repo}/pulls/${each.number}`, body: { state: 'closed' }, what: `close superseded pull request #${each.number}` });
    superseded.push({ number: each.number, url: each.html_url });
  }
  return { action, number: pull.number, url: pull.html_url, superseded, keptOpen };
}

/** Why a pull request of the same service and environment was not closed, in one sentence. */
function keptOpenReason(entry: PullRequestReport['keptOpen'][number]): string {
  const commit = entry.sourceCommit ? `its source commit ${entry.sourceCommit.slice(0, 7)}` : 'its source commit';
  if (entry.reason === 'newer') return `${commit} is newer than this one.`;
  if (entry.reason === 'parallel') return `${commit} is not an ancestor of this one (another line of history).`;
  return `${commit} is not in this clone's history, so it cannot be told older; check out the full history (actions/checkout with fetch-depth: 0) for a newer commit to supersede it.`;
}

/**
 * The pull-request step of one published target: opens or updates it (GitHub), records that the push
 * requested it (GitLab), or says why nothing was opened (dry run, a render equal to the target branch, a
 * failed push). An API failure fails the target — its branch stays pushed — with the reason, redacted.
 */
export async function settlePullRequest(options: {
  plan: PullRequestPlan;
  outcome: TargetOutcome;
  env: Readonly<Record<string, string | undefined>>;
  allowInsecureTransport: boolean;
  timeoutSeconds: number;
  log: GitopsLogger;
}): Promise<TargetOutcome> {
  const { plan, outcome, log } = options;
  const base = { forge: plan.forge, headBranch: plan.headBranch, targetBranch: plan.targetBranch, number: null, url: null, superseded: [], keptOpen: [] };
  const settled = (report: PullRequestReport, changes: Partial<TargetOutcome> = {}): TargetOutcome => ({ ...outcome, ...changes, pullRequest: report });
  if (outcome.status === 'failed') return settled({ ...base, action: 'failed' });
  if (outcome.status === 'unchanged' && outcome.previousCommit === null) {
    log.info(`${plan.targetBranch} already holds this render: no pull request.`);
    return settled({ ...base, action: 'unchanged' });
  }
  if (outcome.dryRun) {
    log.info(`Dry run: would open or update a pull request from ${plan.headBranch} into ${plan.targetBranch}.`);
    return settled({ ...base, action: 'dry-run' });
  }
  if (plan.forge === 'gitlab') {
    log.info(`Pushed ${plan.headBranch} with the push options that open a merge request into ${plan.targetBranch}.`);
    return settled({ ...base, action: 'requested' });
  }
  try {
    const token = githubApiToken({ apiUrl: plan.apiUrl!, env: options.env, allowInsecureTransport: options.allowInsecureTransport });
    const api = new GitHubApi({ apiUrl: plan.apiUrl!, token, timeoutSeconds: options.timeoutSeconds });
    const result = await openOrUpdateGitHubPullRequest({ api, plan });
    log.info(`${result.action === 'opened' ? 'Opened' : 'Updated'} pull request #${result.number}: ${result.url}`);
    for (const each of result.superseded) log.info(`Closed superseded pull request #${each.number}.`);
    for (const each of result.keptOpen) log.info(`Left pull request #${each.number} open: ${keptOpenReason(each)}`);
    return settled({ ...base, ...result });
  } catch (error) {
    const reason = redact(describeError(error), secretsFromEnv(options.env));
    const message = `The branch "${plan.headBranch}" was pushed, but its pull request into "${plan.targetBranch}" could not be opened or updated: ${reason}`;
    log.error(message);
    return settled({ ...base, action: 'failed' }, { status: 'failed', error: message });
  }
}
