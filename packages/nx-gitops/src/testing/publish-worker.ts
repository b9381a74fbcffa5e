/**
 * A publisher in its own process, for tests that need real concurrency: reads
 * `{ workspaceRoot, cacheRoot, targets }` as JSON from its first argument, publishes, and prints the
 * outcomes as JSON. Run with `node -r @swc-node/register publish-worker.ts '<json>'`.
 */
import { publishManifests } from '../publish/publish-manifests';
import type { PublishTarget } from '../publish/request';

interface WorkerInput {
  workspaceRoot: string;
  cacheRoot: string;
  targets: PublishTarget[];
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2]) as WorkerInput;
  const result = await publishManifests({ workspaceRoot: input.workspaceRoot, cacheRoot: input.cacheRoot, targets: input.targets });
  process.stdout.write(`${JSON.stringify({ success: result.success, outcomes: result.outcomes })}\n`);
  process.exitCode = result.success ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
