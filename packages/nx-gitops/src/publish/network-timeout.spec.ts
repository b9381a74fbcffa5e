import { startStallingServer, type StallingServer } from '../testing/stalling-server';
import { createPublishSandbox, writeRenderOutput, type PublishSandbox } from '../testing/publish-fixtures';
import { publishManifests } from './publish-manifests';
import type { PublishTarget } from './request';

jest.setTimeout(60_000);

const TOKEN = 'nxg_TimeoutTestToken0123456789ab';

describe('a server that accepts and never answers', () => {
  let sandbox: PublishSandbox;
  let server: StallingServer;

  beforeEach(async () => {
    sandbox = await createPublishSandbox();
    server = await startStallingServer();
  });
  afterEach(async () => {
    await server.close();
    sandbox.cleanup();
  });

  it('fails in bounded time, naming the URL without credentials and the option that raises the limit', async () => {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'v: 1\n' });
    const url = `${server.baseUrl}/manifests.git`;
    const target: PublishTarget = {
      id: 'foo',
      project: 'foo',
      configuration: 'production',
      options: { manifestRepository: url.replace('http://', 'http://ci:url-secret-1234@'), networkTimeoutSeconds: 3, maxAttempts: 3 },
    };
    const started = Date.now();
    const result = await publishManifests({ workspaceRoot: sandbox.workspace, targets: [target], env: { NX_GITOPS_TOKEN: TOKEN }, cacheRoot: sandbox.cacheRoot, sleep: async () => undefined });
    const elapsed = Date.now() - started;
    expect(server.connections()).toBeGreaterThan(0);
    expect(result.outcomes[0].status).toBe('failed');
    const error = result.outcomes[0].error ?? '';
    expect(error).toContain(`The manifest repository ${url} did not answer in time while trying to list its branches`);
    expect(error).toContain('networkTimeoutSeconds');
    expect(error).not.toContain('url-secret-1234');
    expect(error).not.toContain(TOKEN);
    // One stalled call per attempt at most, each bounded by the timeout.
    expect(elapsed).toBeLessThan(3 * 3_000 + 10_000);
  });
});
