import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { GitopsError } from '../lib/errors';
import { createLogger, recordingSink, silentLogger } from '../lib/log';
import { startGitHubApiStandIn, type GitHubApiStandIn } from '../testing/github-api-stand-in';
import { branchLog, branchTip, createPublishSandbox, git, readBranchFile, writeRenderOutput, type PublishSandbox } from '../testing/publish-fixtures';
import { githubApiToken } from './github-api';
import type { PublishManifestOptions } from './options';
import { publishManifests } from './publish-manifests';
import { detectForge, forgeRepositoryPath, githubApiUrl, pullRequestBody, pullRequestBranchPattern, pullRequestSourceCommit, resolvePullRequestBranch } from './pull-request';
import type { PublishReport } from './report';

jest.setTimeout(60_000);

const TOKEN = 'ghp_standInToken1234567890';
const noWait = async () => undefined;

describe('forge, repository and API URL from the manifest repository', () => {
  it.each([
    ['https://github.com/acme/manifests.git', {}, 'github'],
    ['git@github.com:acme/manifests.git', {}, 'github'],
    ['https://ghe.example.com/acme/manifests.git', { GITHUB_SERVER_URL: 'https://ghe.example.com' }, 'github'],
    ['https://gitlab.com/acme/deploy/manifests.git', {}, 'gitlab'],
    ['https://gitlab.example.com/acme/manifests.git', {}, 'gitlab'],
    ['https://git.example.com/acme/manifests.git', { CI_SERVER_HOST: 'git.example.com' }, 'gitlab'],
  ])('%s is on %s', (repository, env, forge) => {
    expect(detectForge({ repository, env })).toBe(forge);
  });

  it('refuses a repository whose forge it cannot tell, naming the forge option', () => {
    let thrown: unknown;
    try {
      detectForge({ repository: '/srv/manifests.git', env: {} });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GitopsError);
    expect((thrown as GitopsError).hint).toMatch(/"forge" option/);
    expect(detectForge({ repository: '/srv/manifests.git', env: {}, forge: 'gitlab' })).toBe('gitlab');
  });

  it.each([
    ['https://github.com/acme/manifests.git', 'acme/manifests'],
    ['git@github.com:acme/manifests', 'acme/manifests'],
    ['ssh://git@ghe.example.com/acme/manifests.git', 'acme/manifests'],
    ['/srv/git/acme/manifests.git', 'acme/manifests'],
  ])('%s is %s', (repository, path) => {
    expect(forgeRepositoryPath(repository)).toBe(path);
  });

  it('finds the GitHub API: the option, GITHUB_API_URL for the server the workflow runs on, api.github.com, /api/v3', () => {
    expect(githubApiUrl({ repository: 'https://github.com/a/b.git', env: {} })).toBe('https://api.github.com');
    expect(githubApiUrl({ repository: 'https://ghe.example.com/a/b.git', env: {} })).toBe('https://ghe.example.com/api/v3');
    expect(
      githubApiUrl({ repository: 'https://ghe.example.com/a/b.git', env: { GITHUB_SERVER_URL: 'https://ghe.example.com', GITHUB_API_URL: 'https://ghe.example.com/api/v3/' } }),
    ).toBe('https://ghe.example.com/api/v3');
    // A workflow on github.com publishing to an Enterprise server does not send its API calls to github.com.
    expect(githubApiUrl({ repository: 'https://ghe.example.com/a/b.git', env: { GITHUB_SERVER_URL: 'https://github.com', GITHUB_API_URL: 'https://api.github.com' } })).toBe(
      'https://ghe.example.com/api/v3',
    );
    expect(githubApiUrl({ repository: 'https://github.com/a/b.git', env: {}, forgeApiUrl: 'http://127.0.0.1:1234/' })).toBe('http://127.0.0.1:1234');
  });

  it('expands the pull-request branch template and matches the branches of other source commits only', () => {
    const values = { project: 'foo', environment: 'production', branch: 'foo/production', sourceCommit: 'a'.repeat(40), shortSourceCommit: 'aaaaaaa' };
    expect(resolvePullRequestBranch({ template: '{branch}-pr/{shortSourceCommit}', values })).toBe('foo/production-pr/aaaaaaa');
    expect(() => resolvePullRequestBranch({ template: '{branch}-pr', values })).toThrow(/pullRequestBranch/);
    const pattern = pullRequestBranchPattern({ template: '{branch}-pr/{shortSourceCommit}', values });
    expect(pattern.test('foo/production-pr/bbbbbbb')).toBe(true);
    expect(pattern.test('foo/production-pr/aaaaaaa')).toBe(true);
    expect(pattern.test('foo/staging-pr/bbbbbbb')).toBe(false);
    expect(pattern.test('foo/production-pr/bbbbbbb/x')).toBe(false);
  });

  it('reads the source commit of a pull-request branch: the body\'s Source-Commit when it agrees with the branch name, else the name', () => {
    const values = { project: 'foo', environment: 'production', branch: 'foo/production', sourceCommit: 'a'.repeat(40), shortSourceCommit: 'aaaaaaa' };
    const headPattern = pullRequestBranchPattern({ template: '{branch}-pr/{shortSourceCommit}', values });
    const full = `bbbbbbb${'c'.repeat(33)}`;
    const body = (sha: string) => `Publishes …\n\n\`\`\`text\nSource-Commit: ${sha}\nBuild-Url: https://ci.example.com/1\n\`\`\``;
    expect(pullRequestSourceCommit({ headPattern, headRef: 'foo/production-pr/bbbbbbb', body: body(full) })).toBe(full);
    // A body whose trailer names another commit (edited by hand) does not override the branch.
    expect(pullRequestSourceCommit({ headPattern, headRef: 'foo/production-pr/bbbbbbb', body: body('d'.repeat(40)) })).toBe('bbbbbbb');
    expect(pullRequestSourceCommit({ headPattern, headRef: 'foo/production-pr/bbbbbbb', body: null })).toBe('bbbbbbb');
    expect(pullRequestSourceCommit({ headPattern, headRef: 'foo/staging-pr/bbbbbbb', body: body(full) })).toBeNull();
    const both = pullRequestBranchPattern({ template: '{branch}-pr/{shortSourceCommit}-{sourceCommit}', values });
    expect(pullRequestSourceCommit({ headPattern: both, headRef: `foo/production-pr/bbbbbbb-${full}` })).toBe(full);
    expect(pullRequestSourceCommit({ headPattern: both, headRef: `foo/production-pr/ddddddd-${full}` })).toBeNull();
  });
});

