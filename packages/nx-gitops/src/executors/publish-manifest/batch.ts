import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { consoleSink } from '../../lib/log';
import { publishManifests } from '../../publish/publish-manifests';
import { runBatchTasks, type BatchTaskResult } from '../batch-tasks';
import { publishTargetFromTask, targetLogger, withInterruptSignal } from './executor';
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
      const { value: run, interrupted } = await withInterruptSignal({
        log: consoleSink,
        run: (signal) => publishManifests({ workspaceRoot: context.root, targets, loggerFor: (target) => targetLogger(target, context.isVerbose, sinkFor(target)), signal }),
      });
      if (interrupted) {
        const published = run.outcomes.filter((outcome) => outcome.status !== 'failed').length;
        consoleSink.error(`Interrupted by ${interrupted}: ${published} of ${run.outcomes.length} targets published, the others not; ${run.reportPath} lists which.`);
      }
      // An interrupted run fails every task, also those that landed (the report tells them apart), so the
      // batch exits non-zero as an interrupted process should.
      return run.outcomes.map((outcome) => ({ id: outcome.id, success: outcome.status !== 'failed' && !interrupted }));
    },
  });
}
