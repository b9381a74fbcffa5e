import { buildUrlFromEnv, formatArgoCommitMessage, formatCommitMessage, withoutCredentials } from './commit-message';

const sha = '0123456789abcdef0123456789abcdef01234567';

describe('formatCommitMessage', () => {
  it('writes the default subject and every known trailer', () => {
    expect(
      formatCommitMessage({
        project: 'foo',
        environment: 'production',
        branch: 'foo/production',
        provenance: { sourceCommit: sha, sourceRepository: 'https://git.example.com/acme/app.git', buildUrl: 'https://ci.example.com/1' },
      }),
    ).toBe(
      `foo/production: render 0123456\n\nSource-Commit: ${sha}\nSource-Repository: https://git.example.com/acme/app.git\nBuild-Url: https://ci.example.com/1\n`,
    );
  });

  it('appends the trailers to a custom template and leaves out unknown ones', () => {
    expect(
      formatCommitMessage({
        template: 'deploy({environment}): {project} @ {sourceCommit} on {branch}',
        project: 'foo',
        environment: 'staging',
        branch: 'envs/staging',
        provenance: { sourceCommit: sha, sourceRepository: null, buildUrl: null },
      }),
    ).toBe(`deploy(staging): foo @ ${sha} on envs/staging\n\nSource-Commit: ${sha}\n`);
  });

  it('says "unknown" when there is no source commit', () => {
    expect(
      formatCommitMessage({ project: 'foo', environment: 'dev', branch: 'foo/dev', provenance: { sourceCommit: null, sourceRepository: null, buildUrl: null } }),
    ).toBe('foo/dev: render unknown\n');
  });

  it('refuses an empty message', () => {
    expect(() =>
      formatCommitMessage({ template: '  ', project: 'foo', environment: 'dev', branch: 'b', provenance: { sourceCommit: null, sourceRepository: null, buildUrl: null } }),
    ).toThrow(/empty message/);
  });
});

describe('buildUrlFromEnv', () => {
  it.each([
    [{ GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '7', GITHUB_RUN_ATTEMPT: '2' }, 'https://github.com/o/r/actions/runs/7/attempts/2'],
    [{ CI_JOB_URL: 'https://gitlab.com/o/r/-/jobs/9' }, 'https://gitlab.com/o/r/-/jobs/9'],
    [{ CIRCLE_BUILD_URL: 'https://circleci.com/gh/o/r/3' }, 'https://circleci.com/gh/o/r/3'],
    [{ BUILDKITE_BUILD_URL: 'https://buildkite.com/o/p/builds/4' }, 'https://buildkite.com/o/p/builds/4'],
    [{ BUILD_URL: 'https://jenkins.example.com/job/x/5/' }, 'https://jenkins.example.com/job/x/5/'],
    [{}, null],
  ])('%j gives %s', (env, url) => {
    expect(buildUrlFromEnv(env)).toBe(url);
  });
});

describe('withoutCredentials', () => {
  it.each([
    ['https://user:token@github.com/o/r.git', 'https://github.com/o/r.git'],
    ['https://token@github.com/o/r.git', 'https://github.com/o/r.git'],
    ['https://github.com/o/r.git', 'https://github.com/o/r.git'],
    ['git@github.com:o/r.git', 'git@github.com:o/r.git'],
    ['ssh://git@github.com/o/r.git', 'ssh://git@github.com/o/r.git'],
    ['/srv/git/manifests.git', '/srv/git/manifests.git'],
  ])('%s -> %s', (url, expected) => {
    expect(withoutCredentials(url)).toBe(expected);
  });
});

describe('formatArgoCommitMessage (the shape of Argo CD\'s default hydrator commit message)', () => {
  const source = {
    sha,
    repoUrl: 'https://git.example.com/acme/app.git',
    author: 'Ada Lovelace <ada@example.com>',
    date: '2026-01-02T03:04:05+01:00',
    subject: 'feat: faster engine',
    body: 'Why it is faster.\n\nArgocd-reference-commit-sha: abcdef0123456789abcdef0123456789abcdef01\nArgocd-reference-commit-author: Bob <bob@example.com>\n',
  };

  it('writes <sha7>: <subject>, the body, Co-authored-by for referenced and source authors, then our trailers', () => {
    expect(
      formatArgoCommitMessage({ source, provenance: { sourceCommit: sha, sourceRepository: 'https://git.example.com/acme/app.git', buildUrl: 'https://ci.example.com/1' } }),
    ).toBe(
      '0123456: feat: faster engine\n\nWhy it is faster.\n\n' +
        'Co-authored-by: Bob <bob@example.com>\nCo-authored-by: Ada Lovelace <ada@example.com>\n' +
        `Source-Commit: ${sha}\nSource-Repository: https://git.example.com/acme/app.git\nBuild-Url: https://ci.example.com/1\n`,
    );
  });

  it('has no body paragraph when the source commit has none, and marks a dirty source', () => {
    expect(formatArgoCommitMessage({ source: { ...source, body: '' }, provenance: { sourceCommit: sha, sourceRepository: null, buildUrl: null, sourceDirty: true } })).toBe(
      `0123456: feat: faster engine\n\nCo-authored-by: Ada Lovelace <ada@example.com>\nSource-Commit: ${sha}\nSource-Dirty: true\n`,
    );
  });
});
