import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitopsError } from '../../lib/errors';
import { buildSkaffoldGitRepo, type GitStep } from './__fixtures__/skaffold-git-repo';
import { gitCommitTag, normalizeGitCommitVariant, sanitizeTag, type GitCommitVariant } from './git-commit';
import { createGitInfoCache } from './git-info';

jest.setTimeout(60_000);

interface GitCase {
  description: string;
  /** false: a plain directory, not a repository. */
  git: boolean;
  steps: GitStep[];
  subDir: string;
  ignoreChanges: boolean;
  /** Expected tag per variant; '' means the tagger must throw. */
  expected: Record<GitCommitVariant, string>;
}

/** skaffold's TestGitCommit_GenerateTag table (pkg/skaffold/tag/git_commit_test.go), ids unchanged. */
const cases: GitCase[] = [
  {
    description: 'clean worktree without tag',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: 'eefe1b9', CommitSha: 'eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed', AbbrevCommitSha: 'eefe1b9', TreeSha: '3bed02ca656e336307e4eb4d80080d7221cba62c', AbbrevTreeSha: '3bed02c', Branches: 'master' },
  },
  {
    description: 'clean worktree with tag containing a slash',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['tag', 'v/1'], ['write', 'other.go', 'other'], ['add', 'other.go'], ['commit', 'second commit'], ['tag', 'v/2']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: 'v_2', CommitSha: 'aea33bcc86b5af8c8570ff45d8a643202d63c808', AbbrevCommitSha: 'aea33bc', TreeSha: 'bc69d50cda6897a6f2054e64b9059f038dc6fb0e', AbbrevTreeSha: 'bc69d50', Branches: 'master' },
  },
  {
    description: 'clean worktree with a branch',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['branch', 'branch'], ['commit', 'second']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: '589c4dc', CommitSha: '589c4dcf52df66d058c705db39f871dceacf6471', AbbrevCommitSha: '589c4dc', TreeSha: '3bed02ca656e336307e4eb4d80080d7221cba62c', AbbrevTreeSha: '3bed02c', Branches: 'branch' },
  },
  {
    description: 'clean worktree with a branch containing a slash',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['branch', 'branch/withslash']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: 'eefe1b9', CommitSha: 'eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed', AbbrevCommitSha: 'eefe1b9', TreeSha: '3bed02ca656e336307e4eb4d80080d7221cba62c', AbbrevTreeSha: '3bed02c', Branches: 'branch_withslash' },
  },
  {
    description: 'dirty worktree with tag containing a slash',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['tag', 'v/1'], ['write', 'other.go', 'other'], ['add', 'other.go'], ['commit', 'second commit'], ['tag', 'v/2'], ['write', 'other.go', 'updated code']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: 'v_2-dirty', CommitSha: 'aea33bcc86b5af8c8570ff45d8a643202d63c808-dirty', AbbrevCommitSha: 'aea33bc-dirty', TreeSha: 'bc69d50cda6897a6f2054e64b9059f038dc6fb0e-dirty', AbbrevTreeSha: 'bc69d50-dirty', Branches: 'master-dirty' },
  },
  {
    description: 'dirty worktree with ignore changes flag',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['tag', 'v/1'], ['write', 'other.go', 'other'], ['add', 'other.go'], ['commit', 'second commit'], ['tag', 'v/2'], ['write', 'other.go', 'updated code']],
    subDir: '',
    ignoreChanges: true,
    expected: { Tags: 'v_2', CommitSha: 'aea33bcc86b5af8c8570ff45d8a643202d63c808', AbbrevCommitSha: 'aea33bc', TreeSha: 'bc69d50cda6897a6f2054e64b9059f038dc6fb0e', AbbrevTreeSha: 'bc69d50', Branches: 'master' },
  },
  {
    description: 'clean worktree with tags',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['tag', 'v1'], ['write', 'other.go', 'other'], ['add', 'other.go'], ['commit', 'second commit'], ['tag', 'v2']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: 'v2', CommitSha: 'aea33bcc86b5af8c8570ff45d8a643202d63c808', AbbrevCommitSha: 'aea33bc', TreeSha: 'bc69d50cda6897a6f2054e64b9059f038dc6fb0e', AbbrevTreeSha: 'bc69d50', Branches: 'master' },
  },
  {
    description: 'clean worktree with ignore changes flag',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['tag', 'v1'], ['write', 'other.go', 'other'], ['add', 'other.go'], ['commit', 'second commit'], ['tag', 'v2']],
    subDir: '',
    ignoreChanges: true,
    expected: { Tags: 'v2', CommitSha: 'aea33bcc86b5af8c8570ff45d8a643202d63c808', AbbrevCommitSha: 'aea33bc', TreeSha: 'bc69d50cda6897a6f2054e64b9059f038dc6fb0e', AbbrevTreeSha: 'bc69d50', Branches: 'master' },
  },
  {
    description: 'treeSha only considers current tree content',
    git: true,
    steps: [['write', 'source.go', 'other code'], ['add', 'source.go'], ['commit', 'initial'], ['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'updated code'], ['tag', 'v1']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: 'v1', CommitSha: 'b2f7a7d62794237ac293eb07c6bcae3736b96231', AbbrevCommitSha: 'b2f7a7d', TreeSha: '3bed02ca656e336307e4eb4d80080d7221cba62c', AbbrevTreeSha: '3bed02c', Branches: 'master' },
  },
  {
    description: 'dirty worktree without tag',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['write', 'source.go', 'updated code']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: 'eefe1b9-dirty', CommitSha: 'eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed-dirty', AbbrevCommitSha: 'eefe1b9-dirty', TreeSha: '3bed02ca656e336307e4eb4d80080d7221cba62c-dirty', AbbrevTreeSha: '3bed02c-dirty', Branches: 'master-dirty' },
  },
  {
    description: 'dirty worktree with tag',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['tag', 'v1'], ['write', 'source.go', 'updated code']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: 'v1-dirty', CommitSha: 'eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed-dirty', AbbrevCommitSha: 'eefe1b9-dirty', TreeSha: '3bed02ca656e336307e4eb4d80080d7221cba62c-dirty', AbbrevTreeSha: '3bed02c-dirty', Branches: 'master-dirty' },
  },
  {
    description: 'untracked',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['write', 'new.go', 'new code']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: 'eefe1b9-dirty', CommitSha: 'eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed-dirty', AbbrevCommitSha: 'eefe1b9-dirty', TreeSha: '3bed02ca656e336307e4eb4d80080d7221cba62c-dirty', AbbrevTreeSha: '3bed02c-dirty', Branches: 'master-dirty' },
  },
  {
    description: 'tag plus one commit',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['tag', 'v1'], ['write', 'source.go', 'updated code'], ['add', 'source.go'], ['commit', 'changes']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: 'v1-1-g3cec6b9', CommitSha: '3cec6b950895704a8a69b610a199b242a3bd370f', AbbrevCommitSha: '3cec6b9', TreeSha: '81eea360f7f81bc5c187498a8d6c4337e0361374', AbbrevTreeSha: '81eea36', Branches: 'master' },
  },
  {
    description: 'deleted file',
    git: true,
    steps: [['write', 'source1.go', 'code1'], ['write', 'source2.go', 'code2'], ['add', 'source1.go', 'source2.go'], ['commit', 'initial'], ['delete', 'source1.go']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: '279d53f-dirty', CommitSha: '279d53fcc3ae34503aec382a49a41f6db6de9a66-dirty', AbbrevCommitSha: '279d53f-dirty', TreeSha: '039c20a072ceb72fb72d5883315df91659bb8ae4-dirty', AbbrevTreeSha: '039c20a-dirty', Branches: 'master-dirty' },
  },
  {
    description: 'rename',
    git: true,
    steps: [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['rename', 'source.go', 'source2.go']],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: 'eefe1b9-dirty', CommitSha: 'eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed-dirty', AbbrevCommitSha: 'eefe1b9-dirty', TreeSha: '3bed02ca656e336307e4eb4d80080d7221cba62c-dirty', AbbrevTreeSha: '3bed02c-dirty', Branches: 'master-dirty' },
  },
  {
    description: 'clean artifact1 in tagged repo',
    git: true,
    steps: [['mkdir', 'artifact1'], ['write', 'artifact1/source.go', 'code'], ['mkdir', 'artifact2'], ['write', 'artifact2/source.go', 'other code'], ['add', 'artifact1/source.go', 'artifact2/source.go'], ['commit', 'initial'], ['tag', 'v1']],
    subDir: 'artifact1/',
    ignoreChanges: false,
    expected: { Tags: 'v1', CommitSha: 'b610928dc27484cc56990bc77622aab0dbd67131', AbbrevCommitSha: 'b610928', TreeSha: '3bed02ca656e336307e4eb4d80080d7221cba62c', AbbrevTreeSha: '3bed02c', Branches: 'master' },
  },
  {
    description: 'clean artifact2 in tagged repo',
    git: true,
    steps: [['mkdir', 'artifact1'], ['write', 'artifact1/source.go', 'code'], ['mkdir', 'artifact2'], ['write', 'artifact2/source.go', 'other code'], ['add', 'artifact1/source.go', 'artifact2/source.go'], ['commit', 'initial'], ['tag', 'v1']],
    subDir: 'artifact2',
    ignoreChanges: false,
    expected: { Tags: 'v1', CommitSha: 'b610928dc27484cc56990bc77622aab0dbd67131', AbbrevCommitSha: 'b610928', TreeSha: '36651c832d8bf5ca1e84c6dc23bb8678fa51cf3e', AbbrevTreeSha: '36651c8', Branches: 'master' },
  },
  {
    description: 'clean artifact in dirty repo',
    git: true,
    steps: [['mkdir', 'artifact1'], ['write', 'artifact1/source.go', 'code'], ['mkdir', 'artifact2'], ['write', 'artifact2/source.go', 'other code'], ['add', 'artifact1/source.go', 'artifact2/source.go'], ['commit', 'initial'], ['tag', 'v1'], ['write', 'artifact2/source.go', 'updated code']],
    subDir: 'artifact1',
    ignoreChanges: false,
    expected: { Tags: 'v1', CommitSha: 'b610928dc27484cc56990bc77622aab0dbd67131', AbbrevCommitSha: 'b610928', TreeSha: '3bed02ca656e336307e4eb4d80080d7221cba62c', AbbrevTreeSha: '3bed02c', Branches: 'master' },
  },
  {
    description: 'updated artifact in dirty repo',
    git: true,
    steps: [['mkdir', 'artifact1'], ['write', 'artifact1/source.go', 'code'], ['mkdir', 'artifact2'], ['write', 'artifact2/source.go', 'other code'], ['add', 'artifact1/source.go', 'artifact2/source.go'], ['commit', 'initial'], ['tag', 'v1'], ['write', 'artifact2/source.go', 'updated code']],
    subDir: 'artifact2',
    ignoreChanges: false,
    expected: { Tags: 'v1-dirty', CommitSha: 'b610928dc27484cc56990bc77622aab0dbd67131-dirty', AbbrevCommitSha: 'b610928-dirty', TreeSha: '36651c832d8bf5ca1e84c6dc23bb8678fa51cf3e-dirty', AbbrevTreeSha: '36651c8-dirty', Branches: 'master-dirty' },
  },
  {
    description: 'additional commit in other artifact',
    git: true,
    steps: [['mkdir', 'artifact1'], ['write', 'artifact1/source.go', 'code'], ['mkdir', 'artifact2'], ['write', 'artifact2/source.go', 'other code'], ['add', 'artifact1/source.go', 'artifact2/source.go'], ['commit', 'initial'], ['write', 'artifact2/source.go', 'updated code'], ['add', 'artifact2/source.go'], ['commit', 'update artifact2']],
    subDir: 'artifact1',
    ignoreChanges: false,
    expected: { Tags: '0d16f59', CommitSha: '0d16f59900bd63dd39425d6085d3f1333b66804f', AbbrevCommitSha: '0d16f59', TreeSha: '3bed02ca656e336307e4eb4d80080d7221cba62c', AbbrevTreeSha: '3bed02c', Branches: 'master' },
  },
  {
    description: 'non git repo',
    git: false,
    steps: [],
    subDir: '',
    ignoreChanges: false,
    expected: { Tags: '', CommitSha: '', AbbrevCommitSha: '', TreeSha: '', AbbrevTreeSha: '', Branches: '' },
  },
  {
    description: 'git repo with no commit',
    git: true,
    steps: [],
    subDir: '',
    ignoreChanges: false,
    // skaffold answers "master" for Branches here; nx-gitops refuses to tag an image without a commit.
    expected: { Tags: '', CommitSha: '', AbbrevCommitSha: '', TreeSha: '', AbbrevTreeSha: '', Branches: '' },
  },];

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-gitops-git-commit-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function fixture(steps: GitStep[], isGit = true): Promise<string> {
  const dir = tempDir();
  if (isGit) await buildSkaffoldGitRepo(dir, steps);
  else fs.writeFileSync(path.join(dir, 'source.go'), 'code');
  return dir;
}

