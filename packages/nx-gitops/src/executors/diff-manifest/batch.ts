import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { runBatchTasks, type BatchTaskResult } from '../batch-tasks';
import { diffTargetFromTask, diffTargetLogger } from './executor';
import { diffManifestTargets } from './run-diff';
import type { DiffManifestExecutorSchema } from './schema';

/**
 * Batch implementation of `diff-manifest` (`nx affected -t diff-manifest --batch`): every task of the batch
 * is compared together, one fetch per manifest repository, and one run report `dist/manifests/diff.md`
 * covers them all. Each task gets its own result and output. The signature is Nx's `TaskGraphExecutor`.
 */
export default async function diffManifestBatch(
  taskGraph: TaskGraph,
  inputs: Record<string, DiffManifestExecutorSchema>,
  overrides: DiffManifestExecutorSchema,
  context: ExecutorContext,
): Promise<Record<string, BatchTaskResult>> {
  return runBatchTasks({
    taskGraph,
    inputs,
    overrides,
    context,
    toTarget: diffTargetFromTask,
    run: async (targets, sinkFor) => {
      const run = await diffManifestTargets({
        workspaceRoot: context.root,
        targets,
        loggerFor: (target) => diffTargetLogger(target, context.isVerbose, sinkFor(target)),
      });
      return run.outcomes.map((outcome) => ({ id: outcome.id, success: outcome.success }));
    },
  });
}