describe('the pull request body', () => {
  it('fits one GitHub body (65,536 characters): object diffs are left out first, then the text is cut, saying so', () => {
    const workspaceRoot = mkdtempSync(join(tmpdir(), 'nx-gitops-pr-body-'));
    try {
      const dir = join(workspaceRoot, 'dist/manifests/foo/production');
      mkdirSync(dir, { recursive: true });
      const rendered = {
        project: 'foo',
        environment: 'production',
        manifestFile: join(dir, 'manifest.yaml'),
        imagesFile: join(dir, 'images.json'),
        images: { project: 'foo', environment: 'production', sourceCommit: 'a'.repeat(40), images: [] },
      };
      const message = `foo/production: render aaaaaaa\n\nSource-Commit: ${'a'.repeat(40)}\nBuild-Url: https://ci.example.com/1`;
      const changedObjects = (count: number, diffLength: number) =>
        Array.from({ length: count }, (_, index) => ({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: null,
          name: `cm-${index}`,
          key: `v1 ConfigMap cm-${index}`,
          change: 'changed',
          diff: `@@ -1 +1 @@\n-${'o'.repeat(diffLength)}\n+${'n'.repeat(diffLength)}\n`,
        }));
      const writeDiff = (objects: unknown[]) =>
        writeFileSync(
          join(dir, 'diff.json'),
          JSON.stringify({
            project: 'foo',
            environment: 'production',
            status: 'changed',
            repository: 'https://git.example.com/acme/manifests.git',
            branch: 'foo/production',
            path: 'manifest.yaml',
            baseCommit: 'b'.repeat(40),
            baseExists: true,
            sourceCommit: 'a'.repeat(40),
            counts: { added: 0, changed: objects.length, removed: 0, unchanged: 0, imagesChanged: 0 },
            objects,
            images: [],
          }),
        );
      const body = () => pullRequestBody({ workspaceRoot, rendered, targetBranch: 'foo/production', message, shortSourceCommit: 'aaaaaaa' });

      writeDiff(changedObjects(3, 100));
      expect(body()).toContain(`+${'n'.repeat(100)}`);

      writeDiff(changedObjects(3, 30_000));
      const withoutDiffs = body();
      expect(withoutDiffs.length).toBeLessThanOrEqual(65_536);
      expect(withoutDiffs).toContain('**Changed** (diffs cut to fit):');
      expect(withoutDiffs).not.toContain('n'.repeat(100));
      expect(withoutDiffs).toContain(`Source-Commit: ${'a'.repeat(40)}`);

      writeDiff(changedObjects(4_000, 10));
      const cut = body();
      expect(cut.length).toBeLessThanOrEqual(65_536);
      expect(cut).toContain('(cut to fit)');
      expect(cut).toContain(`Source-Commit: ${'a'.repeat(40)}`);
    } finally {
      rmSync(workspaceRoot, { recursive: true, force: true });
    }
  });
});

