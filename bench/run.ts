/**
 * `npm run bench [-- --services N --runs R --graph-services M --out FILE --smoke]`: builds synthetic
 * workspaces that install the packed plugin and measures, through Nx as users run it, render, publish to a
 * smart-HTTP remote with latency, a no-op rerun and the project graph (cold and warm) against their
 * baselines on this machine; prints a table with each target and writes the figures to `bench/results.json`.
 * Every figure is the median of R runs; ratios compare runs taken side by side.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ensurePluginBuilt, makeTempDir, packPlugin, removeTempDir } from '../e2e/nx-gitops-e2e/src/harness';
import { resolveKustomizeCommand } from '../packages/nx-gitops/src/kustomize/build';
import { median } from './lib/measure';
import { startGitHttpServer } from '../packages/nx-gitops/src/testing/git-http-server';
import {
  batchRequestFor,
  countBatchProcesses,
  countPublishProcesses,
  createNxFloorWorkspace,
  measureAffectedPublish,
  measureBuiltinKustomize,
  measureKustomizeFloor,
  measureNaivePublish,
  measureNxFloor,
  measurePublishBatchRemote,
  measureRenderBatch,
  measureRenderBuiltinBatch,
  measureRenderNx,
  measureShowProjects,
  prepareGraphBench,
  readGraph,
  warmRenderCache,
  withTaskOption,
  type PipelineBench,
} from './lib/measurements';
import { BENCH_ENVIRONMENTS, BENCH_NX_VERSION, createSeededManifestRepository, createSyntheticWorkspace, type SyntheticWorkspace } from './lib/synthetic-workspace';

/** What one benchmark run does. */
export interface BenchOptions {
  /** Services of the render, publish and no-op workspace. */
  services: number;
  /** Runs per measurement; the median is reported. */
  runs: number;
  /** Services of the project-graph workspace. */
  graphServices: number;
  /** Where the results are written. */
  out: string;
  /** Progress and the table go here. */
  log: (line: string) => void;
}

/** The defaults of `npm run bench`. */
export const DEFAULT_BENCH_OPTIONS = { services: 100, runs: 3, graphServices: 500, out: join(__dirname, 'results.json') } as const;

/** The sizes `--smoke` selects: enough to exercise every measurement, quick enough for `npm test`. */
export const SMOKE_BENCH_OPTIONS = { services: 5, runs: 1, graphServices: 20 } as const;

/** The per-request delay of the smart-HTTP remote both publish flows push to: a CI runner's round trip to a forge. */
export const REMOTE_DELAY_MS = 50;

/**
 * The targets of the benchmark (N = 100, graph at 500 services): `lower` means the figure must be at most
 * the limit, `higher` at least. The table marks each ✔ or ✘.
 */
export const TARGETS = {
  renderNxVsFloor: { limit: 1.3, better: 'lower' },
  builtinKustomizeSpeedup: { limit: 10, better: 'higher' },
  publishNxRemoteSpeedup: { limit: 10, better: 'higher' },
  noopVsNxFloor: { limit: 1.3, better: 'lower' },
  graphRatio: { limit: 1.2, better: 'lower' },
  graphWarmRatio: { limit: 1.05, better: 'lower' },
  peakRssMb: { limit: 300, better: 'lower' },
} as const;

/** The content of `bench/results.json`. */
export interface BenchResults {
  services: number;
  graphServices: number;
  runs: number;
  /** `nx run-many -t render --batch --skip-nx-cache` with the default `kustomize: auto` (the built-in engine) / the kustomize floor. */
  renderNxVsFloor: number;
  /** The same with `--kustomize=binary` (one kustomize process per overlay, as the floor) / the kustomize floor. */
  renderNxBinaryVsFloor: number;
  /** The render batch called directly with `kustomize: builtin` / the kustomize floor (target: 10× faster). */
  renderBuiltinVsFloor: number;
  /** The render batch called directly with `kustomize: binary` / the kustomize floor. */
  renderVsFloor: number;
  /** The kustomize floor / the same overlays built by the built-in engine in-process. */
  builtinKustomizeSpeedup: number;
  /** Naive clone-commit-push loop / `nx affected -t publish-manifest --batch`, both to the smart-HTTP remote with latency. */
  publishNxRemoteSpeedup: number;
  /** Naive loop / the publish batch called directly, to the same remote. */
  publishRemoteSpeedup: number;
  /** The same `nx affected` again, nothing changed / that command in the copy of the workspace whose targets are all `nx:noop`. */
  noopVsNxFloor: number;
  /** `nx show projects`, `.nx` removed: with the plugin / with project.json files and no plugin. */
  graphRatio: number;
  /** `nx show projects` run again (Nx's workspace data and the analysis store warm): with the plugin / with project.json files. */
  graphWarmRatio: number;
  /** `nx show projects` cold with project.json files and a plugin that infers nothing / with no plugin: Nx's cost of any plugin. */
  graphEmptyPluginRatio: number;
  /** The largest peak RSS of any single process of ours (every render, publish, no-op and graph run with the plugin). */
  peakRssMb: number;
  /** The medians (milliseconds, MiB) behind the ratios. */
  medians: Record<MedianName, number>;
  /** Processes each batch started, by program, in one extra untimed run (from the same state as the timed runs). */
  processes: { renderBatch: Record<string, number>; publishBatch: Record<string, number> };
  machine: { cpuModel: string; cores: number; node: string; os: string; nx: string; kustomize: string };
  /** The per-request delay of the remote, in milliseconds. */
  remoteDelayMs: number;
  date: string;
}