const variantNames: GitCommitVariant[] = ['Tags', 'CommitSha', 'AbbrevCommitSha', 'TreeSha', 'AbbrevTreeSha', 'Branches'];

describe('gitCommitTag (skaffold git_commit_test.go expectations, real git)', () => {
  it.each(cases)('$description', async (testCase) => {
    const dir = await fixture(testCase.steps, testCase.git);
    const workspaceDir = path.join(dir, testCase.subDir);
    const git = createGitInfoCache();
    for (const variant of variantNames) {
      const run = gitCommitTag({ tagger: { variant, ignoreChanges: testCase.ignoreChanges }, workspaceDir, git });
      const expected = testCase.expected[variant];
      if (expected === '') await expect(run).rejects.toBeInstanceOf(GitopsError);
      else await expect(run).resolves.toBe(expected);
    }
  });

  it('says clearly that a plain directory is not a git repository', async () => {
    const dir = await fixture([], false);
    await expect(gitCommitTag({ tagger: {}, workspaceDir: dir, git: createGitInfoCache() })).rejects.toThrow(
      /is not inside a git repository/,
    );
  });

  it('says clearly that a repository without commits has nothing to tag', async () => {
    const dir = await fixture([]);
    await expect(gitCommitTag({ tagger: {}, workspaceDir: dir, git: createGitInfoCache() })).rejects.toThrow(/has no commits/);
  });

  it('tags a sub directory with an empty tree by commit, and refuses TreeSha there (TestGitCommitSubDirectory)', async () => {
    const dir = await fixture([['mkdir', 'sub/sub'], ['commit', 'initial']]);
    const workspaceDir = path.join(dir, 'sub/sub');
    const git = createGitInfoCache();
    const tag = (variant: string) => gitCommitTag({ tagger: { variant }, workspaceDir, git });
    await expect(tag('Tags')).resolves.toBe('a7b32a6');
    await expect(tag('CommitSha')).resolves.toBe('a7b32a69335a6daa51bd89cc1bf30bd31df228ba');
    await expect(tag('AbbrevCommitSha')).resolves.toBe('a7b32a6');
    await expect(tag('TreeSha')).rejects.toBeInstanceOf(GitopsError);
    await expect(tag('AbbrevTreeSha')).rejects.toBeInstanceOf(GitopsError);
  });

  it('puts the prefix before the ref, unsanitised (TestPrefix)', async () => {
    const dir = await fixture([['commit', 'initial']]);
    const git = createGitInfoCache();
    await expect(gitCommitTag({ tagger: { prefix: 'tag-', variant: 'Tags' }, workspaceDir: dir, git })).resolves.toBe('tag-a7b32a6');
    await expect(gitCommitTag({ tagger: { prefix: 'commit-', variant: 'CommitSha' }, workspaceDir: dir, git })).resolves.toBe(
      'commit-a7b32a69335a6daa51bd89cc1bf30bd31df228ba',
    );
  });

  it('refuses a Branches tag on a detached HEAD instead of giving an empty tag', async () => {
    const dir = await fixture([['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial']]);
    fs.writeFileSync(path.join(dir, '.git', 'HEAD'), 'eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed\n');
    await expect(
      gitCommitTag({ tagger: { variant: 'Branches' }, workspaceDir: dir, git: createGitInfoCache() }),
    ).rejects.toThrow(/HEAD is detached/);
  });

  it('resolves a workspace reached through a symlink', async () => {
    const dir = await fixture([['mkdir', 'a'], ['write', 'a/x', 'x'], ['add', 'a/x'], ['commit', 'initial']]);
    const link = path.join(tempDir(), 'link');
    fs.symlinkSync(path.join(dir, 'a'), link);
    const tree = await gitCommitTag({ tagger: { variant: 'TreeSha' }, workspaceDir: link, git: createGitInfoCache() });
    expect(tree).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('normalizeGitCommitVariant', () => {
  it.each([
    ['', 'Tags'],
    [undefined, 'Tags'],
    ['tags', 'Tags'],
    ['COMMITSHA', 'CommitSha'],
    ['abbrevTreeSha', 'AbbrevTreeSha'],
    ['branches', 'Branches'],
  ])('%p is %s', (input, expected) => {
    expect(normalizeGitCommitVariant(input)).toBe(expected);
  });

  it('refuses an unknown variant (TestInvalidVariant)', () => {
    expect(() => normalizeGitCommitVariant('Invalid')).toThrow('"Invalid" is not a valid git tagger variant');
  });
});

describe('sanitizeTag (TestSanitizeTag)', () => {
  it.each([
    ['abcdefghijklmnopqrstuvwxyz', 'abcdefghijklmnopqrstuvwxyz'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
    ['0123456789-_.', '0123456789-_.'],
    ['_v1', '_v1'],
    ['v/1', 'v_1'],
    ['v%$@!1', 'v____1'],
    ['--v1', '__v1'],
    ['..v1', '__v1'],
  ])('%s -> %s', (input, expected) => {
    expect(sanitizeTag(input)).toBe(expected);
  });

  it('cuts to 128 characters', () => {
    expect(sanitizeTag('0123456789'.repeat(20))).toHaveLength(128);
  });
});
