import { GitopsError } from '../lib/errors';
import { splitReferenceTrailers, type SourceCommit } from './hydrator';
import { expandTemplate } from './templates';

/** The default commit subject template. */
export const DEFAULT_MESSAGE_TEMPLATE = '{project}/{environment}: render {shortSourceCommit}';

/** Where a rendered manifest came from, recorded as commit trailers. */
export interface Provenance {
  /** Full source commit, or `null` when the workspace is not a git repository. */
  sourceCommit: string | null;
  /** The workspace's `origin` URL without credentials, when there is one. */
  sourceRepository: string | null;
  /** The CI build that published, when known. */
  buildUrl: string | null;
  /** Files the render read differed from `sourceCommit` and `allowDirty` published them anyway. */
  sourceDirty?: boolean;
}

/** Length of the abbreviated source commit in the subject, as in skaffold's `gitCommit` tags. */
const SHORT_SHA_LENGTH = 7;

/**
 * Builds the full commit message: the expanded `template` (placeholders `{project}`, `{environment}`,
 * `{branch}`, `{sourceCommit}`, `{shortSourceCommit}`, each also written `%name%`), a blank line, then
 * the trailers `Source-Commit`, `Source-Repository`, `Build-Url` for those that are known, and
 * `Source-Dirty: true` when uncommitted changes were published. Trailers are always
 * added, whatever the template, because deployment tooling reads them.
 */
export function formatCommitMessage(options: {
  template?: string;
  project: string;
  environment: string;
  branch: string;
  provenance: Provenance;
}): string {
  const { sourceCommit, sourceRepository, buildUrl } = options.provenance;
  const body = expandTemplate({
    template: options.template ?? DEFAULT_MESSAGE_TEMPLATE,
    option: 'message',
    values: {
      project: options.project,
      environment: options.environment,
      branch: options.branch,
      sourceCommit: sourceCommit ?? 'unknown',
      shortSourceCommit: sourceCommit ? sourceCommit.slice(0, SHORT_SHA_LENGTH) : 'unknown',
    },
  }).trim();
  if (body.length === 0) {
    throw new GitopsError('The commit message template expands to an empty message.', {
      hint: `Set the "message" option to a non-empty template, e.g. "${DEFAULT_MESSAGE_TEMPLATE}".`,
    });
  }
  const trailers = provenanceTrailers(options.provenance);
  return trailers.length > 0 ? `${body}\n\n${trailers.join('\n')}\n` : `${body}\n`;
}

/** Our trailers, in order, for those that are known. */
function provenanceTrailers(provenance: Provenance): string[] {
  const { sourceCommit, sourceRepository, buildUrl } = provenance;
  return [
    sourceCommit ? `Source-Commit: ${sourceCommit}` : null,
    sourceRepository ? `Source-Repository: ${sourceRepository}` : null,
    buildUrl ? `Build-Url: ${buildUrl}` : null,
    provenance.sourceDirty ? 'Source-Dirty: true' : null,
  ].filter((line): line is string => line !== null);
}

/**
 * The commit message in the shape of Argo CD's default hydrator template: `<sha7>: <source subject>`,
 * the source body without its `Argocd-reference-commit-*` trailers, and `Co-authored-by:` for each
 * referenced commit's author, then the source author. Our own trailers follow in the same trailer block,
 * so `git interpret-trailers` (which GitOps Promoter uses) reads them all.
 */
export function formatArgoCommitMessage(options: { source: SourceCommit; provenance: Provenance }): string {
  const { source } = options;
  const { body, references } = splitReferenceTrailers(source.body);
  const coAuthors = [...references.map((reference) => reference.commit.author), source.author]
    .filter((author): author is string => Boolean(author))
    .map((author) => `Co-authored-by: ${author}`);
  const subject = `${source.sha.slice(0, SHORT_SHA_LENGTH)}: ${source.subject}`;
  const trailers = [...coAuthors, ...provenanceTrailers(options.provenance)];
  return [subject, ...(body ? [body] : []), ...(trailers.length > 0 ? [trailers.join('\n')] : [])].join('\n\n') + '\n';
}

/**
 * The URL of the running CI build, from the variables GitHub Actions, GitLab CI, CircleCI, Jenkins and
 * Buildkite set; `null` outside CI.
 */
export function buildUrlFromEnv(env: Readonly<Record<string, string | undefined>>): string | null {
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    const attempt = env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : '';
    return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`;
  }
  return env.CI_JOB_URL || env.CIRCLE_BUILD_URL || env.BUILDKITE_BUILD_URL || env.BUILD_URL || null;
}

/**
 * `url` without user information, for provenance and reports: `https://user:token@host/r.git` becomes
 * `https://host/r.git`. SCP-style (`git@host:r.git`) and `ssh://` addresses keep their user, which names
 * an account rather than carrying a secret.
 */
export function withoutCredentials(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/@]*@)?(.*)$/i.exec(url);
  if (!match || !match[2] || /^ssh:/i.test(match[1]) || /^git\+ssh:/i.test(match[1])) return url;
  return `${match[1]}${match[3]}`;
}
