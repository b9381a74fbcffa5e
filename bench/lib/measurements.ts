/**
 * The measurements of the benchmark, each paired with the baseline it is compared against: our render
 * (through Nx and called directly) against the same kustomize commands alone, publish to a smart-HTTP remote
 * with latency against the naive clone-commit-push loop to the same remote, a no-op `nx affected` against the
 * same command in a copy of the workspace whose targets are all `nx:noop`, and the project graph with the
 * plugin against plain project.json files, cold and warm.
 * Every measurement checks that the work was really done (files written, branches moved), so a broken
 * pipeline cannot show up as a fast one.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import ts from 'typescript';
import { branchTips, git, makeTempDir, openFixtureWorkspace, removeTempDir, runInFixture, type FixtureWorkspace } from '../../e2e/nx-gitops-e2e/src/harness';
import { buildKustomization, resolveKustomizeCommand } from '../../packages/nx-gitops/src/kustomize/build';
import { buildKustomizationInProcess } from '../../packages/nx-gitops/src/kustomize/builtin/build';
import { runWithConcurrency } from '../../packages/nx-gitops/src/lib/exec';
import { defaultCacheRoot } from '../../packages/nx-gitops/src/publish/git-cache';
import type { BatchCallResult, BatchRequest } from './call-batch';
import { measureCommand, timed, type CommandMeasurement } from './measure';
import { BENCH_ENVIRONMENTS, overlayDir, resetRepository, serviceBranch, type SyntheticWorkspace } from './synthetic-workspace';

/** The synthetic workspace of the render, publish and no-op measurements, with its manifest repositories. */
export interface PipelineBench extends SyntheticWorkspace {
  /** The repository nx.json points at; reset to {@link seedRepository} before every publish. */
  manifestRepository: string;
  /** One branch per service with a placeholder manifest: the state every publish starts from. */
  seedRepository: string;
  /** The repository the naive flow publishes to, reset the same way. */
  naiveRepository: string;
  /** Every service's `render` of the default environment, with the options Nx would pass. */
  renderRequest: BatchRequest;
  /** Every service's `publish-manifest` of the default environment, with the options Nx would pass. */
  publishRequest: BatchRequest;
  /** {@link renderRequest} with option `kustomize: builtin` on every task. */
  renderBuiltinRequest: BatchRequest;
  /** The smart-HTTP server both publish flows push to, and the credentials it accepts. */
  remote: BenchRemote;
  /** The copy of the workspace whose targets are all `nx:noop` (see {@link createNxFloorWorkspace}). */
  nxFloor: FixtureWorkspace;
}

/** A smart-HTTP git server serving the bench's bare repositories by folder name. */
export interface BenchRemote {
  /** The URL of a bare repository of the sandbox (`manifests.git`), without credentials. */
  url(repository: string): string;
  /** The token the server accepts (given to nx-gitops as `NX_GITOPS_TOKEN`). */
  token: string;
}

/** `request` with one option set on every task (as a configuration of each target would). */
export function withTaskOption(request: BatchRequest, name: string, value: unknown): BatchRequest {
  return { ...request, tasks: request.tasks.map((task) => ({ ...task, options: { ...task.options, [name]: value } })) };
}

function nxBinary(workspace: FixtureWorkspace): string {
  return join(workspace.root, 'node_modules/.bin/nx');
}

function renderedManifest(workspace: FixtureWorkspace, service: string): string {
  return join(workspace.root, 'dist/manifests', service, BENCH_ENVIRONMENTS[0], 'manifest.yaml');
}

function assertAllRendered(bench: SyntheticWorkspace): void {
  const missing = bench.services.filter((service) => !existsSync(renderedManifest(bench.workspace, service)));
  if (missing.length > 0) throw new Error(`render left no manifest for ${missing.length} services (first: ${missing[0]})`);
}

async function assertBranchesMoved(options: { repository: string; seedRepository: string; services: readonly string[]; what: string }): Promise<void> {
  const [before, after] = await Promise.all([branchTips(options.seedRepository), branchTips(options.repository)]);
  const unmoved = options.services.map(serviceBranch).filter((branch) => !after[branch] || after[branch] === before[branch]);
  if (unmoved.length > 0) throw new Error(`${options.what} did not publish ${unmoved.length} branches (first: ${unmoved[0]})`);
}