describe('the token for the GitHub API', () => {
  it('sends NX_GITOPS_TOKEN over https or to loopback, GITHUB_TOKEN only over https to GitHub', () => {
    expect(githubApiToken({ apiUrl: 'https://api.github.com', env: { GITHUB_TOKEN: 'gh-token' } })).toEqual({ token: 'gh-token', source: 'GITHUB_TOKEN' });
    expect(githubApiToken({ apiUrl: 'https://ghe.example.com/api/v3', env: { GITHUB_TOKEN: 'gh', GITHUB_SERVER_URL: 'https://ghe.example.com' } }).source).toBe('GITHUB_TOKEN');
    expect(githubApiToken({ apiUrl: 'http://127.0.0.1:9/', env: { NX_GITOPS_TOKEN: 'nx', GITHUB_TOKEN: 'gh' } }).source).toBe('NX_GITOPS_TOKEN');
    expect(() => githubApiToken({ apiUrl: 'https://git.example.com/api/v3', env: { GITHUB_TOKEN: 'gh-token' } })).toThrow(/may not be sent/);
    expect(() => githubApiToken({ apiUrl: 'http://git.example.com/api/v3', env: { NX_GITOPS_TOKEN: 'nx-token' } })).toThrow(/may not be sent/);
    expect(githubApiToken({ apiUrl: 'http://git.example.com/api/v3', env: { NX_GITOPS_TOKEN: 'nx' }, allowInsecureTransport: true }).source).toBe('NX_GITOPS_TOKEN');
  });
});

