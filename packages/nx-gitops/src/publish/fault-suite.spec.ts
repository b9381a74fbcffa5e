import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { GitopsLogger } from '../lib/log';
import { startFaultProxy, type Fault, type FaultProxy, type ProxiedRequest } from '../testing/fault-proxy';
import { startGitHttpServer, type GitHttpServer } from '../testing/git-http-server';
import { branchLog, commitToBareBranch, createPublishSandbox, git, readBranchFile, writeRenderOutput, type PublishSandbox } from '../testing/publish-fixtures';
import { findSecretLeaks } from '../testing/secret-scan';
import { publishManifests, type PublishRunResult } from './publish-manifests';
import type { PublishReportEntry } from './report';
import type { PublishTarget } from './request';

jest.setTimeout(60_000);

const TOKEN = 'nxg_FaultSuiteToken0123456789abcd';
const URL_PASSWORD = 'fault-url-secret-5678';
const SERVICES = ['api', 'web', 'worker'];
const isPush = (request: ProxiedRequest) => request.method === 'POST' && request.path.endsWith('/git-receive-pack');
const isFetch = (request: ProxiedRequest) => request.method === 'POST' && request.path.endsWith('/git-upload-pack');

const repositoryRoot = join(__dirname, '../../../..');
const batchWorker = join(__dirname, '../testing/publish-batch-worker.ts');

/** The batch executor running in a child process of its own process group, so that a test can signal it (and git) as a terminal or CI would. */
interface BatchWorker {
  child: ChildProcess;
  output(): string;
  /** Settles once the worker printed `text`. */
  printed(text: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

// A test helper that must signal its child and read its output as it comes, which runCommand does not offer.
function startBatchWorker(input: { workspaceRoot: string; targets: Array<{ project: string; options: Record<string, unknown> }> }): BatchWorker {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', batchWorker, JSON.stringify(input)], {
    cwd: repositoryRoot,
    env: { ...process.env, NX_GITOPS_TOKEN: TOKEN },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters.filter((each) => output.includes(each.text))) waiter.resolve();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return {
    child,
    output: () => output,
    printed: (text) => (output.includes(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text, resolve }))),
    exited,
  };
}

/** Every ref of a bare repository and its commit. */
async function refsOf(remote: string): Promise<Record<string, string>> {
  const out = await git(remote, ['--git-dir', remote, 'for-each-ref', '--format=%(refname) %(objectname)']);
  return Object.fromEntries(out.split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string]));
}

