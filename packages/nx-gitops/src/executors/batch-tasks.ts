import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { describeError } from '../lib/errors';
import { consoleSink, recordingSink, type LogSink } from '../lib/log';

/** The result Nx expects for each task of a batch (its `TaskResult`). */
export interface BatchTaskResult {
  success: boolean;
  terminalOutput: string;
  startTime?: number;
  endTime?: number;
}

/** What a batch executor knows of one task when it turns it into a target of its core. */
export interface BatchTask<Options> {
  id: string;
  project: string;
  targetName: string;
  configuration?: string;
  options: Options;
  context: ExecutorContext;
}

/**
 * The frame of a batch implementation (Nx's `TaskGraphExecutor`): turns every task into a target with
 * `toTarget` (a task that cannot be turned fails alone), runs the targets together with `run`, which logs
 * each target through the sink it is given and answers each target's success, and gives every task its own
 * result and output. A failure of the whole run fails every task with its message.
 */
export async function runBatchTasks<Options, Target extends { id: string }>(options: {
  taskGraph: TaskGraph;
  inputs: Record<string, Options>;
  overrides: Options;
  context: ExecutorContext;
  toTarget: (task: BatchTask<Options>) => Target;
  run: (targets: Target[], sinkFor: (target: Target) => LogSink) => Promise<Array<{ id: string; success: boolean }>>;
}): Promise<Record<string, BatchTaskResult>> {
  const startTime = Date.now();
  const output = new Map<string, string[]>();
  const results: Record<string, BatchTaskResult> = {};
  const targets: Target[] = [];
  for (const id of Object.keys(options.inputs)) {
    const task = options.taskGraph.tasks[id];
    output.set(id, []);
    const [projectFromId, targetFromId] = id.split(':');
    try {
      targets.push(
        options.toTarget({
          id,
          project: task?.target.project ?? projectFromId,
          targetName: task?.target.target ?? targetFromId,
          configuration: task?.target.configuration,
          options: options.inputs[id] ?? options.overrides,
          context: options.context,
        }),
      );
    } catch (error) {
      // This task alone fails; the others still run.
      recordingSink(output.get(id)!, consoleSink).error(describeError(error));
      results[id] = { success: false, terminalOutput: output.get(id)!.join('\n'), startTime, endTime: Date.now() };
    }
  }
  try {
    const outcomes = await options.run(targets, (target) => recordingSink(output.get(target.id)!, consoleSink));
    for (const outcome of outcomes) {
      results[outcome.id] = { success: outcome.success, terminalOutput: output.get(outcome.id)!.join('\n'), startTime, endTime: Date.now() };
    }
  } catch (error) {
    const message = describeError(error);
    consoleSink.error(message);
    for (const target of targets) results[target.id] = { success: false, terminalOutput: message, startTime, endTime: Date.now() };
  }
  return results;
}
