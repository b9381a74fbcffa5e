import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { describeError } from '../../lib/errors';
import { consoleSink, recordingSink } from '../../lib/log';
import type { BatchTaskResult } from '../publish-manifest/batch';
import { diffTargetFromTask, diffTargetLogger } from './executor';
import { diffManifestTargets, type DiffTarget } from './run-diff';
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
  const startTime = Date.now();
  const output = new Map<string, string[]>();
  const results: Record<string, BatchTaskResult> = {};
  const targets: DiffTarget[] = [];
  for (const id of Object.keys(inputs)) {
    const task = taskGraph.tasks[id];
    output.set(id, []);
    const [projectFromId, targetFromId] = id.split(':');
    try {
      targets.push(
        diffTargetFromTask({
          id,
          project: task?.target.project ?? projectFromId,
          targetName: task?.target.target ?? targetFromId,
          configuration: task?.target.configuration,
          options: inputs[id] ?? overrides,
          context,
        }),
      );
    } catch (error) {
      // This task alone fails; the others are still compared.
      recordingSink(output.get(id)!, consoleSink).error(describeError(error));
      results[id] = { success: false, terminalOutput: output.get(id)!.join('\n'), startTime, endTime: Date.now() };
    }
  }
  try {
    const run = await diffManifestTargets({
      workspaceRoot: context.root,
      targets,
      loggerFor: (target) => diffTargetLogger(target, context.isVerbose, recordingSink(output.get(target.id)!, consoleSink)),
    });
    for (const outcome of run.outcomes) {
      results[outcome.id] = { success: outcome.success, terminalOutput: output.get(outcome.id)!.join('\n'), startTime, endTime: Date.now() };
    }
  } catch (error) {
    const message = describeError(error);
    consoleSink.error(message);
    for (const target of targets) results[target.id] = { success: false, terminalOutput: message, startTime, endTime: Date.now() };
  }
  return results;
}
