import { remoteAccess } from './auth';

const basic = (pair: string) => `Authorization: Basic ${Buffer.from(pair).toString('base64')}`;

describe('remoteAccess', () => {
  it('hands an https token to git through GIT_CONFIG_* scoped to the origin, never in the URL', () => {
    const access = remoteAccess({ repository: 'https://github.com/acme/manifests.git', env: { NX_GITOPS_TOKEN: 'tok-1', GITHUB_TOKEN: 'tok-2' } });
    expect(access.url).toBe('https://github.com/acme/manifests.git');
    expect(access.env).toMatchObject({
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.https://github.com/.extraHeader',
      GIT_CONFIG_VALUE_0: basic('x-access-token:tok-1'),
    });
    expect(access.secrets).toContain('tok-1');
  });

  it('falls back to GITHUB_TOKEN and keeps configuration the user already passes by environment', () => {
    const access = remoteAccess({
      repository: 'https://git.example.com:8443/m.git',
      env: { GITHUB_TOKEN: 'tok-2', GIT_CONFIG_COUNT: '2' },
    });
    expect(access.env).toMatchObject({
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_2: 'http.https://git.example.com:8443/.extraHeader',
      GIT_CONFIG_VALUE_2: basic('x-access-token:tok-2'),
    });
  });

  it('moves credentials out of the URL into the header', () => {
    const access = remoteAccess({ repository: 'https://ci:p%40ss@git.example.com/m.git', env: {} });
    expect(access.url).toBe('https://git.example.com/m.git');
    expect(access.env.GIT_CONFIG_VALUE_0).toBe(basic('ci:p@ss'));
    expect(access.secrets).toContain('p@ss');
  });

  it.each(['git@github.com:acme/m.git', 'ssh://git@github.com/acme/m.git', 'file:///srv/m.git', '/srv/m.git'])(
    'leaves %s to the user\'s git setup',
    (repository) => {
      const access = remoteAccess({ repository, env: { NX_GITOPS_TOKEN: 'tok-1' } });
      expect(access.url).toBe(repository);
      expect(access.env.GIT_CONFIG_COUNT).toBeUndefined();
      expect(access.secrets).toEqual([]);
    },
  );
});
