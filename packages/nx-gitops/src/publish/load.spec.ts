import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findSecretLeaks } from '../testing/secret-scan';
import { startGitHttpServer, type GitHttpServer } from '../testing/git-http-server';
import { branchFiles, branchLog, createPublishSandbox, readBranchFile, type PublishSandbox } from '../testing/publish-fixtures';
import { publishToRepository, type PublishOutcome } from './publisher';

const TOKEN = 'nxg_LoadTestToken0123456789abcdef';
const PUBLISHERS = Number(process.env.LOAD_PUBLISHERS ?? 16);
const ROUNDS = Number(process.env.LOAD_ROUNDS ?? 2);
// LOAD_ROUNDS=25 (the figure in the README) takes minutes; the default two rounds stay well under one.
jest.setTimeout(Math.max(120_000, ROUNDS * 60_000));
/** Publishers share branches in groups: each branch races this many publishers (one branch for all of them costs O(n²) attempts). */
const PER_BRANCH = Number(process.env.LOAD_PER_BRANCH ?? 2);
const BRANCHES = Math.ceil(PUBLISHERS / PER_BRANCH);
const branchOf = (index: number) => `load-${index % BRANCHES}`;

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

describe('load: publishers on separate machines racing to shared branches of one repository through smart HTTP', () => {
  let sandbox: PublishSandbox;
  let server: GitHttpServer;

  beforeAll(async () => {
    sandbox = await createPublishSandbox();
    server = await startGitHttpServer({ projectRoot: sandbox.dir, password: TOKEN });
  });
  afterAll(async () => {
    await server.close();
    sandbox.cleanup();
  });

  it(`loses no commit with ${PUBLISHERS} publishers × ${ROUNDS} rounds, ${PER_BRANCH} to a branch`, async () => {
    const repository = `${server.baseUrl}/manifests.git`;
    const outcomes: Array<PublishOutcome & { ms: number }> = [];
    const publisher = async (index: number) => {
      // Each publisher is its own machine: its own cache and its own machine-lock folder, so nothing serialises them.
      const machine = join(sandbox.dir, `machine-${index}`);
      mkdirSync(join(machine, 'locks'), { recursive: true });
      for (let round = 1; round <= ROUNDS; round++) {
        const file = join(machine, `render-${round}.yaml`);
        writeFileSync(file, `publisher: ${index}\nround: ${round}\n`);
        const started = Date.now();
        const [outcome] = await publishToRepository({
          repository,
          cacheRoot: join(machine, 'cache'),
          lockDir: join(machine, 'locks'),
          env: { NX_GITOPS_TOKEN: TOKEN },
          maxAttempts: 4 * PUBLISHERS,
          // The real jittered backoff, twenty times shorter.
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / 20)),
          requests: [
            {
              id: `p${index}r${round}`,
              project: `p${index}`,
              environment: 'load',
              branch: branchOf(index),
              baseBranch: null,
              mode: 'merge',
              files: [{ path: `p${index}/manifest.yaml`, sourceFile: file }],
              message: `p${index}: round ${round}\n`,
              author: { name: 'Load', email: 'load@example.com' },
            },
          ],
        });
        outcomes.push({ ...outcome, ms: Date.now() - started });
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: PUBLISHERS }, (_, index) => publisher(index)));
    const wallMs = Date.now() - started;

    const failed = outcomes.filter((outcome) => outcome.status === 'failed');
    const attempts = outcomes.map((outcome) => outcome.attempts);
    const times = outcomes.map((outcome) => outcome.ms);
    const history = (await Promise.all(Array.from({ length: BRANCHES }, (_, branch) => branchLog(sandbox.remote, `load-${branch}`)))).flat();
    const lost = outcomes.filter((outcome) => !history.some((commit) => commit.sha === outcome.commit)).length;
    // The figures the README quotes.
    console.info(
      `load: ${PUBLISHERS} publishers x ${ROUNDS} rounds on ${BRANCHES} shared branches, ${outcomes.length} publishes in ${wallMs} ms; ` +
        `attempts ${attempts.reduce((a, b) => a + b, 0)} (retries ${attempts.reduce((a, b) => a + b - 1, 0)}, max ${Math.max(...attempts)}); ` +
        `publish time p50 ${percentile(times, 0.5)} ms, p95 ${percentile(times, 0.95)} ms; failed ${failed.length}; lost commits ${lost}`,
    );

    expect(failed.map((outcome) => outcome.error)).toEqual([]);
    expect(lost).toBe(0);
    expect(findSecretLeaks({ secrets: [TOKEN], texts: [JSON.stringify(outcomes)], dirs: [sandbox.dir] })).toEqual([]);
    expect(history).toHaveLength(PUBLISHERS * ROUNDS);
    expect(new Set(history.map((commit) => commit.sha)).size).toBe(PUBLISHERS * ROUNDS);
    for (let branch = 0; branch < BRANCHES; branch++) {
      const members = Array.from({ length: PUBLISHERS }, (_, index) => index).filter((index) => branchOf(index) === `load-${branch}`);
      expect(await branchFiles(sandbox.remote, `load-${branch}`)).toEqual(members.map((index) => `p${index}/manifest.yaml`).sort());
      // One line of history per branch, every publisher's rounds in its own order.
      const log = await branchLog(sandbox.remote, `load-${branch}`);
      expect(log).toHaveLength(members.length * ROUNDS);
      for (const index of members) {
        expect(await readBranchFile(sandbox.remote, `load-${branch}`, `p${index}/manifest.yaml`)).toBe(`publisher: ${index}\nround: ${ROUNDS}`);
        const mine = log.filter((commit) => commit.message.startsWith(`p${index}:`)).map((commit) => commit.message.trim());
        expect(mine).toEqual(Array.from({ length: ROUNDS }, (_, round) => `p${index}: round ${ROUNDS - round}`));
      }
    }
  });
});
