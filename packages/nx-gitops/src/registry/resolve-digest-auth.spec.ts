import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError } from '../lib/errors';
import { createLogger } from '../lib/log';
import { pushTestImage, sha256Digest, startTestRegistry, TEST_REGISTRY_USER, type TestRegistry } from '../testing/oci-registry';
import { writeTestCredentialHelper } from '../testing/registry-credential-helper';
import { startTestTokenProxy, TEST_TOKEN_SERVICE, type TestTokenProxy } from '../testing/registry-token-proxy';
import { resolveImageDigest, resolveImageDigests } from './resolve-digest';

jest.setTimeout(60_000);

const base64 = (text: string) => Buffer.from(text).toString('base64');
const { username, password } = TEST_REGISTRY_USER;
const WRONG_PASSWORD = 'wrong-password-value';
const IDENTITY_TOKEN = 'identity-refresh-token-value';

/** Every form a secret of these tests could take in a message. */
const SECRET_FORMS = [password, base64(`${username}:${password}`), WRONG_PASSWORD, base64(`${username}:${WRONG_PASSWORD}`), IDENTITY_TOKEN];

function expectNoSecrets(text: string): void {
  for (const secret of SECRET_FORMS) expect(text).not.toContain(secret);
}

/** Collects what a logger prints, verbose lines included. */
function capturingLogger() {
  const lines: string[] = [];
  const sink = { info: (line: string) => lines.push(line), warn: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
  return { logger: createLogger({ sink, prefix: 'app/develop', isVerbose: true }), lines };
}

describe('resolveImageDigests against docker-registry with htpasswd basic auth on 127.0.0.1', () => {
  let registry: TestRegistry;
  let image: Buffer;
  let dir: string;
  let configDir: string;
  let reference: string;

  const writeConfig = (config: unknown) => writeFileSync(join(configDir, 'config.json'), JSON.stringify(config));

  beforeAll(async () => {
    registry = await startTestRegistry({ basicAuth: true });
    image = (await pushTestImage({ registry, repository: 'team/app', tag: 'production-e3a42e0', format: 'docker' })).bytes;
    reference = `${registry.host}/team/app:production-e3a42e0`;
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-registry-auth-'));
    configDir = join(dir, 'docker');
    mkdirSync(configDir);
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('uses base64 auth from config.json in dockerConfigDir', async () => {
    writeConfig({ auths: { [registry.host]: { auth: base64(`${username}:${password}`) } } });
    const { logger, lines } = capturingLogger();
    expect(await resolveImageDigest({ reference, dockerConfigDir: configDir, logger })).toBe(sha256Digest(image));
    expect(lines).toEqual([
      `[app/develop] ${registry.host}: basic auth, credentials: auths in ${join(configDir, 'config.json')}`,
      `[app/develop] ${reference} -> ${sha256Digest(image)}`,
    ]);
  });

  it('uses username/password from the config found through DOCKER_CONFIG', async () => {
    writeConfig({ auths: { [`http://${registry.host}`]: { username, password } } });
    const env = { ...process.env, DOCKER_CONFIG: configDir };
    expect(await resolveImageDigest({ reference, env })).toBe(sha256Digest(image));
  });

  it('uses the config under HOME/.docker when nothing else names one', async () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.docker'), { recursive: true });
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: base64(`${username}:${password}`) } } }));
    const env = { ...process.env, HOME: home, DOCKER_CONFIG: undefined };
    expect(await resolveImageDigest({ reference, env })).toBe(sha256Digest(image));
  });

  it('asks a credential helper named in credHelpers, once per registry', async () => {
    const helper = writeTestCredentialHelper({ dir, name: 'nxtest', credentials: { [registry.host]: { username, secret: password } } });
    writeConfig({ credHelpers: { [registry.host]: 'nxtest' } });
    await pushTestImage({ registry, repository: 'team/other', tag: '1.0', format: 'oci' });
    const digests = await resolveImageDigests({
      references: [reference, `${registry.host}/team/other:1.0`],
      dockerConfigDir: configDir,
      env: helper.env,
    });
    expect(digests.get(reference)).toBe(sha256Digest(image));
    expect(readFileSync(helper.callsLog, 'utf8')).toBe(`get ${registry.host}\n`);
  });

  it('fails with the registry and the config file when there are no credentials', async () => {
    const text = describeError(await resolveImageDigest({ reference, dockerConfigDir: configDir }).catch((caught: unknown) => caught));
    expect(text).toBe(
      `Registry ${registry.host} refused access to team/app (${reference}): 401 UNAUTHORIZED authentication required. ` +
        `Credentials: none found for ${registry.host} in ${join(configDir, 'config.json')}.\n` +
        `Hint: Log in with "docker login ${registry.host}" or add credentials for ${registry.host} to the docker config ` +
        '(DOCKER_CONFIG, the dockerConfigDir option, or ~/.docker/config.json); a repository that does not exist may also answer this way.',
    );
  });

  it('fails clearly with wrong credentials, naming where they came from and never showing them', async () => {
    writeConfig({ auths: { [registry.host]: { auth: base64(`${username}:${WRONG_PASSWORD}`) } } });
    const { logger, lines } = capturingLogger();
    const text = describeError(await resolveImageDigest({ reference, dockerConfigDir: configDir, logger }).catch((caught: unknown) => caught));
    expect(text).toContain(`Registry ${registry.host} refused access to team/app (${reference}): 401 UNAUTHORIZED`);
    expect(text).toContain(`Credentials: auths in ${join(configDir, 'config.json')}.`);
    expectNoSecrets(text);
    expectNoSecrets(lines.join('\n'));
  });

  it('fails clearly with wrong credentials from a credential helper', async () => {
    const helper = writeTestCredentialHelper({ dir, name: 'nxtest', credentials: { [registry.host]: { username, secret: WRONG_PASSWORD } } });
    writeConfig({ credHelpers: { [registry.host]: 'nxtest' } });
    const text = describeError(await resolveImageDigest({ reference, dockerConfigDir: configDir, env: helper.env }).catch((caught: unknown) => caught));
    expect(text).toContain(
      `Credentials: credential helper docker-credential-nxtest (credHelpers["${registry.host}"] in ${join(configDir, 'config.json')}).`,
    );
    expectNoSecrets(text);
  });
});