/** The raw figures behind the ratios, each the median of the runs. */
export const MEDIAN_NAMES = [
  'renderNxMs',
  'renderNxBinaryMs',
  'kustomizeFloorMs',
  'renderBuiltinBatchMs',
  'renderBatchMs',
  'builtinKustomizeMs',
  'publishNxRemoteMs',
  'publishBatchRemoteMs',
  'naivePublishRemoteMs',
  'noopAffectedMs',
  'nxFloorAffectedMs',
  'graphWithPluginMs',
  'graphWithoutPluginMs',
  'graphWithPluginWarmMs',
  'graphWithoutPluginWarmMs',
  'graphEmptyPluginMs',
  'renderNxPeakRssMb',
  'renderNxBinaryPeakRssMb',
  'renderBuiltinBatchPeakRssMb',
  'renderBatchPeakRssMb',
  'publishNxRemotePeakRssMb',
  'publishBatchRemotePeakRssMb',
  'noopAffectedPeakRssMb',
  'graphWithPluginPeakRssMb',
  'graphWithPluginWarmPeakRssMb',
] as const;

/** The medians whose maximum is {@link BenchResults.peakRssMb}: every measured process of ours. */
const OUR_PEAK_RSS: readonly MedianName[] = MEDIAN_NAMES.filter((name) => name.endsWith('PeakRssMb'));

/** One of {@link MEDIAN_NAMES}. */
export type MedianName = (typeof MEDIAN_NAMES)[number];

