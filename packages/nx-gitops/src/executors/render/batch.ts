import { availableParallelism } from 'node:os';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { runWithConcurrency } from '../../lib/exec';
import { consoleSink, recordingSink } from '../../lib/log';
import { createGitInfoCache } from '../../skaffold/tags';
import { renderAndReport } from './executor';
import type { RenderExecutorOptions } from './schema';

/** The result Nx expects for each task of a batch. */
export interface RenderBatchTaskResult {
  success: boolean;
  terminalOutput: string;
  startTime: number;
  endTime: number;
}

/**
 * Batch implementation of `render` (Nx `--batch`): every task of the batch renders in this one process,
 * sharing git lookups, with as many kustomize processes at once as there are cores. Each task succeeds
 * or fails on its own.
 */
export default async function renderBatch(
  taskGraph: TaskGraph,
  inputs: Record<string, RenderExecutorOptions>,
  overrides: RenderExecutorOptions,
  context: ExecutorContext,
): Promise<Record<string, RenderBatchTaskResult>> {
  const git = createGitInfoCache();
  const ids = Object.keys(inputs);
  const outcomes = await runWithConcurrency(
    availableParallelism(),
    ids.map((id) => async () => {
      const startTime = Date.now();
      const lines: string[] = [];
      const sink = recordingSink(lines, consoleSink);
      const task = taskGraph.tasks[id];
      const success = await renderAndReport({
        options: { ...overrides, ...inputs[id] },
        context,
        project: task?.target.project ?? id.split(':')[0],
        targetName: task?.target.target ?? id.split(':')[1],
        configurationName: task?.target.configuration,
        git,
        sink,
      });
      return [id, { success, terminalOutput: lines.join('\n'), startTime, endTime: Date.now() }] as const;
    }),
  );
  return Object.fromEntries(outcomes);
}