describe('pull-request mode against a real bare repository and the GitHub API stand-in', () => {
  let sandbox: PublishSandbox;
  let api: GitHubApiStandIn;
  let owner: string;

  beforeEach(async () => {
    sandbox = await createPublishSandbox();
    api = await startGitHubApiStandIn({ token: TOKEN });
    owner = basename(dirname(sandbox.remote));
  });
  afterEach(async () => {
    await api.close();
    sandbox.cleanup();
  });

  function publish(options: PublishManifestOptions, env: Record<string, string> = { NX_GITOPS_TOKEN: TOKEN }) {
    return publishManifests({
      workspaceRoot: sandbox.workspace,
      targets: [{ id: 'foo:publish-manifest:production', project: 'foo', configuration: 'production', options: { manifestRepository: sandbox.remote, ...options } }],
      env,
      cacheRoot: sandbox.cacheRoot,
      sleep: noWait,
    });
  }
  const pullRequestOptions = (): PublishManifestOptions => ({ pullRequest: true, forge: 'github', forgeApiUrl: api.url });
  const head = () => git(sandbox.workspace, ['rev-parse', 'HEAD']);
  const report = (): PublishReport => JSON.parse(readFileSync(join(sandbox.workspace, 'dist/manifests/publish-report.json'), 'utf8'));

  async function publishTargetBranch(): Promise<string> {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: ConfigMap\nmetadata:\n  name: one\n' });
    expect((await publish({})).success).toBe(true);
    return (await branchTip(sandbox.remote, 'foo/production'))!;
  }

  async function newSourceCommit(manifest: string, message = 'change'): Promise<string> {
    await git(sandbox.workspace, ['commit', '--quiet', '--allow-empty', '-m', message]);
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest });
    return head();
  }

  it('GitHub API stand-in: pushes <branch>-pr/<sha> from the target branch and opens a pull request into it', async () => {
    const target = await publishTargetBranch();
    const sha = await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
    const result = await publish(pullRequestOptions());

    expect(result.success).toBe(true);
    const prBranch = `foo/production-pr/${sha.slice(0, 7)}`;
    expect(await branchTip(sandbox.remote, 'foo/production')).toBe(target);
    expect(await readBranchFile(sandbox.remote, prBranch, 'manifest.yaml')).toContain('name: two');
    const [commit, parent] = await branchLog(sandbox.remote, prBranch);
    expect(parent.sha).toBe(target);
    expect(api.pulls).toHaveLength(1);
    const [pull] = api.pulls;
    expect(pull).toMatchObject({ state: 'open', head: { ref: prBranch }, base: { ref: 'foo/production' }, title: `foo/production: render ${sha.slice(0, 7)}` });
    expect(pull.body).toContain(`Source-Commit: ${sha}`);
    expect(pull.body).toContain('registry.example.com/foo:v1');
    expect(api.requests.every((request) => request.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(api.requests.some((request) => request.method === 'GET' && request.path.includes(`head=${encodeURIComponent(`${owner}:${prBranch}`)}`))).toBe(true);
    const [entry] = report().entries;
    expect(entry).toMatchObject({ status: 'created', branch: prBranch, commit: commit.sha });
    expect(entry.pullRequest).toEqual({
      forge: 'github',
      action: 'opened',
      headBranch: prBranch,
      targetBranch: 'foo/production',
      number: 1,
      url: pull.html_url,
      superseded: [],
      keptOpen: [],
    });
  });

  it('GitHub API stand-in: the body holds the diff-manifest summary when diff.json is for this render and branch', async () => {
    await publishTargetBranch();
    await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
    const diff = {
      project: 'foo',
      environment: 'production',
      status: 'changed',
      repository: sandbox.remote,
      branch: 'foo/production',
      path: 'manifest.yaml',
      baseCommit: null,
      baseExists: true,
      sourceCommit: null,
      counts: { added: 1, changed: 0, removed: 1, unchanged: 0, imagesChanged: 0 },
      objects: [
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: null, name: 'two', key: 'v1/ConfigMap/two', change: 'added' },
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: null, name: 'one', key: 'v1/ConfigMap/one', change: 'removed' },
      ],
      images: [],
    };
    writeFileSync(join(sandbox.workspace, 'dist/manifests/foo/production/diff.json'), JSON.stringify(diff));
    expect((await publish(pullRequestOptions())).success).toBe(true);
    expect(api.pulls[0].body).toContain('**1 added, 0 changed, 1 removed**');
    expect(api.pulls[0].body).toContain('v1/ConfigMap/two');
  });

  it('GitHub API stand-in: a second run for the same source commit updates the open pull request (idempotent)', async () => {
    await publishTargetBranch();
    await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
    expect((await publish(pullRequestOptions())).success).toBe(true);
    const again = await publish(pullRequestOptions());

    expect(again.success).toBe(true);
    expect(api.pulls).toHaveLength(1);
    expect(api.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
    expect(api.requests.some((request) => request.method === 'PATCH' && request.path.endsWith('/pulls/1'))).toBe(true);
    expect(report().entries[0]).toMatchObject({ status: 'unchanged', pullRequest: { action: 'updated', number: 1, url: api.pulls[0].html_url } });
  });

  it('GitHub API stand-in: a 422 "A pull request already exists" finds and updates that pull request', async () => {
    await publishTargetBranch();
    await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
    expect((await publish(pullRequestOptions())).success).toBe(true);
    api.staleHeadListings = 1;
    const again = await publish(pullRequestOptions());

    expect(again.success).toBe(true);
    expect(api.pulls).toHaveLength(1);
    expect(api.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/pulls'))).toHaveLength(2);
    expect(report().entries[0].pullRequest).toMatchObject({ action: 'updated', number: 1 });
  });

  it('GitHub API stand-in: a newer source commit supersedes the older open pull request (closed with a comment naming the new one)', async () => {
    await publishTargetBranch();
    const first = await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
    expect((await publish(pullRequestOptions())).success).toBe(true);
    const second = await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: three\n');
    const result = await publish(pullRequestOptions());

    expect(result.success).toBe(true);
    expect(api.pulls.map((pull) => [pull.number, pull.state, pull.head.ref])).toEqual([
      [1, 'closed', `foo/production-pr/${first.slice(0, 7)}`],
      [2, 'open', `foo/production-pr/${second.slice(0, 7)}`],
    ]);
    expect(api.comments.get(1)).toEqual([expect.stringContaining(api.pulls[1].html_url)]);
    expect(api.comments.get(2)).toBeUndefined();
    expect(report().entries[0].pullRequest).toMatchObject({ action: 'opened', number: 2, superseded: [{ number: 1, url: api.pulls[0].html_url }] });
  });

  /** Open pull requests into foo/production from other branches (a bot's, say), which the listing pages through. */
  function openUnrelatedPullRequests(standIn: GitHubApiStandIn, count: number): void {
    for (let index = 0; index < count; index++) {
      const number = standIn.pulls.length + 1;
      standIn.pulls.push({
        number,
        state: 'open',
        title: `bump ${index}`,
        body: '',
        html_url: `${standIn.url}/${owner}/remote/pull/${number}`,
        head: { ref: `renovate/bump-${index}`, repo: { full_name: `${owner}/remote` } },
        base: { ref: 'foo/production' },
      });
    }
  }

  it('GitHub API stand-in: supersedes an older pull request on the second page of the open ones (GitHub lists 100 a page)', async () => {
    await publishTargetBranch();
    openUnrelatedPullRequests(api, 150);
    const first = await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
    expect((await publish(pullRequestOptions())).success).toBe(true);
    await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: three\n');
    const result = await publish(pullRequestOptions());

    expect(result.success).toBe(true);
    const older = api.pulls.find((pull) => pull.head.ref === `foo/production-pr/${first.slice(0, 7)}`)!;
    expect(older).toMatchObject({ number: 151, state: 'closed' });
    expect(api.pulls.filter((pull) => pull.state === 'open')).toHaveLength(151);
    const listings = api.requests.filter((request) => request.method === 'GET' && request.path.includes('base='));
    expect(listings.some((request) => /[?&]page=2(&|$)/.test(request.path))).toBe(true);
    expect(listings.every((request) => /[?&]per_page=100(&|$)/.test(request.path))).toBe(true);
    expect(report().entries[0].pullRequest).toMatchObject({ superseded: [{ number: 151 }] });
  });

  it('GitHub API stand-in: a next page named on another host is not followed (the token stays with the API), and the target fails saying so', async () => {
    const elsewhere = await startGitHubApiStandIn({ token: TOKEN, nextPageUrl: (url) => url.replace(/^http:\/\/127\.0\.0\.1:\d+/, 'http://127.0.0.2:9') });
    try {
      await publishTargetBranch();
      openUnrelatedPullRequests(elsewhere, 101);
      await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
      const result = await publish({ pullRequest: true, forge: 'github', forgeApiUrl: elsewhere.url });
      expect(result.success).toBe(false);
      expect(report().entries[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('named a next page outside itself') });
      expect(report().entries[0].error).not.toContain(TOKEN);
    } finally {
      await elsewhere.close();
    }
  });

  it('GitHub API stand-in: a parallel source commit (another branch of history) does not supersede an open pull request', async () => {
    await publishTargetBranch();
    const fork = await head();
    const first = await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
    expect((await publish(pullRequestOptions())).success).toBe(true);
    await git(sandbox.workspace, ['checkout', '--quiet', '-b', 'other-line', fork]);
    const parallel = await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: three\n', 'change on another line');
    expect(parallel).not.toBe(first);
    const result = await publish(pullRequestOptions());

    expect(result.success).toBe(true);
    expect(api.pulls.map((pull) => [pull.state, pull.head.ref])).toEqual([
      ['open', `foo/production-pr/${first.slice(0, 7)}`],
      ['open', `foo/production-pr/${parallel.slice(0, 7)}`],
    ]);
    expect(api.comments.size).toBe(0);
    expect(report().entries[0].pullRequest).toMatchObject({
      action: 'opened',
      superseded: [],
      keptOpen: [{ number: 1, url: api.pulls[0].html_url, sourceCommit: first, reason: 'parallel' }],
    });
  });

  it('GitHub API stand-in: publishing an older source commit never closes the pull request of a newer one', async () => {
    await publishTargetBranch();
    const older = await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
    const newer = await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: three\n');
    expect((await publish(pullRequestOptions())).success).toBe(true);
    await git(sandbox.workspace, ['checkout', '--quiet', '--detach', older]);
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: ConfigMap\nmetadata:\n  name: two\n' });
    const result = await publish(pullRequestOptions());

    expect(result.success).toBe(true);
    expect(api.pulls.map((pull) => [pull.state, pull.head.ref])).toEqual([
      ['open', `foo/production-pr/${newer.slice(0, 7)}`],
      ['open', `foo/production-pr/${older.slice(0, 7)}`],
    ]);
    expect(report().entries[0].pullRequest?.keptOpen).toEqual([{ number: 1, url: api.pulls[0].html_url, sourceCommit: newer, reason: 'newer' }]);
  });

  it('GitHub API stand-in: in a shallow clone without the older source commit, its pull request stays open and the reason is logged', async () => {
    await publishTargetBranch();
    const first = await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
    expect((await publish(pullRequestOptions())).success).toBe(true);
    await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: three\n');
    // A CI checkout of depth 1: the newest commit only.
    const shallow = join(sandbox.dir, 'shallow');
    await git(sandbox.dir, ['clone', '--quiet', '--depth', '1', `file://${sandbox.workspace}`, shallow]);
    expect(await git(shallow, ['rev-parse', '--is-shallow-repository'])).toBe('true');
    writeRenderOutput({ workspace: shallow, project: 'foo', environment: 'production', manifest: 'kind: ConfigMap\nmetadata:\n  name: three\n' });
    const logged: string[] = [];
    const result = await publishManifests({
      workspaceRoot: shallow,
      targets: [{ id: 'foo:publish-manifest:production', project: 'foo', configuration: 'production', options: { manifestRepository: sandbox.remote, ...pullRequestOptions() } }],
      env: { NX_GITOPS_TOKEN: TOKEN },
      cacheRoot: sandbox.cacheRoot,
      sleep: noWait,
      loggerFor: () => createLogger({ sink: recordingSink(logged, silentLogger) }),
    });

    expect(result.success).toBe(true);
    expect(api.pulls.map((pull) => pull.state)).toEqual(['open', 'open']);
    expect(api.comments.size).toBe(0);
    expect(result.outcomes[0].pullRequest?.keptOpen).toEqual([{ number: 1, url: api.pulls[0].html_url, sourceCommit: first, reason: 'unknown' }]);
    expect(logged.join('\n')).toMatch(new RegExp(`Left pull request #1 open: its source commit ${first.slice(0, 7)} is not in this clone's history[^\\n]*fetch-depth: 0`));
  });

  it('GitHub API stand-in: a token the API rejects fails the target with the variable named; the branch stays, the report says the pull request failed', async () => {
    await publishTargetBranch();
    const sha = await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
    const wrong = 'ghp_rejectedToken0987654321';
    const result = await publish(pullRequestOptions(), { NX_GITOPS_TOKEN: wrong });

    expect(result.success).toBe(false);
    const prBranch = `foo/production-pr/${sha.slice(0, 7)}`;
    expect(await branchTip(sandbox.remote, prBranch)).not.toBeNull();
    expect(api.pulls).toHaveLength(0);
    const [outcome] = result.outcomes;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('NX_GITOPS_TOKEN');
    expect(outcome.error).toContain('401');
    const text = readFileSync(result.reportPath, 'utf8');
    expect(text).not.toContain(wrong);
    expect(JSON.stringify(result.outcomes)).not.toContain(wrong);
    const [entry] = report().entries;
    expect(entry).toMatchObject({ status: 'failed', branch: prBranch, pullRequest: { action: 'failed', url: null } });
    expect(entry.commit).toBe(await branchTip(sandbox.remote, prBranch));
  });

  it('GitHub API stand-in: fails before any API call without a token, naming the variables', async () => {
    await publishTargetBranch();
    await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
    const result = await publish(pullRequestOptions(), {});
    expect(result.success).toBe(false);
    expect(result.outcomes[0].error).toMatch(/NX_GITOPS_TOKEN/);
    expect(api.requests).toHaveLength(0);
  });

  it('GitHub API stand-in: a render equal to the target branch opens nothing and pushes no branch', async () => {
    await publishTargetBranch();
    const sha = await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: one\n');
    const result = await publish(pullRequestOptions());
    expect(result.success).toBe(true);
    expect(await branchTip(sandbox.remote, `foo/production-pr/${sha.slice(0, 7)}`)).toBeNull();
    expect(api.requests).toHaveLength(0);
    expect(report().entries[0]).toMatchObject({ status: 'unchanged', pullRequest: { action: 'unchanged', url: null } });
  });

  it('GitHub API stand-in: a dry run pushes nothing and calls no API', async () => {
    await publishTargetBranch();
    const sha = await newSourceCommit('kind: ConfigMap\nmetadata:\n  name: two\n');
    const result = await publish({ ...pullRequestOptions(), dryRun: true });
    expect(result.success).toBe(true);
    expect(await branchTip(sandbox.remote, `foo/production-pr/${sha.slice(0, 7)}`)).toBeNull();
    expect(api.requests).toHaveLength(0);
    expect(report().entries[0].pullRequest).toMatchObject({ action: 'dry-run', url: null });
  });

  it('GitHub API stand-in: a missing target branch fails before any push or API call, naming the pullRequest option', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
    const result = await publish(pullRequestOptions());
    expect(result.success).toBe(false);
    expect(result.outcomes[0].error).toMatch(/"foo\/production" does not exist[\s\S]*"pullRequest" option/);
    expect(api.requests).toHaveLength(0);
    expect(report().entries[0].pullRequest).toMatchObject({ action: 'failed', url: null });
  });

  it('refuses pull-request mode with promotion "next" or a baseBranch', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: A\n' });
    const next = await publish({ ...pullRequestOptions(), promotion: 'next' });
    expect(next.outcomes[0].error).toMatch(/"pullRequest"/);
    const base = await publish({ ...pullRequestOptions(), baseBranch: 'main' });
    expect(base.outcomes[0].error).toMatch(/"pullRequest"/);
  });
});