function positiveInteger(flag: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${flag} takes a positive integer, got "${value ?? ''}"`);
  return parsed;
}

/** Parses the command line (`--flag value` or `--flag=value`); `--smoke` sets the small sizes unless flags override them. */
export function parseBenchArgs(argv: readonly string[], log: BenchOptions['log'] = (line) => process.stdout.write(`${line}\n`)): BenchOptions {
  const given: Partial<Record<'services' | 'runs' | 'graphServices' | 'out', string>> = {};
  let smoke = false;
  const names = { '--services': 'services', '--runs': 'runs', '--graph-services': 'graphServices', '--out': 'out' } as const;
  for (let index = 0; index < argv.length; index++) {
    const [flag, inline] = argv[index].split(/=(.*)/s, 2);
    if (flag === '--smoke') {
      smoke = true;
      continue;
    }
    const name = names[flag as keyof typeof names];
    if (!name) throw new Error(`Unknown option ${argv[index]}; use --services, --runs, --graph-services, --out or --smoke.`);
    given[name] = inline ?? argv[++index];
  }
  const base = smoke ? { ...DEFAULT_BENCH_OPTIONS, ...SMOKE_BENCH_OPTIONS } : DEFAULT_BENCH_OPTIONS;
  return {
    services: given.services !== undefined ? positiveInteger('--services', given.services) : base.services,
    runs: given.runs !== undefined ? positiveInteger('--runs', given.runs) : base.runs,
    graphServices: given.graphServices !== undefined ? positiveInteger('--graph-services', given.graphServices) : base.graphServices,
    out: given.out !== undefined ? resolve(given.out) : base.out,
    log,
  };
}

function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** Whether `value` meets the target `name`. */
export function meetsTarget(name: keyof typeof TARGETS, value: number): boolean {
  const target = TARGETS[name];
  return target.better === 'lower' ? value <= target.limit : value >= target.limit;
}

function verdict(name: keyof typeof TARGETS, value: number): string {
  const target = TARGETS[name];
  return `${target.better === 'lower' ? '≤' : '≥'} ${target.limit} ${meetsTarget(name, value) ? '✔' : '✘'}`;
}

/** The results as a plain-text table: each measurement, its baseline, the ratio and the target; the Nx-path figures first. */
export function formatResultsTable(results: BenchResults): string {
  const m = results.medians;
  const n = results.services;
  const floor = `${formatMs(m.kustomizeFloorMs)} ${results.machine.kustomize} floor`;
  const rows: string[][] = [
    ['measurement', 'ours', 'baseline', 'ratio', 'target'],
    [`nx run-many -t render --batch, ${n} services, kustomize auto (default)`, formatMs(m.renderNxMs), floor, results.renderNxVsFloor.toFixed(2), verdict('renderNxVsFloor', results.renderNxVsFloor)],
    [`  the same with --kustomize=binary`, formatMs(m.renderNxBinaryMs), floor, results.renderNxBinaryVsFloor.toFixed(2), ''],
    [
      `nx affected -t publish-manifest --batch, ${n} branches, ${results.remoteDelayMs} ms remote`,
      formatMs(m.publishNxRemoteMs),
      `${formatMs(m.naivePublishRemoteMs)} naive clone-commit-push loop`,
      `${results.publishNxRemoteSpeedup.toFixed(1)}x`,
      verdict('publishNxRemoteSpeedup', results.publishNxRemoteSpeedup),
    ],
    ['  the same again, nothing changed', formatMs(m.noopAffectedMs), `${formatMs(m.nxFloorAffectedMs)} same with every target nx:noop`, results.noopVsNxFloor.toFixed(2), verdict('noopVsNxFloor', results.noopVsNxFloor)],
    [`nx show projects, ${results.graphServices} services, .nx removed`, formatMs(m.graphWithPluginMs), `${formatMs(m.graphWithoutPluginMs)} project.json files`, results.graphRatio.toFixed(2), verdict('graphRatio', results.graphRatio)],
    ['  the same again, caches warm', formatMs(m.graphWithPluginWarmMs), `${formatMs(m.graphWithoutPluginWarmMs)} project.json files`, results.graphWarmRatio.toFixed(2), verdict('graphWarmRatio', results.graphWarmRatio)],
    ['  an empty plugin instead, .nx removed', formatMs(m.graphEmptyPluginMs), `${formatMs(m.graphWithoutPluginMs)} project.json files`, results.graphEmptyPluginRatio.toFixed(2), ''],
    ['peak RSS, largest process of ours', `${Math.round(results.peakRssMb)} MB`, '', '', verdict('peakRssMb', results.peakRssMb)],
    ['render batch called directly, kustomize builtin', formatMs(m.renderBuiltinBatchMs), floor, `${results.renderBuiltinVsFloor.toFixed(3)} (${(1 / results.renderBuiltinVsFloor).toFixed(1)}x faster)`, ''],
    ['  built-in kustomize engine alone', formatMs(m.builtinKustomizeMs), floor, `${results.builtinKustomizeSpeedup.toFixed(1)}x`, verdict('builtinKustomizeSpeedup', results.builtinKustomizeSpeedup)],
    ['render batch called directly, kustomize binary', formatMs(m.renderBatchMs), floor, results.renderVsFloor.toFixed(2), ''],
    ['publish batch called directly, same remote', formatMs(m.publishBatchRemoteMs), `${formatMs(m.naivePublishRemoteMs)} naive loop`, `${results.publishRemoteSpeedup.toFixed(1)}x`, ''],
  ];
  const spawned = (counts: Record<string, number>) =>
    Object.entries(counts)
      .filter(([, count]) => count > 0)
      .map(([program, count]) => `${count} ${program}`)
      .join(', ') || 'none';
  rows.push(['processes started (batch, binary render)', `render: ${spawned(results.processes.renderBatch)}`, `publish: ${spawned(results.processes.publishBatch)}`, '', '']);
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function machine(): BenchResults['machine'] {
  const command = resolveKustomizeCommand();
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    os: `${platform()} ${release()}`,
    nx: BENCH_NX_VERSION,
    kustomize: [command.file, ...command.args].join(' '),
  };
}

/** The token the bench's smart-HTTP remote accepts; the server is on 127.0.0.1 and lives as long as the run. */
const REMOTE_TOKEN = 'bench-token';

/**
 * Points the pipeline workspace at the remote (plugin option `manifestRepository`), then commits, so the
 * workspace is clean as in CI. Its renders use the default kustomize engine, `auto` (the built-in engine).
 */
async function configurePipelineWorkspace(options: { workspace: SyntheticWorkspace['workspace']; manifestRepository: string }): Promise<void> {
  const { workspace } = options;
  type PluginEntry = string | { plugin: string; options?: Record<string, unknown> };
  const nxJson = JSON.parse(workspace.readFile('nx.json')) as { plugins?: PluginEntry[] };
  nxJson.plugins = (nxJson.plugins ?? []).map((entry) =>
    typeof entry !== 'string' && entry.plugin === 'nx-gitops' ? { ...entry, options: { ...entry.options, manifestRepository: options.manifestRepository } } : entry,
  );
  workspace.writeFile('nx.json', `${JSON.stringify(nxJson, null, 2)}\n`);
  await workspace.commitAll('Manifest repository on the remote');
}

/**
 * Runs every measurement `options.runs` times in synthetic workspaces under the system temp dir (removed
 * afterwards unless `NX_GITOPS_E2E_KEEP=1`), writes the results to `options.out` and returns them.
 */
export async function runBenchmarks(options: BenchOptions): Promise<BenchResults> {
  const { log } = options;
  const sandbox = makeTempDir('nx-gitops-bench-');
  const server = await startGitHttpServer({ projectRoot: sandbox, password: REMOTE_TOKEN, delayMs: REMOTE_DELAY_MS });
  try {
    log(`Building and packing the plugin; creating workspaces of ${options.services} and ${options.graphServices} services`);
    await ensurePluginBuilt();
    const tarball = await packPlugin(sandbox);
    const manifestRepository = join(sandbox, 'manifests.git');
    const remote = { url: (repository: string) => `${server.baseUrl}/${repository}`, token: REMOTE_TOKEN };
    const [pipeline, graphWorkspace] = await Promise.all([
      createSyntheticWorkspace({ root: join(sandbox, 'pipeline'), services: options.services, pluginTarball: tarball, manifestRepository }),
      createSyntheticWorkspace({ root: join(sandbox, 'graph'), services: options.graphServices, pluginTarball: tarball, manifestRepository }),
    ]);
    await configurePipelineWorkspace({ workspace: pipeline.workspace, manifestRepository: remote.url(basename(manifestRepository)) });
    const pipelineGraph = await readGraph(pipeline.workspace);
    const configuration = BENCH_ENVIRONMENTS[0];
    const renderRequest = batchRequestFor({ bench: pipeline, graph: pipelineGraph, executor: 'render', configuration });
    const bench: PipelineBench = {
      ...pipeline,
      manifestRepository,
      seedRepository: join(sandbox, 'seed.git'),
      naiveRepository: join(sandbox, 'naive.git'),
      renderRequest: withTaskOption(renderRequest, 'kustomize', 'binary'),
      renderBuiltinRequest: withTaskOption(renderRequest, 'kustomize', 'builtin'),
      publishRequest: batchRequestFor({ bench: pipeline, graph: pipelineGraph, executor: 'publish-manifest', configuration }),
      remote,
      nxFloor: await createNxFloorWorkspace({ bench: pipeline, graph: pipelineGraph, root: join(sandbox, 'nx-floor') }),
    };
    await createSeededManifestRepository(bench.seedRepository, bench.services);
    const graph = await prepareGraphBench(graphWorkspace);

    log('Counting the processes each batch starts');
    const processes = { renderBatch: await countBatchProcesses(bench.renderRequest), publishBatch: await countPublishProcesses(bench) };

    const samples = Object.fromEntries(MEDIAN_NAMES.map((name) => [name, [] as number[]])) as Record<MedianName, number[]>;
    const ratioNames = [
      'renderNxVsFloor',
      'renderNxBinaryVsFloor',
      'renderBuiltinVsFloor',
      'renderVsFloor',
      'builtinKustomizeSpeedup',
      'publishNxRemoteSpeedup',
      'publishRemoteSpeedup',
      'noopVsNxFloor',
      'graphRatio',
      'graphWarmRatio',
      'graphEmptyPluginRatio',
    ] as const;
    const ratios = Object.fromEntries(ratioNames.map((name) => [name, [] as number[]])) as Record<(typeof ratioNames)[number], number[]>;
    for (let run = 1; run <= options.runs; run++) {
      const step = (what: string) => log(`Run ${run} of ${options.runs}: ${what}`);
      step('render: nx run-many --batch (auto, binary), the kustomize floor, the batch called directly (builtin, binary), the engine alone');
      const renderNx = await measureRenderNx(bench, 'auto');
      const renderNxBinary = await measureRenderNx(bench, 'binary');
      const floor = await measureKustomizeFloor(bench);
      const renderBuiltin = await measureRenderBuiltinBatch(bench);
      const renderBatch = await measureRenderBatch(bench);
      const builtinKustomize = await measureBuiltinKustomize(bench);
      step(`publish to the remote (${REMOTE_DELAY_MS} ms a request): nx affected, again with nothing changed, the nx:noop floor, the batch called directly, the naive loop`);
      await warmRenderCache(bench);
      const affected = await measureAffectedPublish(bench);
      const nxFloor = await measureNxFloor(bench);
      const publishBatch = await measurePublishBatchRemote(bench);
      const naive = await measureNaivePublish(bench);
      step('nx show projects, cold then warm: with the plugin, with project.json files, with project.json files and an empty plugin');
      graph.usePlugin();
      const withPlugin = await measureShowProjects(graph);
      graph.useProjectJson();
      const withoutPlugin = await measureShowProjects(graph);
      graph.useEmptyPlugin();
      const emptyPlugin = await measureShowProjects(graph);
      graph.usePlugin();

      const figures: Record<MedianName, number> = {
        renderNxMs: renderNx.ms,
        renderNxBinaryMs: renderNxBinary.ms,
        kustomizeFloorMs: floor,
        renderBuiltinBatchMs: renderBuiltin.ms,
        renderBatchMs: renderBatch.ms,
        builtinKustomizeMs: builtinKustomize,
        publishNxRemoteMs: affected.publish.ms,
        publishBatchRemoteMs: publishBatch.ms,
        naivePublishRemoteMs: naive,
        noopAffectedMs: affected.noop.ms,
        nxFloorAffectedMs: nxFloor.ms,
        graphWithPluginMs: withPlugin.cold.ms,
        graphWithoutPluginMs: withoutPlugin.cold.ms,
        graphWithPluginWarmMs: withPlugin.warm.ms,
        graphWithoutPluginWarmMs: withoutPlugin.warm.ms,
        graphEmptyPluginMs: emptyPlugin.cold.ms,
        renderNxPeakRssMb: renderNx.peakRssMb,
        renderNxBinaryPeakRssMb: renderNxBinary.peakRssMb,
        renderBuiltinBatchPeakRssMb: renderBuiltin.peakRssMb,
        renderBatchPeakRssMb: renderBatch.peakRssMb,
        publishNxRemotePeakRssMb: affected.publish.peakRssMb,
        publishBatchRemotePeakRssMb: publishBatch.peakRssMb,
        noopAffectedPeakRssMb: affected.noop.peakRssMb,
        graphWithPluginPeakRssMb: withPlugin.cold.peakRssMb,
        graphWithPluginWarmPeakRssMb: withPlugin.warm.peakRssMb,
      };
      for (const name of MEDIAN_NAMES) samples[name].push(figures[name]);
      ratios.renderNxVsFloor.push(renderNx.ms / floor);
      ratios.renderNxBinaryVsFloor.push(renderNxBinary.ms / floor);
      ratios.renderBuiltinVsFloor.push(renderBuiltin.ms / floor);
      ratios.renderVsFloor.push(renderBatch.ms / floor);
      ratios.builtinKustomizeSpeedup.push(floor / builtinKustomize);
      ratios.publishNxRemoteSpeedup.push(naive / affected.publish.ms);
      ratios.publishRemoteSpeedup.push(naive / publishBatch.ms);
      ratios.noopVsNxFloor.push(affected.noop.ms / nxFloor.ms);
      ratios.graphRatio.push(withPlugin.cold.ms / withoutPlugin.cold.ms);
      ratios.graphWarmRatio.push(withPlugin.warm.ms / withoutPlugin.warm.ms);
      ratios.graphEmptyPluginRatio.push(emptyPlugin.cold.ms / withoutPlugin.cold.ms);
    }

    const medians = Object.fromEntries(MEDIAN_NAMES.map((name) => [name, median(samples[name])])) as Record<MedianName, number>;
    const ratioMedians = Object.fromEntries(ratioNames.map((name) => [name, median(ratios[name])])) as Record<(typeof ratioNames)[number], number>;
    const results: BenchResults = {
      services: options.services,
      graphServices: options.graphServices,
      runs: options.runs,
      ...ratioMedians,
      peakRssMb: Math.max(...OUR_PEAK_RSS.flatMap((name) => samples[name])),
      medians,
      processes,
      machine: machine(),
      remoteDelayMs: REMOTE_DELAY_MS,
      date: new Date().toISOString(),
    };
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
    log('');
    log(formatResultsTable(results));
    log('');
    log(`${results.machine.cpuModel}, ${results.machine.cores} cores, Node ${results.machine.node}, Nx ${results.machine.nx}; ratios are medians of ${options.runs} paired runs.`);
    log(`Results written to ${options.out}`);
    return results;
  } finally {
    await server.close();
    removeTempDir(sandbox);
  }
}

if (require.main === module) {
  runBenchmarks(parseBenchArgs(process.argv.slice(2))).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
