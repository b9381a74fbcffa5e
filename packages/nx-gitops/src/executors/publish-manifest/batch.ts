import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { describeError } from '../../lib/errors';
import { consoleSink, recordingSink } from '../../lib/log';
import { publishManifests } from '../../publish/publish-manifests';
import type { PublishTarget } from '../../publish/request';
import { publishTargetFromTask, targetLogger } from './executor';
import type { PublishManifestExecutorSchema } from './schema';

/** The result Nx expects for each task of a batch (its `TaskResult`). */
export interface BatchTaskResult {
  success: boolean;
  terminalOutput: string;
  startTime?: number;
  endTime?: number;
}

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
  const startTime = Date.now();
  const output = new Map<string, string[]>();
  const results: Record<string, BatchTaskResult> = {};
  const targets: PublishTarget[] = [];
  for (const id of Object.keys(inputs)) {
    const task = taskGraph.tasks[id];
    output.set(id, []);
    const [projectFromId, targetFromId] = id.split(':');
    try {
      targets.push(
        publishTargetFromTask({
          id,
          project: task?.target.project ?? projectFromId,
          targetName: task?.target.target ?? targetFromId,
          configuration: task?.target.configuration,
          options: inputs[id] ?? overrides,
          context,
        }),
      );
    } catch (error) {
      // This task alone fails; the others are still published.
      const message = describeError(error);
      recordingSink(output.get(id)!, consoleSink).error(message);
      results[id] = { success: false, terminalOutput: output.get(id)!.join('\n'), startTime, endTime: Date.now() };
    }
  }
  try {
    const run = await publishManifests({
      workspaceRoot: context.root,
      targets,
      loggerFor: (target) => targetLogger(target, context.isVerbose, recordingSink(output.get(target.id)!, consoleSink)),
    });
    for (const outcome of run.outcomes) {
      results[outcome.id] = {
        success: outcome.status !== 'failed',
        terminalOutput: output.get(outcome.id)!.join('\n'),
        startTime,
        endTime: Date.now(),
      };
    }
  } catch (error) {
    const message = describeError(error);
    consoleSink.error(message);
    for (const target of targets) results[target.id] = { success: false, terminalOutput: message, startTime, endTime: Date.now() };
  }
  return results;
}
