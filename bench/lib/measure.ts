/**
 * Timing and memory measurement of one command: wall time, and the peak resident set size of the largest
 * process of its tree (GNU time's `%M`, which Linux computes over every descendant that was waited for; where
 * GNU time is missing, `VmHWM` of the process tree sampled from /proc).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeTempDir, runInFixture } from '../../e2e/nx-gitops-e2e/src/harness';

/** GNU time, when the machine has it. */
export const GNU_TIME = '/usr/bin/time';

/** The middle value (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs `work` and returns its result with the wall time it took, in milliseconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { ms: performance.now() - start, result };
}

/** One measured command. */
export interface CommandMeasurement {
  ms: number;
  /** Peak RSS of the largest process in the command's tree, in MiB. */
  peakRssMb: number;
  stdout: string;
}

function parentOf(pid: string): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
  } catch {
    return undefined;
  }
}

function highWaterMarkKb(pid: string): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Samples the largest `VmHWM` among this process's descendants until stopped; returns KiB. */
function sampleDescendantsPeakRss(intervalMs = 50): () => number {
  let peak = 0;
  const sample = () => {
    const children = new Map<string, string[]>();
    for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
      const parent = parentOf(pid);
      if (parent) children.set(parent, [...(children.get(parent) ?? []), pid]);
    }
    const queue = [...(children.get(String(process.pid)) ?? [])];
    while (queue.length > 0) {
      const pid = queue.pop()!;
      peak = Math.max(peak, highWaterMarkKb(pid));
      queue.push(...(children.get(pid) ?? []));
    }
  };
  const timer = setInterval(sample, intervalMs);
  return () => {
    clearInterval(timer);
    sample();
    return peak;
  };
}

/**
 * Runs `file args` in `cwd` with the fixture environment and measures its wall time and peak RSS. Fails,
 * with the tail of the output, when the command fails.
 */
export async function measureCommand(options: { file: string; args: readonly string[]; cwd: string; env?: Record<string, string> }): Promise<CommandMeasurement> {
  if (existsSync(GNU_TIME)) {
    const dir = makeTempDir('nx-gitops-bench-time-');
    try {
      const report = join(dir, 'rss');
      const { ms, result } = await timed(() =>
        runInFixture(GNU_TIME, ['-f', '%M', '-o', report, options.file, ...options.args], { cwd: options.cwd, env: options.env }),
      );
      const kb = Number(readFileSync(report, 'utf8').trim().split('\n').pop());
      return { ms, peakRssMb: kb / 1024, stdout: result.stdout };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const stop = sampleDescendantsPeakRss();
  try {
    const { ms, result } = await timed(() => runInFixture(options.file, options.args, { cwd: options.cwd, env: options.env }));
    return { ms, peakRssMb: stop() / 1024, stdout: result.stdout };
  } finally {
    stop();
  }
}