/** A port nothing listens on (taken from the system, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('fault suite: a batch of three services through a fault-injecting proxy', () => {
  let sandbox: PublishSandbox;
  let server: GitHttpServer;
  let proxy: FaultProxy;
  /** The fault of the moment; `undefined` forwards everything. */
  let rule: ((request: ProxiedRequest) => Fault | undefined | Promise<Fault | undefined>) | undefined;
  let lines: string[];
  let before: Record<string, string>;

  beforeEach(async () => {
    sandbox = await createPublishSandbox();
    server = await startGitHttpServer({ projectRoot: sandbox.dir, password: TOKEN });
    rule = undefined;
    proxy = await startFaultProxy({ upstream: server.baseUrl, onRequest: (request) => rule?.(request) });
    lines = [];
    // One branch of the batch exists already, so the batch both creates and updates.
    await commitToBareBranch({ remote: sandbox.remote, branch: 'web/production', files: { 'manifest.yaml': 'web: 0' }, message: 'earlier' });
    before = await refsOf(sandbox.remote);
  });
  afterEach(async () => {
    await proxy.close();
    await server.close();
    sandbox.cleanup();
  });

  const proxyUrl = () => `${proxy.baseUrl}/manifests.git`;

  async function publish(options: { url?: string; version: number; maxAttempts?: number; networkTimeoutSeconds?: number }): Promise<PublishRunResult> {
    const url = options.url ?? proxyUrl();
    const targets: PublishTarget[] = SERVICES.map((project) => {
      writeRenderOutput({ workspace: sandbox.workspace, project, environment: 'production', manifest: `${project}: ${options.version}\n` });
      return {
        id: `${project}:publish-manifest:production`,
        project,
        configuration: 'production',
        options: {
          manifestRepository: url.replace('http://', `http://ci:${URL_PASSWORD}@`),
          maxAttempts: options.maxAttempts ?? 2,
          networkTimeoutSeconds: options.networkTimeoutSeconds ?? 20,
        },
      };
    });
    const record = (message: string) => void lines.push(message);
    const logger: GitopsLogger = { info: record, warn: record, error: record, verbose: record };
    const result = await publishManifests({
      workspaceRoot: sandbox.workspace,
      targets,
      env: { NX_GITOPS_TOKEN: TOKEN },
      cacheRoot: sandbox.cacheRoot,
      sleep: async () => undefined,
      loggerFor: () => logger,
    });
    lines.push(JSON.stringify(result));
    return result;
  }

  /** Every ref is as before, or, for a target the run reports published, at the commit it reports. */
  async function expectNoPartialState(result: PublishRunResult): Promise<void> {
    const after = await refsOf(sandbox.remote);
    const expected = { ...before };
    for (const outcome of result.outcomes) if (outcome.status !== 'failed' && outcome.commit) expected[`refs/heads/${outcome.branch}`] = outcome.commit;
    expect(after).toEqual(expected);
  }

  /** The error of every failed target: names the URL without credentials and an option; no secret anywhere. */
  function expectClearErrors(result: PublishRunResult, option: string, url = proxyUrl()): string {
    const failed = result.outcomes.filter((outcome) => outcome.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const outcome of failed) {
      expect(outcome.error).toContain(url);
      expect(outcome.error).toContain(`"${option}"`);
    }
    return failed[0].error!;
  }

  /** With the fault gone, a rerun publishes every service with exactly one new commit per branch, and a third run changes nothing. */
  async function expectRerunConverges(version: number): Promise<void> {
    rule = undefined;
    const rerun = await publish({ version });
    expect(rerun.success).toBe(true);
    for (const project of SERVICES) {
      expect(await readBranchFile(sandbox.remote, `${project}/production`, 'manifest.yaml')).toBe(`${project}: ${version}`);
      const log = await branchLog(sandbox.remote, `${project}/production`);
      expect(log).toHaveLength(project === 'web' ? 2 : 1);
    }
    const again = await publish({ version });
    expect(again.outcomes.map((outcome) => outcome.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
  }

  function expectNoLeaks(): void {
    expect(findSecretLeaks({ secrets: [TOKEN, URL_PASSWORD], texts: lines, dirs: [sandbox.cacheRoot, join(sandbox.workspace, 'dist')] })).toEqual([]);
  }

  it('a refused connection (nothing listening): every service fails naming the URL and "manifestRepository", nothing moves, a rerun converges', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/manifests.git`;
    const result = await publish({ url, version: 1 });
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.attempts])).toEqual(SERVICES.map(() => ['failed', 2]));
    const error = expectClearErrors(result, 'manifestRepository', url);
    expect(error).toContain('could not be reached');
    expect(error).not.toContain('--git-dir');
    await expectNoPartialState(result);
    await expectRerunConverges(1);
    expectNoLeaks();
  });

  it('a server that stalls in the middle of the pack it sends: fails in bounded time naming "networkTimeoutSeconds", nothing moves, a rerun converges', async () => {
    // The fetch of web/production's tip (the cache lacks it): headers and a few bytes of the pack, then nothing.
    rule = (request) => (isFetch(request) && request.bodyText.includes('command=fetch') ? { stallResponse: { afterBytes: 40 } } : undefined);
    const result = await publish({ version: 1, networkTimeoutSeconds: 2, maxAttempts: 1 });
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.attempts])).toEqual(SERVICES.map(() => ['failed', 1]));
    expect(expectClearErrors(result, 'networkTimeoutSeconds')).toContain('did not answer in time while trying to fetch its branches');
    await expectNoPartialState(result);
    await expectRerunConverges(1);
    expectNoLeaks();
  });

  it('a server that applies the push but never answers: the next attempt sees the branches moved and reports them published, without a second commit', async () => {
    let stalled = 0;
    rule = (request) => (isPush(request) && stalled++ === 0 ? { stallResponse: {} } : undefined);
    const result = await publish({ version: 1, networkTimeoutSeconds: 2 });
    expect(stalled).toBe(1);
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.attempts])).toEqual([
      ['created', 2],
      ['updated', 2],
      ['created', 2],
    ]);
    await expectNoPartialState(result);
    // One push reached the server, so each branch holds one new commit, not two.
    for (const project of SERVICES) expect(await branchLog(sandbox.remote, `${project}/production`)).toHaveLength(project === 'web' ? 2 : 1);
    expect(lines.join('\n')).toContain('did not answer in time while trying to push');
    expectNoLeaks();
  });

  it('a 500 answer to the push once: retried within the attempt budget, everything published once', async () => {
    let failures = 0;
    rule = (request) => (isPush(request) && failures++ === 0 ? { status: 500 } : undefined);
    const result = await publish({ version: 1 });
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.attempts])).toEqual([
      ['created', 2],
      ['updated', 2],
      ['created', 2],
    ]);
    await expectNoPartialState(result);
    for (const project of SERVICES) expect(await branchLog(sandbox.remote, `${project}/production`)).toHaveLength(project === 'web' ? 2 : 1);
    expectNoLeaks();
  });

  it('500 answers to every push: fails after maxAttempts naming "maxAttempts", nothing moves, a rerun converges', async () => {
    rule = (request) => (isPush(request) ? { status: 500 } : undefined);
    const result = await publish({ version: 1, maxAttempts: 3 });
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.attempts])).toEqual(SERVICES.map(() => ['failed', 3]));
    expect(expectClearErrors(result, 'maxAttempts')).toContain('failed with a server error while trying to push');
    await expectNoPartialState(result);
    await expectRerunConverges(1);
    expectNoLeaks();
  });

  it.each([
    ['in the ref commands', 60],
    ['in the pack', 300],
  ])('a connection cut %s of the push: nothing half-written lands, the next attempt publishes', async (_, bytes) => {
    // Every push of the first attempt (curl itself tries a cut request again once), none after it.
    let cuts = 0;
    rule = (request) => {
      if (cuts > 0 && request.path.includes('git-upload-pack')) cutting = false;
      if (!isPush(request) || !cutting) return undefined;
      cuts++;
      expect(request.body.length).toBeGreaterThan(bytes);
      return { cutRequestAfterBytes: bytes };
    };
    let cutting = true;
    const result = await publish({ version: 1 });
    expect(cuts).toBeGreaterThan(0);
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.attempts])).toEqual([
      ['created', 2],
      ['updated', 2],
      ['created', 2],
    ]);
    expect(lines.join('\n')).toContain('dropped the connection, while trying to push');
    await expectNoPartialState(result);
    for (const project of SERVICES) expect(await branchLog(sandbox.remote, `${project}/production`)).toHaveLength(project === 'web' ? 2 : 1);
    expectNoLeaks();
  });

  it('connections cut in every push: fails after maxAttempts naming the URL and "maxAttempts", nothing moves, a rerun converges', async () => {
    rule = (request) => (isPush(request) ? { cutRequestAfterBytes: 100 } : undefined);
    const result = await publish({ version: 1 });
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.attempts])).toEqual(SERVICES.map(() => ['failed', 2]));
    expect(expectClearErrors(result, 'maxAttempts')).toContain('dropped the connection, while trying to push');
    await expectNoPartialState(result);
    await expectRerunConverges(1);
    expectNoLeaks();
  });

  it('a branch force-moved by another writer between our fetch and our push: rebuilt on the new tip, the other commit kept', async () => {
    let moved: string | undefined;
    rule = async (request) => {
      // The push's ref advertisement: the moment between our fetch and our push.
      if (moved === undefined && request.method === 'GET' && request.path.includes('service=git-receive-pack')) {
        moved = await commitToBareBranch({ remote: sandbox.remote, branch: 'web/production', files: { 'other.yaml': 'rewritten' }, message: 'force-moved' });
        // A force move: the earlier tip is no longer an ancestor.
        await git(sandbox.remote, ['--git-dir', sandbox.remote, 'update-ref', 'refs/heads/web/production', await git(sandbox.remote, ['--git-dir', sandbox.remote, 'commit-tree', '-m', 'rewritten', `${moved}^{tree}`])]);
        moved = await git(sandbox.remote, ['--git-dir', sandbox.remote, 'rev-parse', 'refs/heads/web/production']);
      }
      return undefined;
    };
    const result = await publish({ version: 1 });
    expect(result.success).toBe(true);
    const web = result.outcomes.find((outcome) => outcome.project === 'web')!;
    expect(web).toMatchObject({ status: 'updated', attempts: 2, previousCommit: moved });
    expect(result.outcomes.filter((outcome) => outcome.project !== 'web').map((outcome) => outcome.status)).toEqual(['created', 'created']);
    // On top of the other writer's commit, which is kept; the first build (on the old tip) never landed.
    expect((await branchLog(sandbox.remote, 'web/production')).map((commit) => commit.sha)).toEqual([web.commit, moved]);
    expect(await readBranchFile(sandbox.remote, 'web/production', 'other.yaml')).toBe('rewritten');
    await expectNoPartialState(result);
    expectNoLeaks();
  });

  it('a missing repository (404): fails at once naming the URL and "manifestRepository", a rerun against the right one converges', async () => {
    const url = `${proxy.baseUrl}/missing.git`;
    const result = await publish({ url, version: 1, maxAttempts: 3 });
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.attempts])).toEqual(SERVICES.map(() => ['failed', 1]));
    expect(expectClearErrors(result, 'manifestRepository', url)).toContain('does not exist');
    await expectNoPartialState(result);
    await expectRerunConverges(1);
    expectNoLeaks();
  });

  it('a read-only repository (receive-pack disabled, 403): fails naming the URL and the token to change, nothing moves, converges once writable', async () => {
    await git(sandbox.remote, ['--git-dir', sandbox.remote, 'config', 'http.receivepack', 'false']);
    const result = await publish({ version: 1, maxAttempts: 3 });
    expect(result.outcomes.map((outcome) => [outcome.status, outcome.attempts])).toEqual(SERVICES.map(() => ['failed', 1]));
    for (const outcome of result.outcomes) {
      expect(outcome.error).toContain(proxyUrl());
      expect(outcome.error).toContain('while trying to push');
      expect(outcome.error).toContain('NX_GITOPS_TOKEN');
    }
    await expectNoPartialState(result);
    await git(sandbox.remote, ['--git-dir', sandbox.remote, 'config', '--unset', 'http.receivepack']);
    await expectRerunConverges(1);
    expectNoLeaks();
  });

  // The 21-service form of this case, and a branch blocked by its name, are in batch-isolation.spec.ts.
  it('a pre-receive hook that rejects one ref: that service fails with the hook\'s message, the others land, a rerun without the hook converges', async () => {
    const hook = join(sandbox.remote, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\nwhile read old new ref; do case "$ref" in refs/heads/web/*) echo "policy: $ref is frozen" >&2; exit 1;; esac; done\nexit 0\n');
    chmodSync(hook, 0o755);
    const result = await publish({ version: 1 });
    expect(result.outcomes.map((outcome) => [outcome.project, outcome.status, outcome.attempts])).toEqual([
      ['api', 'created', 1],
      ['web', 'failed', 1],
      ['worker', 'created', 1],
    ]);
    const web = result.outcomes.find((outcome) => outcome.project === 'web')!;
    expect(web.error).toContain('policy: refs/heads/web/production is frozen');
    expect(web.error).toContain('The push to branch "web/production" was refused');
    await expectNoPartialState(result);
    rmSync(hook);
    await expectRerunConverges(1);
    expectNoLeaks();
  });

  describe('SIGINT or SIGTERM during a batch publish', () => {
    function workerTargets() {
      return SERVICES.map((project) => {
        writeRenderOutput({ workspace: sandbox.workspace, project, environment: 'production', manifest: `${project}: 1\n` });
        return { project, options: { environment: 'production', manifestRepository: proxyUrl().replace('http://', `http://ci:${URL_PASSWORD}@`), maxAttempts: 2 } };
      });
    }

    function readReport(): PublishReportEntry[] {
      return (JSON.parse(readFileSync(join(sandbox.workspace, 'dist', 'manifests', 'publish-report.json'), 'utf8')) as { entries: PublishReportEntry[] }).entries;
    }

    it('SIGTERM to the publisher while its push is in flight: the push ends whole, the report lists all three published, the run exits 1', async () => {
      let held!: () => void;
      const pushHeld = new Promise<void>((resolve) => (held = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      rule = async (request) => {
        if (isPush(request)) {
          held();
          await released;
        }
        return undefined;
      };
      const worker = startBatchWorker({ workspaceRoot: sandbox.workspace, targets: workerTargets() });
      await pushHeld;
      worker.child.kill('SIGTERM');
      // A worker that dies of the signal instead must fail the test, not hang it.
      await Promise.race([worker.printed('Received SIGTERM'), worker.exited]);
      release();
      expect(await worker.exited).toEqual({ code: 1, signal: null });
      expect(worker.output()).toContain('Interrupted by SIGTERM: 3 of 3 targets published');
      const report = readReport();
      expect(report.map((entry) => [entry.project, entry.status])).toEqual([
        ['api', 'created'],
        ['web', 'updated'],
        ['worker', 'created'],
      ]);
      const after = await refsOf(sandbox.remote);
      expect(after).toEqual({ ...before, ...Object.fromEntries(report.map((entry) => [`refs/heads/${entry.branch}`, entry.commit])) });
      for (const project of SERVICES) expect(await branchLog(sandbox.remote, `${project}/production`)).toHaveLength(project === 'web' ? 2 : 1);
      lines.push(worker.output());
      expectNoLeaks();
    });

    it('SIGTERM while the publisher lists the branches: no push starts, the report marks all three interrupted, nothing moves', async () => {
      let held!: () => void;
      const listingHeld = new Promise<void>((resolve) => (held = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let holding = true;
      rule = async (request) => {
        if (request.method === 'POST' && request.path.endsWith('/git-upload-pack') && holding) {
          holding = false;
          held();
          await released;
        }
        return undefined;
      };
      const worker = startBatchWorker({ workspaceRoot: sandbox.workspace, targets: workerTargets() });
      await listingHeld;
      worker.child.kill('SIGTERM');
      await Promise.race([worker.printed('Received SIGTERM'), worker.exited]);
      release();
      expect(await worker.exited).toEqual({ code: 1, signal: null });
      expect(proxy.requests().filter((request) => request.path.includes('receive-pack'))).toEqual([]);
      const report = readReport();
      expect(report.map((entry) => [entry.project, entry.status])).toEqual(SERVICES.map((project) => [project, 'failed']));
      for (const entry of report) expect(entry.error).toContain('Interrupted by SIGTERM before branch');
      expect(await refsOf(sandbox.remote)).toEqual(before);
      lines.push(worker.output());
      expectNoLeaks();
    });

    it('Ctrl-C (SIGINT to the process group, git included) while the push is in flight: no branch moves, the report marks all three interrupted, the run exits 1, a rerun converges', async () => {
      let held!: () => void;
      const pushHeld = new Promise<void>((resolve) => (held = resolve));
      let holding = true;
      rule = async (request) => {
        if (isPush(request) && holding) {
          holding = false;
          held();
          // Until git, killed by the signal, drops the connection; the proxy then never forwards the push.
          await request.clientClosed;
        }
        return undefined;
      };
      const worker = startBatchWorker({ workspaceRoot: sandbox.workspace, targets: workerTargets() });
      await pushHeld;
      process.kill(-worker.child.pid!, 'SIGINT');
      expect(await worker.exited).toEqual({ code: 1, signal: null });
      expect(worker.output()).toContain('Received SIGINT');
      expect(worker.output()).toContain('Interrupted by SIGINT: 0 of 3 targets published');
      const report = readReport();
      expect(report.map((entry) => [entry.project, entry.status])).toEqual(SERVICES.map((project) => [project, 'failed']));
      for (const entry of report) expect(entry.error).toContain(`Interrupted by SIGINT before branch "${entry.project}/production" was published; it is as it was.`);
      expect(await refsOf(sandbox.remote)).toEqual(before);
      lines.push(worker.output());
      await expectRerunConverges(1);
      expectNoLeaks();
    });
  });
});
