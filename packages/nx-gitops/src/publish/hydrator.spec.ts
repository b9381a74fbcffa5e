import {
  activeBranchOf,
  formatHydratorNote,
  GITATTRIBUTES_CONTENT,
  httpsRepositoryUrl,
  hydratorFiles,
  hydratorMetadata,
  splitReferenceTrailers,
  type SourceCommit,
} from './hydrator';

const sha = '0123456789abcdef0123456789abcdef01234567';
const source: SourceCommit = {
  sha,
  repoUrl: 'https://git.example.com/acme/monorepo.git',
  author: 'Ada Lovelace <ada@example.com>',
  date: '2026-01-02T03:04:05+01:00',
  subject: 'feat: faster engine',
  body: 'Details.\n\nArgocd-reference-commit-sha: abcdef0123456789abcdef0123456789abcdef01\n' +
    'Argocd-reference-commit-repourl: https://git.example.com/acme/app.git\n' +
    'Argocd-reference-commit-author: Bob <bob@example.com>\n' +
    'Argocd-reference-commit-date: 2026-01-01T00:00:00Z\n' +
    'Argocd-reference-commit-subject: fix: the app\n' +
    'Signed-off-by: Ada Lovelace <ada@example.com>\n',
};

describe('httpsRepositoryUrl', () => {
  it.each([
    ['git@github.com:acme/monorepo.git', 'https://github.com/acme/monorepo.git'],
    ['ssh://git@git.example.com:2222/acme/monorepo.git', 'https://git.example.com/acme/monorepo.git'],
    ['git+ssh://git@git.example.com/acme/monorepo', 'https://git.example.com/acme/monorepo'],
    ['git://git.example.com/acme/monorepo.git', 'https://git.example.com/acme/monorepo.git'],
    ['http://git.example.com/acme/monorepo.git', 'https://git.example.com/acme/monorepo.git'],
    ['https://user:token@git.example.com/acme/monorepo.git', 'https://git.example.com/acme/monorepo.git'],
    ['https://git.example.com/acme/monorepo.git', 'https://git.example.com/acme/monorepo.git'],
  ])('%s becomes %s', (input, expected) => {
    expect(httpsRepositoryUrl(input)).toBe(expected);
  });

  it('leaves a local path or file:// URL as it is (it has no https form)', () => {
    expect(httpsRepositoryUrl('/srv/git/monorepo.git')).toBe('/srv/git/monorepo.git');
    expect(httpsRepositoryUrl('file:///srv/git/monorepo.git')).toBe('file:///srv/git/monorepo.git');
  });
});

describe('splitReferenceTrailers (Argo CD reads Argocd-reference-commit-* trailers into references)', () => {
  it('moves valid reference trailers out of the body and keeps every other line', () => {
    expect(splitReferenceTrailers(source.body)).toEqual({
      body: 'Details.\n\nSigned-off-by: Ada Lovelace <ada@example.com>',
      references: [
        {
          commit: {
            sha: 'abcdef0123456789abcdef0123456789abcdef01',
            repoUrl: 'https://git.example.com/acme/app.git',
            author: 'Bob <bob@example.com>',
            date: '2026-01-01T00:00:00Z',
            subject: 'fix: the app',
          },
        },
      ],
    });
  });

  it('keeps an invalid trailer as body text, as Argo CD does', () => {
    expect(splitReferenceTrailers('Argocd-reference-commit-sha: NOT-A-SHA\nArgocd-reference-commit-date: yesterday')).toEqual({
      body: 'Argocd-reference-commit-sha: NOT-A-SHA\nArgocd-reference-commit-date: yesterday',
      references: [],
    });
  });
});

describe('hydratorMetadata (the hydrator.metadata file Argo CD writes and GitOps Promoter reads)', () => {
  it('writes the fields in Argo CD order, two-space indented, with a trailing newline', () => {
    const text = hydratorMetadata({ source });
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "repoURL": ');
    const parsed = JSON.parse(text);
    expect(Object.keys(parsed)).toEqual(['repoURL', 'drySha', 'author', 'date', 'subject', 'body', 'references']);
    expect(parsed).toMatchObject({ repoURL: source.repoUrl, drySha: sha, author: source.author, date: source.date, subject: source.subject });
    expect(parsed.body).toBe('Details.\n\nSigned-off-by: Ada Lovelace <ada@example.com>');
    expect(parsed.references[0].commit.sha).toBe('abcdef0123456789abcdef0123456789abcdef01');
  });

  it('adds commands after drySha and leaves out empty fields', () => {
    const parsed = JSON.parse(hydratorMetadata({ source: { ...source, repoUrl: null, body: '' }, commands: ['npx nx run foo:render:production'] }));
    expect(Object.keys(parsed)).toEqual(['drySha', 'commands', 'author', 'date', 'subject']);
    expect(parsed.commands).toEqual(['npx nx run foo:render:production']);
  });
});

describe('hydratorFiles', () => {
  it('writes hydrator.metadata, .gitattributes and README.md at the root for a top-level path', () => {
    const files = hydratorFiles({ source, manifestDir: '', command: 'npx nx run foo:render:production' });
    expect(files.map((file) => file.path)).toEqual(['.gitattributes', 'README.md', 'hydrator.metadata']);
    expect(files[0].content).toBe(GITATTRIBUTES_CONTENT);
    expect(GITATTRIBUTES_CONTENT).toBe('**/README.md linguist-generated=true\n**/hydrator.metadata linguist-generated=true\n');
    expect(files[1].content).toContain(`git checkout ${sha}`);
    expect(files[1].content).toContain('npx nx run foo:render:production');
    expect(JSON.parse(files[2].content).commands).toBeUndefined();
  });

  it('adds the same files with commands in the folder of a path with a folder', () => {
    const files = hydratorFiles({ source, manifestDir: 'foo', command: 'npx nx run foo:render:production' });
    expect(files.map((file) => file.path)).toEqual(['.gitattributes', 'README.md', 'hydrator.metadata', 'foo/README.md', 'foo/hydrator.metadata']);
    expect(JSON.parse(files[4].content).commands).toEqual(['npx nx run foo:render:production']);
    expect(files[1].content).not.toContain('npx nx run');
    expect(files[3].content).toContain('npx nx run foo:render:production');
  });

  it('is a function of the source commit: nothing in it depends on the clock', () => {
    const a = hydratorFiles({ source, manifestDir: 'foo', command: 'c' });
    const b = hydratorFiles({ source, manifestDir: 'foo', command: 'c' });
    expect(a).toEqual(b);
  });
});

describe('activeBranchOf and formatHydratorNote', () => {
  it('names the active branch of a -next branch, and none of another', () => {
    expect(activeBranchOf('foo/production-next')).toBe('foo/production');
    expect(activeBranchOf('foo/production')).toBeNull();
    expect(activeBranchOf('-next')).toBeNull();
  });

  it('writes the note Argo CD writes to refs/notes/hydrator.metadata', () => {
    expect(formatHydratorNote(sha)).toBe(`{"drySha":"${sha}"}\n`);
  });
});
