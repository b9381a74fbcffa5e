import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError } from '../lib/errors';
import { writeTestCredentialHelper } from '../testing/registry-credential-helper';
import { dockerConfigPath, findRegistryCredentials } from './docker-config';

describe('dockerConfigPath', () => {
  it.each([
    [{ dockerConfigDir: '/opt/ci/docker', env: { DOCKER_CONFIG: '/elsewhere', HOME: '/home/me' } }, '/opt/ci/docker/config.json'],
    [{ env: { DOCKER_CONFIG: '/elsewhere', HOME: '/home/me' } }, '/elsewhere/config.json'],
    [{ env: { HOME: '/home/me' } }, '/home/me/.docker/config.json'],
  ])('%j -> %s', (options, expected) => {
    expect(dockerConfigPath(options)).toBe(expected);
  });
});

describe('findRegistryCredentials', () => {
  let dir: string;
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  const writeConfig = (config: unknown) => writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const find = (registry: string, env: NodeJS.ProcessEnv = process.env) =>
    findRegistryCredentials({ registry, dockerConfigDir: dir, env, timeoutMs: 10_000 });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-docker-config-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('goes anonymous when the config file does not exist, and names the file it looked for', async () => {
    const lookup = await find('registry.example.com');
    expect(lookup).toEqual({ credentials: null, configPath: join(dir, 'config.json'), secrets: [] });
  });

  it('decodes base64 auth, matching keys written with a scheme and path', async () => {
    writeConfig({ auths: { 'https://registry.example.com/v1/': { auth: base64('ci-user:pa:ss') } } });
    const lookup = await find('registry.example.com');
    expect(lookup.credentials).toEqual({ username: 'ci-user', password: 'pa:ss', source: `auths in ${join(dir, 'config.json')}` });
    expect(lookup.secrets).toEqual(expect.arrayContaining([base64('ci-user:pa:ss'), 'pa:ss']));
  });

  it('reads username/password and identitytoken entries, and keeps ports apart', async () => {
    writeConfig({
      auths: {
        'localhost:5000': { username: 'u', password: 'local-password' },
        'localhost:5001': { identitytoken: 'refresh-token-value' },
      },
    });
    expect((await find('localhost:5000')).credentials).toMatchObject({ username: 'u', password: 'local-password' });
    expect((await find('localhost:5001')).credentials).toMatchObject({ identityToken: 'refresh-token-value' });
    expect((await find('localhost:5002')).credentials).toBeNull();
  });

  it('finds Docker Hub credentials under https://index.docker.io/v1/', async () => {
    writeConfig({ auths: { 'https://index.docker.io/v1/': { auth: base64('hub-user:hub-password') } } });
    expect((await find('registry-1.docker.io')).credentials).toMatchObject({ username: 'hub-user', password: 'hub-password' });
  });

  it('asks the credHelpers helper first, with the host on stdin, and reads "<token>" answers as identity tokens', async () => {
    const helper = writeTestCredentialHelper({
      dir,
      name: 'nxtest',
      credentials: {
        'registry.example.com': { username: 'helper-user', secret: 'helper-secret' },
        'tokens.example.com': { username: '<token>', secret: 'helper-refresh-token' },
      },
    });
    writeConfig({
      auths: { 'registry.example.com': { auth: base64('file-user:file-password') } },
      credHelpers: { 'registry.example.com': 'nxtest', 'tokens.example.com': 'nxtest' },
    });
    const lookup = await find('registry.example.com', helper.env);
    expect(lookup.credentials).toEqual({
      username: 'helper-user',
      password: 'helper-secret',
      source: `credential helper docker-credential-nxtest (credHelpers["registry.example.com"] in ${join(dir, 'config.json')})`,
    });
    expect((await find('tokens.example.com', helper.env)).credentials).toMatchObject({ identityToken: 'helper-refresh-token' });
    expect(readFileSync(helper.callsLog, 'utf8')).toBe('get registry.example.com\nget tokens.example.com\n');
  });

  it('asks the credsStore helper with the Docker Hub server URL, and falls back to auths when it has nothing', async () => {
    const helper = writeTestCredentialHelper({
      dir,
      name: 'store',
      credentials: { 'https://index.docker.io/v1/': { username: 'hub-user', secret: 'hub-secret' } },
    });
    writeConfig({ credsStore: 'store', auths: { 'other.example.com': { auth: base64('file-user:file-password') } } });
    expect((await find('registry-1.docker.io', helper.env)).credentials).toMatchObject({ username: 'hub-user', password: 'hub-secret' });
    expect((await find('other.example.com', helper.env)).credentials).toMatchObject({ username: 'file-user', password: 'file-password' });
    expect(readFileSync(helper.callsLog, 'utf8')).toBe('get https://index.docker.io/v1/\nget other.example.com\n');
  });

  it('names the helper and the config setting when the helper is not installed', async () => {
    writeConfig({ credHelpers: { 'registry.example.com': 'not-installed-anywhere' } });
    const text = describeError(await find('registry.example.com').catch((error: unknown) => error));
    expect(text).toContain('docker-credential-not-installed-anywhere');
    expect(text).toContain(`credHelpers["registry.example.com"] in ${join(dir, 'config.json')}`);
  });

  it('refuses a config that is not JSON without quoting its content', async () => {
    writeFileSync(join(dir, 'config.json'), '{"auths": {"x": {"auth": "c2VjcmV0LXZhbHVl"}');
    const text = describeError(await find('x').catch((error: unknown) => error));
    expect(text).toContain(`The docker config ${join(dir, 'config.json')} is not a JSON object.`);
    expect(text).not.toContain('c2VjcmV0LXZhbHVl');
  });
});
