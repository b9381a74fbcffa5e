import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCommand } from '../../../lib/exec';

/**
 * One step of building a test repository, mirroring the helpers of skaffold's git_commit_test.go so its
 * expected commit and tree ids carry over unchanged.
 */
export type GitStep =
  | ['write', string, string]
  | ['mkdir', string]
  | ['add', ...string[]]
  | ['commit', string]
  | ['tag', string]
  | ['branch', string]
  | ['delete', string]
  | ['rename', string, string];

/** skaffold's fixtures commit as John Doe at this instant, for both author and committer. */
const identity = {
  GIT_AUTHOR_NAME: 'John Doe',
  GIT_AUTHOR_EMAIL: 'john@doe.org',
  GIT_AUTHOR_DATE: '2013-02-03T19:54:00-0700',
  GIT_COMMITTER_NAME: 'John Doe',
  GIT_COMMITTER_EMAIL: 'john@doe.org',
  GIT_COMMITTER_DATE: '2013-02-03T19:54:00-0700',
};

async function git(dir: string, args: string[], input?: string): Promise<string> {
  return (await runCommand('git', args, { cwd: dir, env: identity, input })).stdout.trim();
}

/**
 * Creates a git repository in `dir` (branch `master`) and applies `steps`. Files are written executable
 * (skaffold's go-git fixtures store mode 100755) and commits are made with `commit-tree` so the message has
 * no trailing newline, exactly as go-git writes it.
 */
export async function buildSkaffoldGitRepo(dir: string, steps: readonly GitStep[]): Promise<void> {
  await git(dir, ['init', '-q', '-b', 'master']);
  await git(dir, ['config', 'core.fileMode', 'true']);
  for (const step of steps) {
    switch (step[0]) {
      case 'write':
        fs.writeFileSync(path.join(dir, step[1]), step[2], { mode: 0o777 });
        fs.chmodSync(path.join(dir, step[1]), 0o755);
        break;
      case 'mkdir':
        fs.mkdirSync(path.join(dir, step[1]), { recursive: true });
        break;
      case 'add':
        await git(dir, ['add', '--', ...step.slice(1)]);
        break;
      case 'commit': {
        const tree = await git(dir, ['write-tree']);
        const parent = await runCommand('git', ['rev-parse', '--verify', '-q', 'HEAD'], { cwd: dir, allowFailure: true });
        const parentArgs = parent.exitCode === 0 ? ['-p', parent.stdout.trim()] : [];
        const commit = await git(dir, ['commit-tree', tree, ...parentArgs], step[1]);
        await git(dir, ['update-ref', 'HEAD', commit]);
        break;
      }
      case 'tag':
        await git(dir, ['update-ref', `refs/tags/${step[1]}`, 'HEAD']);
        break;
      case 'branch':
        await git(dir, ['checkout', '-q', '-b', step[1]]);
        break;
      case 'delete':
        fs.rmSync(path.join(dir, step[1]));
        break;
      case 'rename':
        fs.renameSync(path.join(dir, step[1]), path.join(dir, step[2]));
        break;
    }
  }
}