/**
 * Runs a batch implementation directly ({@link BatchRequest}) in its own plain Node process (the script is
 * transpiled here, so no TypeScript loader weighs on the process's memory) and returns the time the batch
 * took inside it, with the peak RSS of that process tree.
 */
async function measureDirectBatch(request: BatchRequest, env?: Record<string, string>): Promise<CommandMeasurement> {
  const scratch = makeTempDir('nx-gitops-bench-batch-');
  try {
    const script = join(scratch, 'call-batch.js');
    const source = readFileSync(join(__dirname, 'call-batch.ts'), 'utf8');
    writeFileSync(script, ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText);
    const file = join(scratch, 'request.json');
    writeFileSync(file, JSON.stringify(request));
    const measurement = await measureCommand({ file: process.execPath, args: [script, file], cwd: request.workspaceRoot, env });
    const result = JSON.parse(measurement.stdout.trim().split('\n').pop()!) as BatchCallResult;
    if (result.failed.length > 0) throw new Error(`${request.executor} batch failed for ${result.failed.length} tasks (first: ${result.failed[0]})`);
    return { ...measurement, ms: result.ms };
  } finally {
    removeTempDir(scratch);
  }
}

/** Replaces Nx's `{projectRoot}`, `{projectName}` and `{workspaceRoot}` tokens in option values, as Nx does before calling an executor. */
function interpolate(value: unknown, tokens: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\{(projectRoot|projectName|workspaceRoot)\}/g, (match, name: string) => tokens[name] ?? match);
  if (Array.isArray(value)) return value.map((item) => interpolate(item, tokens));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, tokens)]));
  return value;
}

/**
 * The batch request Nx would make for `target` with `configuration` over every service: options merged with
 * the configuration's, tokens interpolated, as the project graph in `graph` defines them.
 */
export function batchRequestFor(options: {
  bench: SyntheticWorkspace;
  graph: ProjectGraphFile;
  executor: BatchRequest['executor'];
  configuration: string;
}): BatchRequest {
  const { bench, graph } = options;
  const projects = Object.fromEntries(Object.values(graph.nodes).map((node) => [node.name, { root: node.data.root }]));
  return {
    workspaceRoot: bench.workspace.root,
    executor: options.executor,
    projects,
    tasks: bench.services.map((project) => {
      const target = graph.nodes[project]?.data.targets?.[options.executor];
      if (!target) throw new Error(`project ${project} has no ${options.executor} target`);
      const tokens = { projectRoot: projects[project].root, projectName: project, workspaceRoot: bench.workspace.root };
      const merged = { ...(target.options ?? {}), ...(target.configurations?.[options.configuration] ?? {}) };
      return { project, target: options.executor, configuration: options.configuration, options: interpolate(merged, tokens) as Record<string, unknown> };
    }),
  };
}

/** The programs whose starts {@link countBatchProcesses} counts. */
export const COUNTED_PROGRAMS = ['git', 'kubectl', 'kustomize'] as const;

