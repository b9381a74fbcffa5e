import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCommand } from '../lib/exec';
import { branchFiles, branchLog, createPublishSandbox, writeRenderOutput, type PublishSandbox } from '../testing/publish-fixtures';
import type { PublishOutcome } from './publisher';
import type { PublishTarget } from './request';

jest.setTimeout(180_000);

const repositoryRoot = resolve(__dirname, '../../../..');
const worker = join(__dirname, '../testing/publish-worker.ts');
const PUBLISHERS = 8;

describe('publishers in separate processes sharing one manifest repository and one cache', () => {
  let sandbox: PublishSandbox;

  beforeAll(async () => {
    sandbox = await createPublishSandbox();
  });
  afterAll(() => sandbox.cleanup());

  it('loses no commit when 8 processes push to one shared branch and to sibling branches at once', async () => {
    const sourceCommits = Array.from({ length: PUBLISHERS }, (_, index) => String(index + 1).repeat(40).slice(0, 40));
    const inputs = sourceCommits.map((sourceCommit, index) => {
      const project = `svc-${index}`;
      writeRenderOutput({ workspace: sandbox.workspace, project, environment: 'production', manifest: `${project}: production\n`, sourceCommit });
      writeRenderOutput({ workspace: sandbox.workspace, project, environment: 'staging', manifest: `${project}: staging\n`, sourceCommit });
      // A push is only ever rejected because another publisher's push to the shared branch went through,
      // so with N publishers nobody needs more than N attempts: that bound is what this test holds them to.
      const options = { manifestRepository: sandbox.remoteUrl, maxAttempts: PUBLISHERS };
      const targets: PublishTarget[] = [
        // Everyone commits its own file to the same branch...
        {
          id: `${project}:publish-manifest:production`,
          project,
          configuration: 'production',
          options: { ...options, branch: '{environment}', path: '{project}/manifest.yaml' },
        },
        // ...and to a branch of its own, in the same atomic push.
        { id: `${project}:publish-manifest:staging`, project, configuration: 'staging', options },
      ];
      return { workspaceRoot: sandbox.workspace, cacheRoot: sandbox.cacheRoot, targets };
    });

    const results = await Promise.all(
      inputs.map((input) =>
        runCommand(process.execPath, ['-r', '@swc-node/register', worker, JSON.stringify(input)], { cwd: repositoryRoot, allowFailure: true }),
      ),
    );

    const outcomes: PublishOutcome[] = [];
    for (const result of results) {
      expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: 0, stderr: '' });
      outcomes.push(...(JSON.parse(result.stdout) as { outcomes: PublishOutcome[] }).outcomes);
    }
    expect(outcomes).toHaveLength(PUBLISHERS * 2);
    for (const outcome of outcomes) {
      expect(outcome.status === 'created' || outcome.status === 'updated').toBe(true);
      expect(outcome.attempts).toBeLessThanOrEqual(PUBLISHERS);
    }

    // The shared branch holds every publisher's commit, in one line of history, and every file.
    const shared = await branchLog(sandbox.remote, 'production');
    expect(shared).toHaveLength(PUBLISHERS);
    // Provenance is the publishing workspace's HEAD, whatever commit images.json names.
    const head = (await runCommand('git', ['-C', sandbox.workspace, 'rev-parse', 'HEAD'])).stdout.trim();
    const subjects = shared.map((commit) => commit.message.split('\n')[0]).sort();
    expect(subjects).toEqual(Array.from({ length: PUBLISHERS }, (_, index) => `svc-${index}/production: render ${head.slice(0, 7)}`).sort());
    for (const commit of shared) expect(commit.message).toContain(`Source-Commit: ${head}\n`);
    const reported = outcomes.filter((outcome) => outcome.branch === 'production').map((outcome) => outcome.commit).sort();
    expect(reported).toEqual(shared.map((commit) => commit.sha).sort());
    // With hydratorMetadata (on by default) each service folder also holds its README.md and hydrator.metadata, the root the branch's.
    expect(await branchFiles(sandbox.remote, 'production')).toEqual(
      [
        '.gitattributes',
        'README.md',
        'hydrator.metadata',
        ...Array.from({ length: PUBLISHERS }, (_, index) => [`svc-${index}/README.md`, `svc-${index}/hydrator.metadata`, `svc-${index}/manifest.yaml`]).flat(),
      ].sort(),
    );

    // Every sibling branch got its one commit.
    for (let index = 0; index < PUBLISHERS; index++) {
      const log = await branchLog(sandbox.remote, `svc-${index}/staging`);
      expect(log).toHaveLength(1);
      expect(log[0].message).toContain(`Source-Commit: ${head}\n`);
    }

    // The report, written by all 8 processes, holds all 16 entries.
    const report = JSON.parse(readFileSync(join(sandbox.workspace, 'dist/manifests/publish-report.json'), 'utf8'));
    expect(report.entries).toHaveLength(PUBLISHERS * 2);
  });
});