describe('pull-request mode on GitLab: push options on a real bare repository', () => {
  let sandbox: PublishSandbox;
  beforeEach(async () => {
    sandbox = await createPublishSandbox();
  });
  afterEach(() => sandbox.cleanup());

  it('pushes the pull-request branch with merge_request.create, .target and .title, seen by a pre-receive hook', async () => {
    const recorded = join(sandbox.dir, 'push-options.txt');
    await git(sandbox.remote, ['--git-dir', sandbox.remote, 'config', 'receive.advertisePushOptions', 'true']);
    const hook = join(sandbox.remote, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      `#!/bin/sh\ncat >/dev/null\ni=0\nwhile [ "$i" -lt "\${GIT_PUSH_OPTION_COUNT:-0}" ]; do\n  eval "echo \\"\\$GIT_PUSH_OPTION_$i\\"" >> '${recorded}'\n  i=$((i + 1))\ndone\necho pushed >> '${recorded}'\n`,
    );
    chmodSync(hook, 0o755);
    const publish = (options: PublishManifestOptions) =>
      publishManifests({
        workspaceRoot: sandbox.workspace,
        targets: [{ id: 'foo:publish-manifest:production', project: 'foo', configuration: 'production', options: { manifestRepository: sandbox.remote, ...options } }],
        env: {},
        cacheRoot: sandbox.cacheRoot,
        sleep: noWait,
      });
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: ConfigMap\nmetadata:\n  name: one\n' });
    expect((await publish({})).success).toBe(true);
    expect(readFileSync(recorded, 'utf8')).toBe('pushed\n');
    writeFileSync(recorded, '');

    await git(sandbox.workspace, ['commit', '--quiet', '--allow-empty', '-m', 'change']);
    const sha = await git(sandbox.workspace, ['rev-parse', 'HEAD']);
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'kind: ConfigMap\nmetadata:\n  name: two\n' });
    const result = await publish({ pullRequest: true, forge: 'gitlab' });

    expect(result.success).toBe(true);
    expect(readFileSync(recorded, 'utf8').split('\n').filter(Boolean)).toEqual([
      'merge_request.create',
      'merge_request.target=foo/production',
      `merge_request.title=foo/production: render ${sha.slice(0, 7)}`,
      'pushed',
    ]);
    expect(await readBranchFile(sandbox.remote, `foo/production-pr/${sha.slice(0, 7)}`, 'manifest.yaml')).toContain('name: two');
    const report = JSON.parse(readFileSync(result.reportPath, 'utf8')) as PublishReport;
    expect(report.entries[0].pullRequest).toMatchObject({ forge: 'gitlab', action: 'requested', targetBranch: 'foo/production' });
  });
});