function findOnPath(name: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find((file) => {
      try {
        accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/**
 * Runs a batch once more with `git`, `kubectl` and `kustomize` behind counting shims first on PATH, and
 * returns how many times each was started by the batch (processes that git starts itself are not counted).
 * The shims cost a shell each, so this run is not timed.
 */
export async function countBatchProcesses(request: BatchRequest, env: Record<string, string> = {}): Promise<Record<string, number>> {
  const scratch = makeTempDir('nx-gitops-bench-count-');
  try {
    const shims = join(scratch, 'bin');
    const log = join(scratch, 'spawned.log');
    mkdirSync(shims);
    writeFileSync(log, '');
    for (const program of COUNTED_PROGRAMS) {
      const real = findOnPath(program);
      if (!real) continue;
      writeFileSync(join(shims, program), `#!/bin/sh\necho ${program} >> "$BENCH_SPAWN_LOG"\nexec "${real}" "$@"\n`, { mode: 0o755 });
    }
    await measureDirectBatch(request, { ...env, PATH: `${shims}${delimiter}${process.env.PATH ?? ''}`, BENCH_SPAWN_LOG: log });
    const counts: Record<string, number> = Object.fromEntries(COUNTED_PROGRAMS.map((program) => [program, 0]));
    for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) counts[line] = (counts[line] ?? 0) + 1;
    return counts;
  } finally {
    removeTempDir(scratch);
  }
}

/** The render batch called directly over every service's default environment, from no rendered output. */
export async function measureRenderBatch(bench: PipelineBench): Promise<CommandMeasurement> {
  rmSync(join(bench.workspace.root, 'dist/manifests'), { recursive: true, force: true });
  const measurement = await measureDirectBatch(bench.renderRequest);
  assertAllRendered(bench);
  return measurement;
}

/** {@link countBatchProcesses} of the publish batch, from the state of the timed runs (every branch behind, no clone yet). */
export async function countPublishProcesses(bench: PipelineBench): Promise<Record<string, number>> {
  resetRepository(bench.seedRepository, bench.manifestRepository);
  rmSync(publisherCache(bench.workspace), { recursive: true, force: true });
  return countBatchProcesses(bench.publishRequest, { NX_GITOPS_TOKEN: bench.remote.token });
}

/**
 * `nx run-many -t render --batch` over every service's default environment, without the Nx cache, from a
 * workspace with no rendered output, with the default kustomize engine (`auto`: built-in); with
 * `engine: 'binary'` the command line asks for the binary with `--kustomize=binary`, as a user would.
 */
export async function measureRenderNx(bench: SyntheticWorkspace, engine: 'auto' | 'binary'): Promise<CommandMeasurement> {
  rmSync(join(bench.workspace.root, 'dist/manifests'), { recursive: true, force: true });
  const measurement = await measureCommand({
    file: nxBinary(bench.workspace),
    args: ['run-many', '-t', 'render', '--batch', '--skip-nx-cache', ...(engine === 'binary' ? ['--kustomize=binary'] : [])],
    cwd: bench.workspace.root,
  });
  assertAllRendered(bench);
  return measurement;
}

/**
 * The floor of a kustomize-based render: the same overlays built by the same kustomize command the render
 * chose, with the parallelism of the render batch (one process per core), and nothing else.
 */
export async function measureKustomizeFloor(bench: SyntheticWorkspace): Promise<number> {
  const command = resolveKustomizeCommand();
  const { ms } = await timed(() =>
    runWithConcurrency(
      availableParallelism(),
      bench.services.map((service) => () => buildKustomization({ dir: join(bench.workspace.root, overlayDir(service)), command })),
    ),
  );
  return ms;
}

/** The render batch called directly with the built-in kustomize engine (no kustomize process), from no rendered output. */
export async function measureRenderBuiltinBatch(bench: PipelineBench): Promise<CommandMeasurement> {
  rmSync(join(bench.workspace.root, 'dist/manifests'), { recursive: true, force: true });
  const measurement = await measureDirectBatch(bench.renderBuiltinRequest);
  assertAllRendered(bench);
  return measurement;
}

/**
 * The built-in engine alone: every overlay of {@link measureKustomizeFloor} built in-process, one after
 * another, each checked to give the binary's bytes (the check is not timed).
 */
export async function measureBuiltinKustomize(bench: SyntheticWorkspace): Promise<number> {
  const dirs = bench.services.map((service) => join(bench.workspace.root, overlayDir(service)));
  const outputs: string[] = [];
  const { ms } = await timed(async () => {
    for (const dir of dirs) outputs.push(buildKustomizationInProcess(dir));
  });
  const command = resolveKustomizeCommand();
  const expected = await buildKustomization({ dir: dirs[0], command });
  if (outputs[0].replace(/\n$/, '') !== expected) throw new Error(`the built-in kustomize differs from ${command.file} on ${dirs[0]}`);
  return ms;
}

/** Where the publisher keeps its clone of each manifest repository in a workspace (removed for a cold publish). */
function publisherCache(workspace: FixtureWorkspace): string {
  return defaultCacheRoot(workspace.root);
}

/**
 * The publish batch called directly against the remote, as a CI runner starts it: no clone of the manifest
 * repository yet, every branch behind.
 */
export async function measurePublishBatchRemote(bench: PipelineBench): Promise<CommandMeasurement> {
  assertAllRendered(bench);
  resetRepository(bench.seedRepository, bench.manifestRepository);
  rmSync(publisherCache(bench.workspace), { recursive: true, force: true });
  const measurement = await measureDirectBatch(bench.publishRequest, { NX_GITOPS_TOKEN: bench.remote.token });
  await assertBranchesMoved({ repository: bench.manifestRepository, seedRepository: bench.seedRepository, services: bench.services, what: 'the publish batch' });
  return measurement;
}

/** The arguments of the `nx affected` run the publish and no-op measurements time: every service is affected. */
function affectedPublishArgs(bench: SyntheticWorkspace): string[] {
  return ['affected', '-t', 'publish-manifest', '--batch', `--base=${bench.firstCommit}`, '--head=HEAD'];
}

/**
 * Fills the Nx cache with every service's render (`nx run-many -t render`), so that the publish measurements
 * time the publish path of Nx (start-up, graph, hashing, cache restore, the batch) and not a render.
 */
export async function warmRenderCache(bench: SyntheticWorkspace): Promise<void> {
  await runInFixture(nxBinary(bench.workspace), ['run-many', '-t', 'render'], { cwd: bench.workspace.root });
  assertAllRendered(bench);
}

/** The first and the repeated run of the same `nx affected -t publish-manifest --batch`. */
export interface AffectedMeasurement {
  /** Every branch behind, no clone of the manifest repository yet, renders in the Nx cache: a publish to every branch. */
  publish: CommandMeasurement;
  /** The same command again at once, nothing changed: must push nothing. */
  noop: CommandMeasurement;
}

/**
 * `nx affected -t publish-manifest --batch` from the commit before any service, against the smart-HTTP
 * remote: first with every branch behind (renders restored from the Nx cache that {@link warmRenderCache}
 * filled, the publisher's clone removed, as on a fresh CI runner), then the same command again, which must
 * move no branch.
 */
export async function measureAffectedPublish(bench: PipelineBench): Promise<AffectedMeasurement> {
  const root = bench.workspace.root;
  resetRepository(bench.seedRepository, bench.manifestRepository);
  rmSync(publisherCache(bench.workspace), { recursive: true, force: true });
  const env = { NX_GITOPS_TOKEN: bench.remote.token };
  const publish = await measureCommand({ file: nxBinary(bench.workspace), args: affectedPublishArgs(bench), cwd: root, env });
  await assertBranchesMoved({ repository: bench.manifestRepository, seedRepository: bench.seedRepository, services: bench.services, what: 'nx affected -t publish-manifest' });
  const published = await branchTips(bench.manifestRepository);
  const noop = await measureCommand({ file: nxBinary(bench.workspace), args: affectedPublishArgs(bench), cwd: root, env });
  const after = await branchTips(bench.manifestRepository);
  if (JSON.stringify(after) !== JSON.stringify(published)) throw new Error('the no-op affected run moved a branch');
  return { publish, noop };
}

/**
 * Nx's own floor for the no-op rerun: the same `nx affected` in {@link createNxFloorWorkspace}'s copy, run
 * twice so the second (timed) run, like ours, finds its cache filled.
 */
export async function measureNxFloor(bench: PipelineBench): Promise<CommandMeasurement> {
  const floor = bench.nxFloor;
  await runInFixture(nxBinary(floor), affectedPublishArgs(bench), { cwd: floor.root });
  return measureCommand({ file: nxBinary(floor), args: affectedPublishArgs(bench), cwd: floor.root });
}

/**
 * The copy of the pipeline workspace that stands for what Nx itself needs for `nx affected -t
 * publish-manifest`: a clone of its git history (so the same commits are affected) sharing its
 * node_modules (the same Nx), with the nx-gitops plugin removed from nx.json and each service given a
 * project.json holding the same target names, `dependsOn`, `cache` flags and project dependencies as the
 * inferred project, but every executor `nx:noop` and Nx's default inputs. What the copy costs is Nx's
 * start-up, project graph of the same size, task graph, hashing and cache lookups for the same tasks;
 * anything above it in our run is ours (plugin, inputs, executors, remote round trips).
 */
export async function createNxFloorWorkspace(options: { bench: SyntheticWorkspace; graph: ProjectGraphFile; root: string }): Promise<FixtureWorkspace> {
  const { bench, graph, root } = options;
  await git(dirname(root), ['clone', '-q', bench.workspace.root, root]);
  symlinkSync(join(bench.workspace.root, 'node_modules'), join(root, 'node_modules'), 'dir');
  const floor = openFixtureWorkspace(root, bench.workspace.nxVersion);
  const nxJson = JSON.parse(floor.readFile('nx.json')) as { plugins?: Array<string | { plugin: string }> };
  nxJson.plugins = (nxJson.plugins ?? []).filter((entry) => (typeof entry === 'string' ? entry : entry.plugin) !== 'nx-gitops');
  floor.writeFile('nx.json', `${JSON.stringify(nxJson, null, 2)}\n`);
  for (const service of bench.services) {
    const node = graph.nodes[service];
    if (!node) throw new Error(`project ${service} is not in the graph`);
    const targets = Object.fromEntries(
      Object.entries(node.data.targets ?? {}).map(([name, target]) => [
        name,
        { executor: 'nx:noop', ...(target.dependsOn ? { dependsOn: target.dependsOn } : {}), ...(target.cache !== undefined ? { cache: target.cache } : {}) },
      ]),
    );
    const project = { name: service, root: node.data.root, targets, implicitDependencies: (graph.dependencies[service] ?? []).map((edge) => edge.target).sort() };
    floor.writeFile(join(node.data.root, 'project.json'), `${JSON.stringify(project, null, 2)}\n`);
  }
  await floor.commitAll('Every target nx:noop, no plugin');
  return floor;
}

/**
 * The naive flow, one service after another, against the same remote as ours: shallow clone of the
 * service's branch, write the manifest, commit, push.
 */
export async function measureNaivePublish(bench: PipelineBench): Promise<number> {
  assertAllRendered(bench);
  resetRepository(bench.seedRepository, bench.naiveRepository);
  const scratch = makeTempDir('nx-gitops-bench-naive-');
  const sourceCommit = await bench.workspace.head();
  const url = new URL(bench.remote.url(basename(bench.naiveRepository)));
  url.username = 'bench';
  url.password = bench.remote.token;
  try {
    const { ms } = await timed(async () => {
      for (const service of bench.services) {
        const branch = serviceBranch(service);
        const checkout = join(scratch, service);
        await git(scratch, ['clone', '-q', '--depth', '1', '--single-branch', '--branch', branch, url.href, checkout]);
        writeFileSync(join(checkout, 'manifest.yaml'), readFileSync(renderedManifest(bench.workspace, service)));
        await git(checkout, ['add', 'manifest.yaml']);
        await git(checkout, ['commit', '-q', '-m', `${branch}: render ${sourceCommit.slice(0, 7)}\n\nSource-Commit: ${sourceCommit}`]);
        await git(checkout, ['push', '-q', 'origin', `HEAD:refs/heads/${branch}`]);
      }
    });
    await assertBranchesMoved({ repository: bench.naiveRepository, seedRepository: bench.seedRepository, services: bench.services, what: 'the naive flow' });
    return ms;
  } finally {
    removeTempDir(scratch);
  }
}

/** A workspace for the project-graph measurement, and how to switch it between the plugin and project.json files. */
export interface GraphBench {
  workspace: FixtureWorkspace;
  /** Projects in the graph, the same in both variants. */
  projectCount: number;
  usePlugin(): void;
  useProjectJson(): void;
  /**
   * project.json files plus a plugin that infers nothing from the same files: what any plugin costs in Nx
   * (its worker process and loading), which no work inside a plugin can remove.
   */
  useEmptyPlugin(): void;
}

/** The package name of the plugin that infers nothing. */
export const EMPTY_PLUGIN = 'nx-gitops-bench-empty-plugin';

function writeEmptyPlugin(workspaceRoot: string): void {
  const dir = join(workspaceRoot, 'node_modules', EMPTY_PLUGIN);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: EMPTY_PLUGIN, version: '0.0.0', main: 'index.js' }, null, 2)}\n`);
  writeFileSync(
    join(dir, 'index.js'),
    "const createNodes = ['**/skaffold.yaml', async () => []];\nmodule.exports = { createNodes, createNodesV2: createNodes };\n",
  );
}

interface GraphTarget {
  options?: Record<string, unknown>;
  configurations?: Record<string, Record<string, unknown>>;
  dependsOn?: unknown[];
  cache?: boolean;
}

/** The part of `nx graph --file` output the benchmark reads. */
export interface ProjectGraphFile {
  nodes: Record<string, { name: string; data: { root: string; targets?: Record<string, GraphTarget> } }>;
  dependencies: Record<string, Array<{ target: string }>>;
}

/** The project graph as `nx graph --file` writes it. */
export async function readGraph(workspace: FixtureWorkspace): Promise<ProjectGraphFile> {
  const scratch = makeTempDir('nx-gitops-bench-graph-');
  try {
    const file = join(scratch, 'graph.json');
    await workspace.nx(['graph', `--file=${file}`]);
    return (JSON.parse(readFileSync(file, 'utf8')) as { graph: ProjectGraphFile }).graph;
  } finally {
    removeTempDir(scratch);
  }
}

/**
 * Prepares the two variants of the graph workspace: the plugin infers every service (as generated), or
 * nx.json has no plugin and each service has a project.json with the targets and dependencies the plugin
 * inferred, written from `nx graph --file`. Checks that both variants have the same projects; leaves the plugin on.
 */
export async function prepareGraphBench(bench: SyntheticWorkspace): Promise<GraphBench> {
  const { workspace } = bench;
  const nxJsonPath = join(workspace.root, 'nx.json');
  const withPlugin = readFileSync(nxJsonPath, 'utf8');
  const nxJson = JSON.parse(withPlugin) as { plugins?: Array<string | { plugin: string }> };
  const otherPlugins = (nxJson.plugins ?? []).filter((entry) => (typeof entry === 'string' ? entry : entry.plugin) !== 'nx-gitops');
  const withoutPlugin = `${JSON.stringify({ ...nxJson, plugins: otherPlugins }, null, 2)}\n`;
  const withEmptyPlugin = `${JSON.stringify({ ...nxJson, plugins: [...otherPlugins, EMPTY_PLUGIN] }, null, 2)}\n`;
  writeEmptyPlugin(workspace.root);

  const graph = await readGraph(workspace);
  const projectJsons = Object.values(graph.nodes)
    .filter((node) => node.data.root.startsWith('services/'))
    .map((node) => ({
      path: join(workspace.root, node.data.root, 'project.json'),
      content: `${JSON.stringify(
        {
          name: node.name,
          root: node.data.root,
          projectType: 'application',
          targets: node.data.targets ?? {},
          implicitDependencies: (graph.dependencies[node.name] ?? []).map((dependency) => dependency.target).sort(),
        },
        null,
        2,
      )}\n`,
    }));
  if (projectJsons.length !== bench.services.length) {
    throw new Error(`the plugin inferred ${projectJsons.length} services, expected ${bench.services.length}`);
  }
  const projectCount = Object.keys(graph.nodes).length;
  const variants: GraphBench = {
    workspace,
    projectCount,
    usePlugin() {
      writeFileSync(nxJsonPath, withPlugin);
      for (const { path } of projectJsons) rmSync(path, { force: true });
    },
    useProjectJson() {
      writeFileSync(nxJsonPath, withoutPlugin);
      for (const { path, content } of projectJsons) writeFileSync(path, content);
    },
    useEmptyPlugin() {
      writeFileSync(nxJsonPath, withEmptyPlugin);
      for (const { path, content } of projectJsons) writeFileSync(path, content);
    },
  };
  variants.useProjectJson();
  const withoutPluginCount = Object.keys((await readGraph(workspace)).nodes).length;
  variants.usePlugin();
  if (withoutPluginCount !== projectCount) {
    throw new Error(`without the plugin the graph has ${withoutPluginCount} projects, with it ${projectCount}`);
  }
  return variants;
}

/** A cold and a warm `nx show projects`. */
export interface ShowProjectsMeasurement {
  /** `.nx` removed first: no Nx cache, no workspace data, no analysis store. */
  cold: CommandMeasurement;
  /** The same command at once again: Nx's workspace data and the plugin's analysis store as the cold run left them. */
  warm: CommandMeasurement;
}

/**
 * `nx show projects` cold (`.nx` removed) and then warm (the second run). Its output is not checked: Nx exits
 * before a pipe has taken all of a long list, so {@link prepareGraphBench} checks both variants instead.
 */
export async function measureShowProjects(graph: GraphBench): Promise<ShowProjectsMeasurement> {
  rmSync(join(graph.workspace.root, '.nx'), { recursive: true, force: true });
  const command = { file: nxBinary(graph.workspace), args: ['show', 'projects'], cwd: graph.workspace.root };
  const cold = await measureCommand(command);
  const warm = await measureCommand(command);
  return { cold, warm };
}
