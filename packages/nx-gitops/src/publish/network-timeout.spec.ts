import { join } from 'node:path';
import { findSecretLeaks } from '../testing/secret-scan';
import { startStallingServer, type StallingServer } from '../testing/stalling-server';
import { startGitHttpServer, type GitHttpServer } from '../testing/git-http-server';
import { createPublishSandbox, readBranchFile, writeRenderOutput, type PublishSandbox } from '../testing/publish-fixtures';
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
      options: { manifestRepository: url.replace('http://', 'http://ci:url-secret-1234@'), networkTimeoutSeconds: 3, maxAttempts: 2 },
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
    expect(findSecretLeaks({ secrets: [TOKEN, 'url-secret-1234'], texts: [JSON.stringify(result)], dirs: [sandbox.cacheRoot, join(sandbox.workspace, 'dist')] })).toEqual([]);
    // Tried maxAttempts times, one stalled call per attempt, each bounded by the timeout.
    expect(result.outcomes[0].attempts).toBe(2);
    expect(elapsed).toBeLessThan(2 * 3_000 + 10_000);
  });
});

describe('a server that answers 5xx for a while', () => {
  let sandbox: PublishSandbox;
  let server: GitHttpServer;
  let faults: number;

  beforeEach(async () => {
    sandbox = await createPublishSandbox();
    faults = 0;
    server = await startGitHttpServer({ projectRoot: sandbox.dir, password: TOKEN, fault: () => (faults-- > 0 ? 503 : undefined) });
  });
  afterEach(async () => {
    await server.close();
    sandbox.cleanup();
  });

  async function publish(maxAttempts: number) {
    writeRenderOutput({ workspace: sandbox.workspace, project: 'foo', environment: 'production', manifest: 'v: 1\n' });
    const target: PublishTarget = { id: 'foo', project: 'foo', configuration: 'production', options: { manifestRepository: `${server.baseUrl}/manifests.git`, maxAttempts } };
    const waits: number[] = [];
    const result = await publishManifests({ workspaceRoot: sandbox.workspace, targets: [target], env: { NX_GITOPS_TOKEN: TOKEN }, cacheRoot: sandbox.cacheRoot, sleep: async (ms) => void waits.push(ms) });
    return { result, waits };
  }

  it('tries again with backoff and publishes once the server recovers', async () => {
    faults = 2;
    const { result, waits } = await publish(5);
    expect(result.outcomes[0]).toMatchObject({ status: 'created', attempts: 3 });
    expect(waits).toHaveLength(2);
    expect(await readBranchFile(sandbox.remote, 'foo/production', 'manifest.yaml')).toBe('v: 1');
  });

  it('gives up after maxAttempts with the server error and the option to raise', async () => {
    faults = 100;
    const { result } = await publish(2);
    expect(result.outcomes[0]).toMatchObject({ status: 'failed', attempts: 2 });
    expect(result.outcomes[0].error).toContain('failed with a server error');
    expect(result.outcomes[0].error).toContain('503');
    expect(result.outcomes[0].error).toContain('"maxAttempts"');
    expect(findSecretLeaks({ secrets: [TOKEN], texts: [JSON.stringify(result)], dirs: [sandbox.cacheRoot, join(sandbox.workspace, 'dist')] })).toEqual([]);
  });
});
