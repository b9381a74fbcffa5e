import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findSecretLeaks } from '../testing/secret-scan';
import { startGitHttpServer, type GitHttpServer } from '../testing/git-http-server';
import { branchTip, commitToBareBranch, createPublishSandbox, readBranchFile, writeRenderOutput, type PublishSandbox } from '../testing/publish-fixtures';
import { publishManifests } from './publish-manifests';
import type { PublishTarget } from './request';

jest.setTimeout(60_000);

const TOKEN = 'nxg_BatchIsolationToken0123456789';
const services = Array.from({ length: 21 }, (_, index) => `s${String(index + 1).padStart(2, '0')}`);

describe('a ref the server rejects for its own reason fails alone', () => {
  let sandbox: PublishSandbox;
  let server: GitHttpServer;

  beforeEach(async () => {
    sandbox = await createPublishSandbox();
    server = await startGitHttpServer({ projectRoot: sandbox.dir, password: TOKEN });
  });
  afterEach(async () => {
    await server.close();
    sandbox.cleanup();
  });

  function targets(repository: string): PublishTarget[] {
    return services.map((project) => {
      writeRenderOutput({ workspace: sandbox.workspace, project, environment: 'develop', manifest: `${project}: 1\n` });
      return { id: `${project}:publish-manifest:develop`, project, configuration: 'develop', options: { manifestRepository: repository } };
    });
  }

  async function publish(repository: string) {
    const attemptsSlept: number[] = [];
    const result = await publishManifests({
      workspaceRoot: sandbox.workspace,
      targets: targets(repository),
      env: { NX_GITOPS_TOKEN: TOKEN },
      cacheRoot: sandbox.cacheRoot,
      sleep: async (ms) => void attemptsSlept.push(ms),
    });
    return { result, attemptsSlept };
  }

  it.each([
    ['file://', (s: PublishSandbox) => s.remoteUrl],
    ['smart HTTP', () => `${server.baseUrl}/manifests.git`],
  ])('publishes 20 of 21 over %s when a branch named after a service exists', async (_, url) => {
    await commitToBareBranch({ remote: sandbox.remote, branch: 's03', files: { 'x.txt': 'x' }, message: 'a branch named like a service' });
    const { result } = await publish(url(sandbox));
    expect(result.success).toBe(false);
    const failed = result.outcomes.filter((outcome) => outcome.status === 'failed');
    expect(failed.map((outcome) => [outcome.project, outcome.attempts])).toEqual([['s03', 1]]);
    expect(failed[0].error).toContain("'refs/heads/s03' exists");
    expect(failed[0].error).toContain('"branch" option');
    expect(result.outcomes.filter((outcome) => outcome.status === 'created')).toHaveLength(20);
    expect(Math.max(...result.outcomes.map((outcome) => outcome.attempts))).toBeLessThanOrEqual(2);
    for (const project of services.filter((name) => name !== 's03')) {
      expect(await readBranchFile(sandbox.remote, `${project}/develop`, 'manifest.yaml')).toBe(`${project}: 1`);
    }
    expect(await branchTip(sandbox.remote, 's03/develop')).toBeNull();
    expect(findSecretLeaks({ secrets: [TOKEN], texts: [JSON.stringify(result)], dirs: [sandbox.cacheRoot, join(sandbox.workspace, 'dist')] })).toEqual([]);
  });

  it('publishes the others when a pre-receive hook rejects one ref, with the hook\'s message', async () => {
    const hook = join(sandbox.remote, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      '#!/bin/sh\nwhile read old new ref; do case "$ref" in refs/heads/s07/*) echo "policy: $ref is frozen" >&2; exit 1;; esac; done\nexit 0\n',
    );
    chmodSync(hook, 0o755);
    const { result } = await publish(`${server.baseUrl}/manifests.git`);
    const failed = result.outcomes.filter((outcome) => outcome.status === 'failed');
    expect(failed.map((outcome) => [outcome.project, outcome.attempts])).toEqual([['s07', 1]]);
    expect(failed[0].error).toContain('pre-receive hook declined');
    expect(failed[0].error).toContain('policy: refs/heads/s07/develop is frozen');
    expect(result.outcomes.filter((outcome) => outcome.status === 'created')).toHaveLength(20);
    expect(await branchTip(sandbox.remote, 's07/develop')).toBeNull();
    expect(await readBranchFile(sandbox.remote, 's08/develop', 'manifest.yaml')).toBe('s08: 1');
  });
});
