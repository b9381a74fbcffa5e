import { runCommand } from '../lib/exec';
import { withoutCredentials } from './commit-message';
import { httpsRepositoryUrl, type SourceCommit } from './hydrator';

/** What the workspace's git repository tells about the source of a publish. */
export interface WorkspaceGitInfo {
  /** `HEAD`'s full commit, `null` outside a repository or before the first commit. */
  head: string | null;
  /** The `origin` remote's URL without credentials, when there is one. */
  origin: string | null;
  /** `user.name` / `user.email` from git config, when set. */
  userName: string | null;
  userEmail: string | null;
  /**
   * The workspace's path inside its repository, `''` at the top or ending in `/` (`git rev-parse
   * --show-prefix`); `null` outside a repository.
   */
  prefix: string | null;
  /** `HEAD` as the hydrator contract describes it (author, date, subject, body); `null` without a commit. */
  source: SourceCommit | null;
}

async function gitValue(workspaceRoot: string, args: readonly string[], options: { allowEmpty?: boolean } = {}): Promise<string | null> {
  const result = await runCommand('git', ['-C', workspaceRoot, ...args], { allowFailure: true });
  const value = result.stdout.trim();
  return result.exitCode === 0 && (value.length > 0 || options.allowEmpty) ? value : null;
}

/** Reads the workspace's `HEAD`, `origin` URL, git identity and place in the repository; anything missing is `null`, never an error. */
export async function readWorkspaceGitInfo(workspaceRoot: string): Promise<WorkspaceGitInfo> {
  const [head, origin, userName, userEmail, prefix, described] = await Promise.all([
    gitValue(workspaceRoot, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']),
    gitValue(workspaceRoot, ['remote', 'get-url', 'origin']),
    gitValue(workspaceRoot, ['config', '--get', 'user.name']),
    gitValue(workspaceRoot, ['config', '--get', 'user.email']),
    gitValue(workspaceRoot, ['rev-parse', '--show-prefix'], { allowEmpty: true }),
    gitValue(workspaceRoot, ['log', '-1', '--no-show-signature', '--format=%H%x00%an%x00%ae%x00%aI%x00%s%x00%b', 'HEAD']),
  ]);
  const fields = described?.split('\0');
  const source: SourceCommit | null =
    head && fields && fields[0] === head
      ? {
          sha: head,
          repoUrl: origin ? httpsRepositoryUrl(origin) : null,
          author: `${fields[1]} <${fields[2]}>`,
          date: fields[3],
          subject: fields[4],
          body: (fields[5] ?? '').trimEnd(),
        }
      : null;
  return { head, origin: origin ? withoutCredentials(origin) : null, userName, userEmail, prefix, source };
}
