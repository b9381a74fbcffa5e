import { GitopsError } from '../../../lib/errors';
import { splitRepositoryUrl } from './repository-url';

/** The SCM providers a GitOps Promoter `GitRepository` can name, as the fields of its spec are called. */
export const SCM_KINDS = ['github', 'gitlab', 'gitea', 'forgejo', 'bitbucketCloud', 'azureDevOps'] as const;

/** One of {@link SCM_KINDS}. */
export type ScmKind = (typeof SCM_KINDS)[number];

/** Hosts whose provider is known without `--scm`. */
const KNOWN_HOSTS: Record<string, ScmKind> = {
  'github.com': 'github',
  'gitlab.com': 'gitlab',
  'codeberg.org': 'forgejo',
  'bitbucket.org': 'bitbucketCloud',
  'dev.azure.com': 'azureDevOps',
  'ssh.dev.azure.com': 'azureDevOps',
};

/** What the `GitRepository` spec block of one SCM holds (`spec.github`, `spec.gitlab`, …). */
export type ScmRepositorySpec = Record<string, string | number>;

/**
 * The provider block of GitOps Promoter's `GitRepository` for a manifest repository URL: `{ owner, name }` for
 * GitHub, Gitea, Forgejo and Bitbucket Cloud, `{ namespace, name, projectId }` for GitLab (subgroups kept in
 * the namespace), `{ project, name }` for Azure DevOps (`dev.azure.com/<org>/<project>/_git/<repo>` or
 * `ssh.dev.azure.com:v3/<org>/<project>/<repo>`). The provider is `scm` when given, else known from the host.
 */
export function scmRepositorySpec(options: { url: string; scm?: ScmKind; gitlabProjectId?: number }): { scm: ScmKind; spec: ScmRepositorySpec } {
  const { host, segments } = splitRepositoryUrl(options.url);
  const scm = options.scm ?? KNOWN_HOSTS[host];
  if (!scm) {
    throw new GitopsError(`Cannot tell which SCM hosts "${options.url}".`, {
      hint: `Pass --scm with one of ${SCM_KINDS.join(', ')}.`,
    });
  }
  const refuse = (shape: string): never => {
    throw new GitopsError(`The manifest repository "${options.url}" is not a ${scm} repository URL (${shape}).`, {
      hint: 'Check --manifestRepository (or the "manifestRepository" plugin option), or pass the right --scm.',
    });
  };
  if (scm === 'azureDevOps') {
    // https: <org>/<project>/_git/<repo>; ssh: v3/<org>/<project>/<repo>.
    const parts = segments[0] === 'v3' ? segments.slice(2) : segments[2] === '_git' ? [segments[1], segments[3]] : [];
    if (parts.length !== 2 || !parts[0] || !parts[1]) refuse('dev.azure.com/<organization>/<project>/_git/<repository>');
    return { scm, spec: { project: decodeURIComponent(parts[0]), name: parts[1] } };
  }
  if (segments.length < 2) refuse('<owner>/<repository>');
  const name = segments[segments.length - 1];
  if (scm === 'gitlab') {
    const projectId = options.gitlabProjectId;
    if (projectId === undefined || !Number.isInteger(projectId) || projectId < 0) {
      throw new GitopsError('A GitLab GitRepository needs the numeric project ID.', {
        hint: 'Pass --gitlabProjectId (shown on the project page of GitLab, under the project name).',
      });
    }
    return { scm, spec: { namespace: segments.slice(0, -1).join('/'), name, projectId } };
  }
  if (segments.length !== 2) refuse('<owner>/<repository>');
  return { scm, spec: { owner: segments[0], name } };
}
