import { isAtomicUnsupported, isAuthenticationFailure, parsePushPorcelain, refNameConflicts, remoteMessages } from './push-output';

describe('parsePushPorcelain', () => {
  it('classifies every ref of a real porcelain report', () => {
    const stdout = [
      'To file:///tmp/manifests.git',
      '*\taaaa:refs/heads/a/production\t[new branch]',
      ' \tbbbb:refs/heads/b/production\t1111..2222',
      '=\tcccc:refs/heads/c/production\t[up to date]',
      '!\tdddd:refs/heads/d/production\t[rejected] (fetch first)',
      '!\teeee:refs/heads/e/production\t[rejected] (non-fast-forward)',
      '!\tffff:refs/heads/f/production\t[remote rejected] (failed to update ref)',
      '!\t1234:refs/heads/g/production\t[rejected] (atomic push failed)',
      '!\t5678:refs/heads/h/production\t[remote rejected] (pre-receive hook declined)',
      '!\t9abc:refs/heads/i/production\t[remote rejected] (atomic push failure)',
      'Done',
    ].join('\n');
    const outcomes = Object.fromEntries([...parsePushPorcelain(stdout)].map(([ref, result]) => [ref.replace('refs/heads/', ''), result.outcome]));
    expect(outcomes).toEqual({
      'a/production': 'pushed',
      'b/production': 'pushed',
      'c/production': 'up-to-date',
      'd/production': 'retry',
      'e/production': 'retry',
      'f/production': 'retry',
      'g/production': 'retry',
      'h/production': 'failed',
      'i/production': 'retry',
    });
  });
});

describe('stderr classifiers', () => {
  it('recognise a server without atomic pushes', () => {
    expect(isAtomicUnsupported('fatal: the receiving end does not support --atomic push')).toBe(true);
    expect(isAtomicUnsupported('error: failed to push some refs')).toBe(false);
  });

  it.each([
    "fatal: Authentication failed for 'https://github.com/o/r.git/'",
    "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
    'fatal: unable to access \'https://x/\': The requested URL returned error: 403',
  ])('recognise an authentication failure: %s', (stderr) => {
    expect(isAuthenticationFailure(stderr)).toBe(true);
  });

  it('do not take other failures for authentication', () => {
    expect(isAuthenticationFailure("fatal: repository 'https://x/' not found")).toBe(false);
  });
});

describe('refNameConflicts and remoteMessages', () => {
  const stderr = [
    "remote: error: cannot lock ref 'refs/heads/s03/develop': 'refs/heads/s03' exists; cannot create 'refs/heads/s03/develop'        ",
    "remote: error: cannot lock ref 'refs/heads/s04/develop': Unable to create '/srv/r.git/refs/heads/s04/develop.lock': File exists.",
    'remote: policy: refs/heads/s07/develop is frozen',
    'remote: Resolving deltas: 100% (2/2), done.',
    "error: failed to push some refs to 'https://git.example.com/m.git'",
  ].join('\n');

  it('names the refs blocked by their name, not those locked by a concurrent push', () => {
    expect([...refNameConflicts(stderr)]).toEqual([['refs/heads/s03/develop', "'refs/heads/s03' exists; cannot create 'refs/heads/s03/develop'"]]);
  });

  it("keeps the server's own lines without progress", () => {
    expect(remoteMessages(stderr)).toEqual([
      "error: cannot lock ref 'refs/heads/s03/develop': 'refs/heads/s03' exists; cannot create 'refs/heads/s03/develop'",
      "error: cannot lock ref 'refs/heads/s04/develop': Unable to create '/srv/r.git/refs/heads/s04/develop.lock': File exists.",
      'policy: refs/heads/s07/develop is frozen',
    ]);
  });
});