describe('resolveImageDigests with bearer tokens from a test token endpoint of our own in front of docker-registry', () => {
  let registry: TestRegistry;
  let image: Buffer;
  let dir: string;
  const proxies: TestTokenProxy[] = [];

  const tokenProxy = async (options: Omit<Parameters<typeof startTestTokenProxy>[0], 'backend' | 'auth'>) => {
    const started = await startTestTokenProxy({ backend: registry, auth: 'bearer', ...options });
    proxies.push(started);
    return started;
  };
  const writeConfig = (config: unknown) => writeFileSync(join(dir, 'config.json'), JSON.stringify(config));

  beforeAll(async () => {
    registry = await startTestRegistry();
    image = (await pushTestImage({ registry, repository: 'team/app', tag: '1.0', format: 'oci' })).bytes;
    await pushTestImage({ registry, repository: 'team/app', tag: '2.0', format: 'oci' });
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-registry-bearer-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  afterAll(async () => {
    for (const started of proxies) await started.stop();
    await registry?.stop();
  });

  it('gets an anonymous pull token for the scope the challenge names, once per repository', async () => {
    const proxy = await tokenProxy({ allowAnonymous: true });
    const references = [`${proxy.host}/team/app:1.0`, `${proxy.host}/team/app:2.0`];
    const digests = await resolveImageDigests({ references, dockerConfigDir: dir, concurrency: 1 });
    expect(digests.get(references[0])).toBe(sha256Digest(image));
    expect(proxy.tokenRequests.map(({ method, scope, service, account, granted }) => ({ method, scope, service, account, granted }))).toEqual([
      { method: 'GET', scope: 'repository:team/app:pull', service: TEST_TOKEN_SERVICE, account: null, granted: true },
    ]);
    expect(proxy.requests.map((request) => `${request.method} ${request.path} ${request.authorization} ${request.status}`)).toEqual([
      'HEAD /v2/team/app/manifests/1.0 none 401',
      'HEAD /v2/team/app/manifests/1.0 bearer 200',
      'HEAD /v2/team/app/manifests/2.0 bearer 200',
    ]);
  });

  it('exchanges docker config credentials for a token with basic auth', async () => {
    const proxy = await tokenProxy({ user: { username, password } });
    writeConfig({ auths: { [proxy.host]: { auth: base64(`${username}:${password}`) } } });
    expect(await resolveImageDigest({ reference: `${proxy.host}/team/app:1.0`, dockerConfigDir: dir })).toBe(sha256Digest(image));
    expect(proxy.tokenRequests).toMatchObject([{ method: 'GET', account: username, scope: 'repository:team/app:pull', granted: true }]);
  });

  it('exchanges an identitytoken with the OAuth2 refresh-token grant', async () => {
    const proxy = await tokenProxy({ identityToken: IDENTITY_TOKEN });
    writeConfig({ auths: { [proxy.host]: { identitytoken: IDENTITY_TOKEN } } });
    expect(await resolveImageDigest({ reference: `${proxy.host}/team/app:1.0`, dockerConfigDir: dir })).toBe(sha256Digest(image));
    expect(proxy.tokenRequests).toMatchObject([
      { method: 'POST', grantType: 'refresh_token', service: TEST_TOKEN_SERVICE, scope: 'repository:team/app:pull', granted: true },
    ]);
  });

  it('fails clearly when the token endpoint refuses the credentials, without showing them', async () => {
    const proxy = await tokenProxy({ user: { username, password } });
    writeConfig({ auths: { [proxy.host]: { username, password: WRONG_PASSWORD } } });
    const reference = `${proxy.host}/team/app:1.0`;
    const { logger, lines } = capturingLogger();
    const text = describeError(await resolveImageDigest({ reference, dockerConfigDir: dir, logger }).catch((caught: unknown) => caught));
    expect(text).toBe(
      `The token endpoint of registry ${proxy.host} refused a pull token for team/app: 401 Unauthorized. ` +
        `Credentials: auths in ${join(dir, 'config.json')}.\n` +
        `Hint: Log in with "docker login ${proxy.host}" or fix the credentials for ${proxy.host} in the docker config ` +
        '(DOCKER_CONFIG, the dockerConfigDir option, or ~/.docker/config.json).',
    );
    expectNoSecrets(text);
    expectNoSecrets(lines.join('\n'));
  });

  it('fails clearly when anonymous pulls are refused and no credentials exist', async () => {
    const proxy = await tokenProxy({ user: { username, password } });
    const text = describeError(await resolveImageDigest({ reference: `${proxy.host}/team/app:1.0`, dockerConfigDir: dir }).catch((caught: unknown) => caught));
    expect(text).toContain(`refused a pull token for team/app: 401 Unauthorized. Credentials: none found for ${proxy.host} in ${join(dir, 'config.json')}.`);
  });

  it('reports a missing image behind token auth as not found, with the hint', async () => {
    const proxy = await tokenProxy({ allowAnonymous: true });
    const reference = `${proxy.host}/team/app:9.9`;
    const text = describeError(await resolveImageDigest({ reference, dockerConfigDir: dir }).catch((caught: unknown) => caught));
    expect(text).toBe(
      `Image ${reference} was not found in registry ${proxy.host}: 404 MANIFEST_UNKNOWN manifest unknown.\n` +
        'Hint: Build and push the image first, or use digestSource: tag.',
    );
  });

  it('refuses to send credentials to a plain-HTTP token realm on a host not allowed plain HTTP', async () => {
    const proxy = await tokenProxy({ user: { username, password }, realm: 'http://auth.example.invalid/token' });
    writeConfig({ auths: { [proxy.host]: { username, password } } });
    const text = describeError(await resolveImageDigest({ reference: `${proxy.host}/team/app:1.0`, dockerConfigDir: dir }).catch((caught: unknown) => caught));
    expect(text).toBe(
      `Registry ${proxy.host} sends token requests to plain-HTTP http://auth.example.invalid; credentials are not sent there.\n` +
        'Hint: Add auth.example.invalid to insecureRegistries if that endpoint is trusted, or fix the registry\'s token realm.',
    );
    expect(proxy.tokenRequests).toEqual([]);
  });
});
