/**
 * Runs one batch implementation of the installed (packed) plugin directly, the way Nx's batch worker calls
 * it, without the Nx command around it: `node -r @swc-node/register call-batch.ts <request.json>`. The
 * request names the workspace, the executor and the tasks with their resolved options. Prints the time of
 * loading the executor and running the batch as the last line, `{"ms":…,"failed":[…]}`; Nx's own modules
 * are loaded before the clock starts, since the batch worker has them loaded already.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** What {@link callBatch} runs: one executor's batch over a set of tasks of one workspace. */
export interface BatchRequest {
  workspaceRoot: string;
  executor: 'render' | 'publish-manifest';
  tasks: Array<{ project: string; target: string; configuration: string; options: Record<string, unknown> }>;
  projects: Record<string, { root: string }>;
}

/** The last line the script prints. */
export interface BatchCallResult {
  ms: number;
  failed: string[];
}

type BatchImplementation = (
  taskGraph: unknown,
  inputs: Record<string, Record<string, unknown>>,
  overrides: Record<string, unknown>,
  context: unknown,
) => Promise<Record<string, { success: boolean }>>;

async function callBatch(request: BatchRequest): Promise<BatchCallResult> {
  process.chdir(request.workspaceRoot);
  require(join(request.workspaceRoot, 'node_modules/@nx/devkit'));
  const ids = request.tasks.map((task) => `${task.project}:${task.target}:${task.configuration}`);
  const taskGraph = {
    roots: ids,
    dependencies: Object.fromEntries(ids.map((id) => [id, []])),
    tasks: Object.fromEntries(
      request.tasks.map((task, index) => [
        ids[index],
        { id: ids[index], target: { project: task.project, target: task.target, configuration: task.configuration }, overrides: {}, outputs: [], parallelism: true },
      ]),
    ),
  };
  const inputs = Object.fromEntries(request.tasks.map((task, index) => [ids[index], task.options]));
  const context = {
    root: request.workspaceRoot,
    cwd: request.workspaceRoot,
    isVerbose: false,
    projectsConfigurations: { version: 2, projects: request.projects },
    nxJsonConfiguration: {},
    taskGraph,
  };
  const start = performance.now();
  const batch = (require(join(request.workspaceRoot, 'node_modules/nx-gitops/src/executors', request.executor, 'batch.js')) as { default: BatchImplementation }).default;
  const results = await batch(taskGraph, inputs, {}, context);
  const ms = performance.now() - start;
  return { ms, failed: ids.filter((id) => !results[id]?.success) };
}

if (require.main === module) {
  const request = JSON.parse(readFileSync(process.argv[2], 'utf8')) as BatchRequest;
  callBatch(request).then(
    (result) => process.stdout.write(`\n${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
