import { GitopsError } from '../lib/errors';
import { branchNameProblem, expandTemplate, repositoryPathProblem, resolveBranchName, resolveRepositoryPath, templateUses } from './templates';

const values = { project: 'foo', environment: 'production' };

describe('expandTemplate', () => {
  it('replaces every placeholder', () => {
    expect(expandTemplate({ template: '{project}/{environment}/{project}', values, option: 'branch' })).toBe('foo/production/foo');
  });

  it('refuses an unknown placeholder, naming the option and the known ones', () => {
    const error = (() => {
      try {
        expandTemplate({ template: '{env}', values, option: 'path' });
      } catch (caught) {
        return caught as GitopsError;
      }
    })();
    expect(error).toBeInstanceOf(GitopsError);
    expect(error?.message).toContain('{env}');
    expect(error?.hint).toContain('{project}, {environment}');
  });
});

describe('%name% placeholders and templates Nx interpolated', () => {
  it('replaces %name% as {name}, which Nx leaves alone on the command line', () => {
    expect(expandTemplate({ template: '%project%/%environment%-{project}', values, option: 'branch' })).toBe('foo/production-foo');
    expect(expandTemplate({ template: '100% of %project%', values, option: 'message' })).toBe('100% of foo');
    expect(() => expandTemplate({ template: '%projct%', values, option: 'branch' })).toThrow(/Unknown placeholder %projct%/);
  });

  it('rejects [object Object], what Nx makes of {project} in a CLI value, with the %project% hint', () => {
    const error = (() => {
      try {
        resolveBranchName({ template: '[object Object]/production', values });
      } catch (caught) {
        return caught as GitopsError;
      }
    })();
    expect(error?.message).toBe(
      'The "branch" template "[object Object]/production" contains "[object Object]": Nx replaced {project} in a command-line value before nx-gitops saw it.',
    );
    expect(error?.hint).toContain('%project%');
    expect(() => expandTemplate({ template: 'deploy [object Object]', values, option: 'message' })).toThrow(/"message" template/);
  });

  it('checks the template before expansion as well as the result', () => {
    expect(() => resolveBranchName({ template: '%project%/../%environment%', values })).toThrow(
      'Refusing the "branch" template "%project%/../%environment%": it contains "..".',
    );
    expect(() => resolveRepositoryPath({ template: '{project}/../../x.yaml', values })).toThrow(/Refusing the "path" template .*"\.\." component/);
    expect(() => resolveRepositoryPath({ template: '{environment}', values: { environment: '../x' } })).toThrow(
      'Refusing manifest path "../x" (from the "path" template "{environment}"): it contains a ".." component.',
    );
  });

  it('tells whether a template uses a placeholder in either syntax', () => {
    expect(templateUses('{project}/x', 'project')).toBe(true);
    expect(templateUses('%project%/x', 'project')).toBe(true);
    expect(templateUses('{environment}', 'project')).toBe(false);
  });
});

describe('branchNameProblem (git check-ref-format --branch, plus no leading "-")', () => {
  it.each(['foo/production', 'foo', 'team-a/foo/production', 'foo_1.2/prod', 'release/v1.0'])('accepts %s', (name) => {
    expect(branchNameProblem(name)).toBeNull();
  });

  it.each([
    ['', 'empty'],
    ['-x', 'option'],
    ['--upload-pack=x', 'option'],
    ['a..b', '".."'],
    ['a b', 'space'],
    ['a~1', 'space ~'],
    ['a^', 'space ~ ^'],
    ['a:b', ':'],
    ['a?', '?'],
    ['a*', '*'],
    ['a[b', '['],
    ['a\\b', '\\'],
    ['a\tb', 'control'],
    ['a\u007fb', 'control'],
    ['a@{1}', '@{'],
    ['@', 'reserved'],
    ['HEAD', 'reserved'],
    ['/a', 'empty path component'],
    ['a/', 'empty path component'],
    ['a//b', 'empty path component'],
    ['a.', 'ends with "."'],
    ['.a/b', 'starts with "."'],
    ['a/.b', 'starts with "."'],
    ['a.lock', '.lock'],
    ['a/b.lock/c', '.lock'],
  ])('refuses %j', (name, reason) => {
    expect(branchNameProblem(name)).toContain(reason);
  });
});

describe('repositoryPathProblem', () => {
  it.each(['manifest.yaml', 'apps/foo/production.yaml', '.argocd/app.yaml', 'a..b.yaml'])('accepts %s', (path) => {
    expect(repositoryPathProblem(path)).toBeNull();
  });

  it.each([
    ['', 'empty'],
    ['/etc/passwd', 'absolute'],
    ['C:/x.yaml', 'absolute'],
    ['-x.yaml', 'option'],
    ['../x.yaml', '".."'],
    ['a/../../x.yaml', '".."'],
    ['./x.yaml', '"."'],
    ['a//x.yaml', 'empty path component'],
    ['a/', 'empty path component'],
    ['.git/config', '.git'],
    ['a/.GIT/x', '.git'],
    ['a\\b.yaml', 'backslash'],
    ['a\nb.yaml', 'control'],
  ])('refuses %j', (path, reason) => {
    expect(repositoryPathProblem(path)).toContain(reason);
  });
});

describe('resolveBranchName / resolveRepositoryPath', () => {
  it('expand valid templates', () => {
    expect(resolveBranchName({ template: '{project}/{environment}', values })).toBe('foo/production');
    expect(resolveRepositoryPath({ template: '{environment}/{project}.yaml', values })).toBe('production/foo.yaml');
  });

  it('name the option that fixes an unsafe result', () => {
    expect(() => resolveBranchName({ template: '{project}/..', values, option: 'baseBranch' })).toThrow(/"baseBranch" template/);
    expect(() => resolveRepositoryPath({ template: '/{project}.yaml', values })).toThrow(/"path" template/);
  });
});
