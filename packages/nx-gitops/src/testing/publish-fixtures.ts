import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../lib/exec';
import type { RenderedImage, RenderedImagesFile } from '../manifests/render-output';

/** A fixed identity for commits made by tests (CI machines have none). */
export const TEST_GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

/** Runs git in `cwd` with the test identity and returns trimmed stdout. */
export async function git(cwd: string, args: readonly string[], input?: string): Promise<string> {
  return (await runCommand('git', args, { cwd, env: TEST_GIT_ENV, input })).stdout.trim();
}

/** A temp directory holding a workspace and a bare manifest repository; `cleanup` removes it all. */
export interface PublishSandbox {
  dir: string;
  workspace: string;
  /** The bare manifest repository's path. */
  remote: string;
  /** The same repository as a `file://` URL. */
  remoteUrl: string;
  cacheRoot: string;
  cleanup(): void;
}

/** Creates a sandbox: a workspace that is a git repository with one commit and an `origin`, and an empty bare repository. */
export async function createPublishSandbox(options: { origin?: string } = {}): Promise<PublishSandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'nx-gitops-publish-'));
  const workspace = join(dir, 'workspace');
  const remote = join(dir, 'manifests.git');
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    mkdirSync(workspace);
    await git(dir, ['init', '--quiet', '--bare', remote]);
    await git(workspace, ['init', '--quiet', '-b', 'main']);
    writeFileSync(join(workspace, 'README.md'), 'workspace\n');
    await git(workspace, ['add', 'README.md']);
    await git(workspace, ['commit', '--quiet', '-m', 'initial']);
    await git(workspace, ['remote', 'add', 'origin', options.origin ?? 'https://ci-user:s3cret-in-url@git.example.com/acme/monorepo.git']);
  } catch (error) {
    cleanup();
    throw error;
  }
  return {
    dir,
    workspace,
    remote,
    remoteUrl: `file://${remote}`,
    cacheRoot: join(workspace, 'node_modules', '.cache', 'nx-gitops', 'manifest-repositories'),
    cleanup,
  };
}

/** Writes what `render` would: `dist/manifests/<project>/<environment>/manifest.yaml` and `images.json`. */
export function writeRenderOutput(options: {
  workspace: string;
  project: string;
  environment: string;
  manifest: string;
  sourceCommit?: string | null;
  imageTags?: string[];
}): string {
  const dir = join(options.workspace, 'dist', 'manifests', options.project, options.environment);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.yaml'), options.manifest);
  const images: RenderedImage[] = (options.imageTags ?? ['v1']).map((tag) => ({
    name: options.project,
    repository: `registry.example.com/${options.project}`,
    tag,
    digest: null,
    reference: `registry.example.com/${options.project}:${tag}`,
  }));
  const file: RenderedImagesFile = {
    project: options.project,
    environment: options.environment,
    sourceCommit: options.sourceCommit === undefined ? null : options.sourceCommit,
    images,
  };
  writeFileSync(join(dir, 'images.json'), `${JSON.stringify(file, null, 2)}\n`);
  return dir;
}

/** The content of `path` on `branch` of a bare repository, or `null` when absent. */
export async function readBranchFile(remote: string, branch: string, path: string): Promise<string | null> {
  const result = await runCommand('git', ['--git-dir', remote, 'show', `refs/heads/${branch}:${path}`], { allowFailure: true });
  return result.exitCode === 0 ? result.stdout : null;
}

/** The files of `branch`, sorted. */
export async function branchFiles(remote: string, branch: string): Promise<string[]> {
  const out = await git(remote, ['--git-dir', remote, 'ls-tree', '-r', '--name-only', `refs/heads/${branch}`]);
  return out.split('\n').filter(Boolean).sort();
}

/** The commits of `branch`, newest first: id and full message. */
export async function branchLog(remote: string, branch: string): Promise<Array<{ sha: string; message: string }>> {
  const out = await git(remote, ['--git-dir', remote, 'log', '--format=%H%x00%B%x01', `refs/heads/${branch}`]);
  return out
    .split('\x01')
    .map((record) => record.replace(/^\n/, ''))
    .filter((record) => record.length > 0)
    .map((record) => {
      const [sha, message] = record.split('\0');
      return { sha, message };
    });
}

/** The branch's tip, or `null` when it does not exist. */
export async function branchTip(remote: string, branch: string): Promise<string | null> {
  const result = await runCommand('git', ['--git-dir', remote, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { allowFailure: true });
  return result.exitCode === 0 ? result.stdout.trim() : null;
}

/** Commits `files` onto `branch` of a bare repository directly (as another tool would), returning the commit. */
export async function commitToBareBranch(options: { remote: string; branch: string; files: Record<string, string>; message: string }): Promise<string> {
  const { remote } = options;
  const entries: string[] = [];
  for (const [name, content] of Object.entries(options.files)) {
    const blob = await git(remote, ['--git-dir', remote, 'hash-object', '-w', '--stdin'], content);
    entries.push(`100644 blob ${blob}\t${name}`);
  }
  const tree = await git(remote, ['--git-dir', remote, 'mktree'], `${entries.join('\n')}\n`);
  const parent = await branchTip(remote, options.branch);
  const commit = await git(remote, ['--git-dir', remote, 'commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', options.message]);
  await git(remote, ['--git-dir', remote, 'update-ref', `refs/heads/${options.branch}`, commit]);
  return commit;
}
