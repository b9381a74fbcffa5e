import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { publishManifests } from '../../publish/publish-manifests';
import { runBatchTasks, type BatchTaskResult } from '../batch-tasks';
import { publishTargetFromTask, targetLogger } from './executor';
import type { PublishManifestExecutorSchema } from './schema';

/**
 * Batch implementation of `publish-manifest` (Nx `--batch` / `NX_BATCH_MODE=true`): every task of the
 * batch is published together, one fetch and one atomic push per manifest repository, and each task
 * gets its own result and output. The signature is Nx's `TaskGraphExecutor`, unchanged from Nx 22 to 24.
 */
export default async function publishManifestBatch(
  taskGraph: TaskGraph,
  inputs: Record<string, PublishManifestExecutorSchema>,
  overrides: PublishManifestExecutorSchema,
  context: ExecutorContext,
): Promise<Record<string, BatchTaskResult>> {
  return runBatchTasks({
    taskGraph,
    inputs,
    overrides,
    context,
    toTarget: publishTargetFromTask,
    run: async (targets, sinkFor) => {
      const run = await publishManifests({
        workspaceRoot: context.root,
        targets,
        loggerFor: (target) => targetLogger(target, context.isVerbose, sinkFor(target)),
      });
      return run.outcomes.map((outcome) => ({ id: outcome.id, success: outcome.status !== 'failed' }));
    },
  });
}
