/**
 * The publish-manifest batch executor in its own process, for tests that signal it: reads
 * `{ workspaceRoot, targets: [{ project, options }] }` as JSON from its first argument, runs the batch as
 * Nx would (`<project>:publish-manifest` tasks, the token from the environment), prints each task's
 * success as JSON, and exits 1 when any task failed. Run with `node -r @swc-node/register publish-batch-worker.ts '<json>'`.
 */
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import publishManifestBatch from '../executors/publish-manifest/batch';
import type { PublishManifestExecutorSchema } from '../executors/publish-manifest/schema';

interface WorkerInput {
  workspaceRoot: string;
  targets: Array<{ project: string; options: PublishManifestExecutorSchema }>;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as WorkerInput;
  const ids = input.targets.map((target) => `${target.project}:publish-manifest`);
  const tasks = Object.fromEntries(
    input.targets.map((target, index) => [ids[index], { id: ids[index], target: { project: target.project, target: 'publish-manifest' }, overrides: {}, outputs: [], cache: false, parallelism: true }]),
  );
  const taskGraph = { roots: ids, tasks, dependencies: {}, continuousDependencies: {} } as unknown as TaskGraph;
  const context = {
    root: input.workspaceRoot,
    cwd: input.workspaceRoot,
    isVerbose: false,
    targetName: 'publish-manifest',
    projectsConfigurations: { version: 2, projects: {} },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as unknown as ExecutorContext;
  const inputs = Object.fromEntries(input.targets.map((target, index) => [ids[index], target.options]));
  const results = await publishManifestBatch(taskGraph, inputs, {}, context);
  const success = Object.fromEntries(Object.entries(results).map(([id, result]) => [id, result.success]));
  process.stdout.write(`${JSON.stringify(success)}\n`);
  process.exitCode = Object.values(success).every(Boolean) ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
