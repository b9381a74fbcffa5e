import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { GitopsLogger } from '../lib/log';
import { startGitHttpServer, type GitHttpServer } from '../testing/git-http-server';
import { createPublishSandbox, readBranchFile, writeRenderOutput, type PublishSandbox } from '../testing/publish-fixtures';
import { publishManifests, type PublishRunResult } from './publish-manifests';
import type { PublishTarget } from './request';

jest.setTimeout(60_000);

const TOKEN = 'ghp_NxGitopsTestToken0123456789abcdef';
const WRONG_TOKEN = 'ghp_WrongTokenValue9876543210fedcba';

/** Every form in which a token could leak: as is, base64, and base64 of the basic-auth pair. */
function leakForms(token: string): string[] {
  return [token, Buffer.from(token).toString('base64'), Buffer.from(`x-access-token:${token}`).toString('base64')];
}

function filesUnder(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Samples the command line of every process on the machine until stopped; returns those that mention git. */
function sampleCommandLines(): { stop(): string[] } {
  const seen = new Set<string>();
  const sample = () => {
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        if (cmdline.includes('git')) seen.add(cmdline);
      } catch {
        // The process ended between listing and reading.
      }
    }
  };
  const timer = setInterval(sample, 2);
  return {
    stop: () => {
      clearInterval(timer);
      return [...seen];
    },
  };
}

describe('publishing over smart HTTP with a token', () => {
  let sandbox: PublishSandbox;
  let server: GitHttpServer;
  let url: string;

  beforeAll(async () => {
    sandbox = await createPublishSandbox();
    server = await startGitHttpServer({ projectRoot: sandbox.dir, password: TOKEN, delayMs: 100 });
    url = `${server.baseUrl}/manifests.git`;
  });
  afterAll(async () => {
    await server.close();
    sandbox.cleanup();
  });

  async function publish(project: string, env: Record<string, string>, repository = url): Promise<{ result: PublishRunResult; lines: string[] }> {
    const lines: string[] = [];
    const push = (message: string) => void lines.push(message);
    const logger: GitopsLogger = { info: push, warn: push, error: push, verbose: push };
    writeRenderOutput({ workspace: sandbox.workspace, project, environment: 'production', manifest: `${project}: ${Date.now()}\n` });
    const target: PublishTarget = { id: project, project, configuration: 'production', options: { manifestRepository: repository } };
    const result = await publishManifests({ workspaceRoot: sandbox.workspace, targets: [target], env, cacheRoot: sandbox.cacheRoot, loggerFor: () => logger });
    return { result, lines };
  }

  it('pushes with NX_GITOPS_TOKEN and leaks the token into no output, file or argv', async () => {
    const sampler = sampleCommandLines();
    const created = await publish('foo', { NX_GITOPS_TOKEN: TOKEN });
    const updated = await publish('foo', { NX_GITOPS_TOKEN: TOKEN });
    const commandLines = sampler.stop();

    expect(created.result.outcomes[0]).toMatchObject({ status: 'created' });
    expect(updated.result.outcomes[0]).toMatchObject({ status: 'updated' });
    expect(await readBranchFile(join(sandbox.dir, 'manifests.git'), 'foo/production', 'manifest.yaml')).toMatch(/^foo: /);
    expect(server.acceptedRequests()).toBeGreaterThan(0);

    // The sampler saw git talking to the server, so the argv check below is not vacuous.
    expect(commandLines.some((line) => line.includes('git-remote-http') || line.includes(server.baseUrl))).toBe(true);
    const texts = [
      ...commandLines,
      ...created.lines,
      ...updated.lines,
      JSON.stringify(created.result),
      JSON.stringify(updated.result),
      ...[...filesUnder(sandbox.cacheRoot), ...filesUnder(join(sandbox.workspace, 'dist'))].map((file) => readFileSync(file).toString('latin1')),
    ];
    for (const form of leakForms(TOKEN)) {
      expect(texts.filter((text) => text.includes(form))).toEqual([]);
    }
  });

  it('fails clearly with a wrong token, without printing it', async () => {
    const refusedBefore = server.refusedRequests();
    const { result, lines } = await publish('bar', { NX_GITOPS_TOKEN: WRONG_TOKEN });
    expect(result.success).toBe(false);
    expect(result.outcomes[0].error).toContain(`The manifest repository ${url} refused the credentials`);
    expect(result.outcomes[0].error).toContain('NX_GITOPS_TOKEN');
    expect(server.refusedRequests()).toBeGreaterThan(refusedBefore);
    const texts = [...lines, JSON.stringify(result), readFileSync(result.reportPath, 'utf8')];
    for (const form of leakForms(WRONG_TOKEN)) {
      expect(texts.filter((text) => text.includes(form))).toEqual([]);
    }
  });

  it('sends GITHUB_TOKEN to no host but GitHub, and says that no credentials were sent', async () => {
    const { result, lines } = await publish('baz', { GITHUB_TOKEN: TOKEN });
    expect(result.outcomes[0]).toMatchObject({ status: 'failed' });
    const error = result.outcomes[0].error ?? '';
    expect(error).toContain('none were sent');
    expect(error).toContain('GITHUB_TOKEN was not sent to 127.0.0.1');
    expect(error).toContain('NX_GITOPS_TOKEN');
    expect(error).not.toContain('refused the credentials');
    expect(lines.join('\n')).not.toContain('refused the credentials');
    for (const form of leakForms(TOKEN)) expect([...lines, JSON.stringify(result)].filter((text) => text.includes(form))).toEqual([]);
  });

  it('names the host the token goes to in verbose output, never the token', async () => {
    const { result, lines } = await publish('quux', { NX_GITOPS_TOKEN: TOKEN, GITHUB_TOKEN: WRONG_TOKEN });
    expect(result.outcomes[0]).toMatchObject({ status: 'created' });
    expect(lines).toContain(`Sending the credentials from NX_GITOPS_TOKEN to ${new URL(server.baseUrl).host} only.`);
    for (const form of [...leakForms(TOKEN), ...leakForms(WRONG_TOKEN)]) expect(lines.filter((text) => text.includes(form))).toEqual([]);
  });

  it('moves credentials written into the URL out of argv and out of the report', async () => {
    const sampler = sampleCommandLines();
    const withCredentials = url.replace('http://', `http://x-access-token:${TOKEN}@`);
    const { result, lines } = await publish('qux', {}, withCredentials);
    const commandLines = sampler.stop();
    expect(result.outcomes[0]).toMatchObject({ status: 'created', repository: url });
    expect(lines.join('\n')).toContain('Prefer the NX_GITOPS_TOKEN environment variable');
    const texts = [...commandLines, ...lines, JSON.stringify(result), readFileSync(result.reportPath, 'utf8')];
    for (const form of leakForms(TOKEN)) {
      expect(texts.filter((text) => text.includes(form))).toEqual([]);
    }
  });
});
