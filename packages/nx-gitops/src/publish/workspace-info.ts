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

/** The last value of each of `user.name` and `user.email` (as `git config --get` gives it), from one `git config -z --get-regexp`. */
function identityFrom(listing: string | null): { userName: string | null; userEmail: string | null } {
  const values = new Map<string, string>();
  for (const entry of (listing ?? '').split('\0')) {
    const newline = entry.indexOf('\n');
    if (newline > 0) values.set(entry.slice(0, newline).toLowerCase(), entry.slice(newline + 1));
  }
  return { userName: values.get('user.name') || null, userEmail: values.get('user.email') || null };
}

/** Reads the workspace's `HEAD`, `origin` URL, git identity and place in the repository; anything missing is `null`, never an error. */
export async function readWorkspaceGitInfo(workspaceRoot: string): Promise<WorkspaceGitInfo> {
  // Four processes: HEAD comes with its description, the identity in one config listing.
  const [origin, identity, prefix, described] = await Promise.all([
    gitValue(workspaceRoot, ['remote', 'get-url', 'origin']),
    gitValue(workspaceRoot, ['config', '-z', '--get-regexp', '^user\\.(name|email)$']),
    gitValue(workspaceRoot, ['rev-parse', '--show-prefix'], { allowEmpty: true }),
    gitValue(workspaceRoot, ['log', '-1', '--no-show-signature', '--format=%H%x00%an%x00%ae%x00%aI%x00%s%x00%b', 'HEAD']),
  ]);
  const { userName, userEmail } = identityFrom(identity);
  const fields = described?.split('\0');
  const head = fields && /^[0-9a-f]{40,64}$/.test(fields[0]) ? fields[0] : null;
  const source: SourceCommit | null =
    head && fields
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
