import { runCommand } from '../lib/exec';
import { appendGitConfig, remoteAccess } from './auth';

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
      env: { GITHUB_TOKEN: 'tok-2', GITHUB_SERVER_URL: 'https://git.example.com:8443', GIT_CONFIG_COUNT: '2' },
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

  describe('credential scoping', () => {
    it.each([
      ['https://gitlab.example.com/m.git', {}],
      ['http://github.com/acme/m.git', {}],
      ['http://127.0.0.1:8080/m.git', {}],
      ['https://ghe.example.com/m.git', { GITHUB_SERVER_URL: 'http://ghe.example.com' }],
      ['https://evil.example.com/m.git', { GITHUB_SERVER_URL: 'https://ghe.example.com' }],
    ])('does not send GITHUB_TOKEN to %s', (repository, extra: Record<string, string>) => {
      const access = remoteAccess({ repository, env: { GITHUB_TOKEN: 'tok-2', ...extra } });
      expect(access.env.GIT_CONFIG_COUNT).toBeUndefined();
      expect(access.credentials).toBeNull();
      expect(access.withheld).toContain('GITHUB_TOKEN');
    });

    it.each([
      ['https://github.com/acme/m.git', {}, 'github.com'],
      ['https://ghe.example.com/acme/m.git', { GITHUB_SERVER_URL: 'https://ghe.example.com/' }, 'ghe.example.com'],
    ])('sends GITHUB_TOKEN to %s', (repository, extra: Record<string, string>, host) => {
      const access = remoteAccess({ repository, env: { GITHUB_TOKEN: 'tok-2', ...extra } });
      expect(access.env.GIT_CONFIG_VALUE_0).toBe(basic('x-access-token:tok-2'));
      expect(access.credentials).toEqual({ source: 'GITHUB_TOKEN', host });
    });

    it.each(['http://127.0.0.1:8080/m.git', 'http://localhost/m.git', 'http://[::1]:9000/m.git', 'https://gitlab.example.com/m.git'])(
      'sends NX_GITOPS_TOKEN to %s (https or loopback)',
      (repository) => {
        const access = remoteAccess({ repository, env: { NX_GITOPS_TOKEN: 'tok-1' } });
        expect(access.env.GIT_CONFIG_VALUE_0).toBe(basic('x-access-token:tok-1'));
        expect(access.credentials?.source).toBe('NX_GITOPS_TOKEN');
      },
    );

    it('withholds NX_GITOPS_TOKEN and URL credentials over plain http to another host unless allowInsecureTransport', () => {
      for (const [repository, env] of [
        ['http://git.example.com/m.git', { NX_GITOPS_TOKEN: 'tok-1', GITHUB_TOKEN: 'tok-2' }],
        ['http://ci:pass@git.example.com/m.git', {}],
      ] as const) {
        const refused = remoteAccess({ repository, env });
        expect(refused.url).toBe('http://git.example.com/m.git');
        expect(refused.env.GIT_CONFIG_COUNT).toBeUndefined();
        expect(refused.credentials).toBeNull();
        expect(refused.withheld).toContain('allowInsecureTransport');
        const allowed = remoteAccess({ repository, env, allowInsecureTransport: true });
        expect(allowed.env.GIT_CONFIG_KEY_0).toBe('http.http://git.example.com/.extraHeader');
        expect(allowed.credentials?.host).toBe('git.example.com');
      }
    });

    it('says no credentials are sent when none are set', () => {
      const access = remoteAccess({ repository: 'https://git.example.com/m.git', env: {} });
      expect(access.credentials).toBeNull();
      expect(access.withheld).toBeUndefined();
    });
  });
});

describe('appendGitConfig', () => {
  it('numbers its entries after those the environment already passes, from 0 when the count is unset or invalid', () => {
    expect(appendGitConfig({ GIT_CONFIG_COUNT: '2' }, [['a.b', '1'], ['c.d', '2']])).toEqual({
      GIT_CONFIG_COUNT: '4',
      GIT_CONFIG_KEY_2: 'a.b',
      GIT_CONFIG_VALUE_2: '1',
      GIT_CONFIG_KEY_3: 'c.d',
      GIT_CONFIG_VALUE_3: '2',
    });
    for (const count of [undefined, '', 'x', '-1']) {
      expect(appendGitConfig({ GIT_CONFIG_COUNT: count }, [['a.b', '1']])).toEqual({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'a.b', GIT_CONFIG_VALUE_0: '1' });
    }
  });

  it('gives git both the settings already passed and the appended ones', async () => {
    const env: Record<string, string> = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'nx-gitops.first', GIT_CONFIG_VALUE_0: 'kept' };
    const merged = { ...env, ...appendGitConfig(env, [['nx-gitops.second', 'added']]) };
    const { stdout } = await runCommand('git', ['config', '--get-regexp', '^nx-gitops\\.'], { env: { ...merged, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }, cwd: '/' });
    expect(stdout.split('\n')).toEqual(['nx-gitops.first kept', 'nx-gitops.second added']);
  });
});
