/**
 * `npm run bench [-- --services N --runs R --graph-services M --out FILE --smoke]`: builds synthetic
 * workspaces that install the packed plugin, measures render, publish, a no-op rerun and the project graph
 * against their baselines on this machine, prints a table and writes the figures to `bench/results.json`.
 * Every figure is the median of R runs; ratios compare runs taken side by side.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ensurePluginBuilt, makeTempDir, packPlugin, removeTempDir } from '../e2e/nx-gitops-e2e/src/harness';
import { resolveKustomizeCommand } from '../packages/nx-gitops/src/kustomize/build';
import { median } from './lib/measure';
import {
  batchRequestFor,
  countBatchProcesses,
  countPublishProcesses,
  measureAffectedRerun,
  measureKustomizeFloor,
  measureNaivePublish,
  measurePublishBatch,
  measurePublishNx,
  measureBuiltinKustomize,
  measureRenderBatch,
  measureRenderBuiltinBatch,
  measureRenderNx,
  measureShowProjects,
  prepareGraphBench,
  readGraph,
  withTaskOption,
  type PipelineBench,
} from './lib/measurements';
import { BENCH_ENVIRONMENTS, BENCH_NX_VERSION, createSeededManifestRepository, createSyntheticWorkspace } from './lib/synthetic-workspace';

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

/** The targets of the benchmark (N = 100, graph at 500 services); the table says which are met. */
export const TARGETS = {
  renderVsFloor: { limit: 1.3, better: 'lower' },
  builtinRenderSpeedup: { limit: 10, better: 'higher' },
  publishSpeedup: { limit: 10, better: 'higher' },
  noopVsCold: { limit: 0.15, better: 'lower' },
  graphRatio: { limit: 1.5, better: 'lower' },
  peakRssMb: { limit: 300, better: 'lower' },
} as const;

/** The content of `bench/results.json`. */
export interface BenchResults {
  services: number;
  graphServices: number;
  runs: number;
  /** The render batch over all services, called directly / the same kustomize builds alone. */
  renderVsFloor: number;
  /** `nx run-many -t render --batch` (Nx start-up and project graph included) / the same kustomize builds alone. */
  renderNxVsFloor: number;
  /** The kustomize builds alone / the render batch with option `kustomize: builtin` (no kustomize process). */
  builtinRenderSpeedup: number;
  /** The kustomize builds alone / the same overlays built by the built-in engine in-process. */
  builtinKustomizeSpeedup: number;
  /** Naive per-service publish / the publish batch called directly. */
  publishSpeedup: number;
  /** Naive per-service publish / `nx run-many -t publish-manifest --batch` (Nx start-up included). */
  publishNxSpeedup: number;
  /** No-op `nx affected -t publish-manifest` / the cold one. */
  noopVsCold: number;
  /** `nx show projects` with the plugin / with project.json files and no plugin. */
  graphRatio: number;
  /** `nx show projects` with project.json files and a plugin that infers nothing / with no plugin: Nx's cost of any plugin. */
  graphEmptyPluginRatio: number;
  /** The largest peak RSS of any single process during the render and publish runs (direct and through Nx). */
  peakRssMb: number;
  /** The medians (milliseconds, MiB) behind the ratios. */
  medians: Record<MedianName, number>;
  /** Processes each batch started, by program, in one extra untimed run (from the same state as the timed runs). */
  processes: { renderBatch: Record<string, number>; publishBatch: Record<string, number> };
  machine: { cpuModel: string; cores: number; node: string; os: string; nx: string; kustomize: string };
  date: string;
}

/** The raw figures behind the ratios, each the median of the runs. */
export const MEDIAN_NAMES = [
  'renderBatchMs',
  'renderNxMs',
  'kustomizeFloorMs',
  'renderBuiltinBatchMs',
  'builtinKustomizeMs',
  'publishBatchMs',
  'publishNxMs',
  'naivePublishMs',
  'coldAffectedMs',
  'noopAffectedMs',
  'graphWithPluginMs',
  'graphWithoutPluginMs',
  'graphEmptyPluginMs',
  'renderBatchPeakRssMb',
  'renderNxPeakRssMb',
  'publishBatchPeakRssMb',
  'publishNxPeakRssMb',
  'coldAffectedPeakRssMb',
  'graphWithPluginPeakRssMb',
] as const;

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

function verdict(name: keyof typeof TARGETS, value: number): string {
  const target = TARGETS[name];
  const met = target.better === 'lower' ? value <= target.limit : value >= target.limit;
  return `${target.better === 'lower' ? '≤' : '≥'} ${target.limit} ${met ? 'met' : 'MISSED'}`;
}

/** The results as a plain-text table: each measurement, its baseline, the ratio and the target. */
export function formatResultsTable(results: BenchResults): string {
  const m = results.medians;
  const rows: string[][] = [
    ['measurement', 'ours', 'baseline', 'ratio', 'target'],
    [`render ${results.services} services (batch)`, formatMs(m.renderBatchMs), `${formatMs(m.kustomizeFloorMs)} kustomize alone`, results.renderVsFloor.toFixed(2), verdict('renderVsFloor', results.renderVsFloor)],
    [`  through nx run-many --batch`, formatMs(m.renderNxMs), '', results.renderNxVsFloor.toFixed(2), ''],
    [`render ${results.services} services, kustomize builtin`, formatMs(m.renderBuiltinBatchMs), `${formatMs(m.kustomizeFloorMs)} kustomize alone`, `${results.builtinRenderSpeedup.toFixed(1)}x`, verdict('builtinRenderSpeedup', results.builtinRenderSpeedup)],
    [`  built-in kustomize alone`, formatMs(m.builtinKustomizeMs), '', `${results.builtinKustomizeSpeedup.toFixed(1)}x`, ''],
    [`publish ${results.services} branches (batch)`, formatMs(m.publishBatchMs), `${formatMs(m.naivePublishMs)} naive loop`, `${results.publishSpeedup.toFixed(1)}x`, verdict('publishSpeedup', results.publishSpeedup)],
    [`  through nx run-many --batch`, formatMs(m.publishNxMs), '', `${results.publishNxSpeedup.toFixed(1)}x`, ''],
    ['no-op nx affected rerun', formatMs(m.noopAffectedMs), `${formatMs(m.coldAffectedMs)} cold`, results.noopVsCold.toFixed(2), verdict('noopVsCold', results.noopVsCold)],
    [`nx show projects, ${results.graphServices} services`, formatMs(m.graphWithPluginMs), `${formatMs(m.graphWithoutPluginMs)} project.json`, results.graphRatio.toFixed(2), verdict('graphRatio', results.graphRatio)],
    [`  an empty plugin instead`, formatMs(m.graphEmptyPluginMs), '', results.graphEmptyPluginRatio.toFixed(2), ''],
    [
      'peak RSS, render and publish',
      `${Math.round(results.peakRssMb)} MB`,
      `batch ${Math.round(m.renderBatchPeakRssMb)}/${Math.round(m.publishBatchPeakRssMb)}, nx ${Math.round(m.renderNxPeakRssMb)}/${Math.round(m.publishNxPeakRssMb)}`,
      '',
      verdict('peakRssMb', results.peakRssMb),
    ],
    ['peak RSS, nx show projects', `${Math.round(m.graphWithPluginPeakRssMb)} MB`, `${results.graphServices} services, with the plugin`, '', ''],
  ];
  const spawned = (counts: Record<string, number>) =>
    Object.entries(counts)
      .filter(([, count]) => count > 0)
      .map(([program, count]) => `${count} ${program}`)
      .join(', ') || 'none';
  rows.push(['processes started (batch)', `render: ${spawned(results.processes.renderBatch)}`, `publish: ${spawned(results.processes.publishBatch)}`, '', '']);
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

/**
 * Runs every measurement `options.runs` times in synthetic workspaces under the system temp dir (removed
 * afterwards unless `NX_GITOPS_E2E_KEEP=1`), writes the results to `options.out` and returns them.
 */
export async function runBenchmarks(options: BenchOptions): Promise<BenchResults> {
  const { log } = options;
  const sandbox = makeTempDir('nx-gitops-bench-');
  try {
    log(`Building and packing the plugin; creating workspaces of ${options.services} and ${options.graphServices} services`);
    await ensurePluginBuilt();
    const tarball = await packPlugin(sandbox);
    const manifestRepository = join(sandbox, 'manifests.git');
    const [pipeline, graphWorkspace] = await Promise.all([
      createSyntheticWorkspace({ root: join(sandbox, 'pipeline'), services: options.services, pluginTarball: tarball, manifestRepository }),
      createSyntheticWorkspace({ root: join(sandbox, 'graph'), services: options.graphServices, pluginTarball: tarball, manifestRepository }),
    ]);
    const pipelineGraph = await readGraph(pipeline.workspace);
    const configuration = BENCH_ENVIRONMENTS[0];
    const bench: PipelineBench = {
      ...pipeline,
      manifestRepository,
      seedRepository: join(sandbox, 'seed.git'),
      naiveRepository: join(sandbox, 'naive.git'),
      renderRequest: batchRequestFor({ bench: pipeline, graph: pipelineGraph, executor: 'render', configuration }),
      renderBuiltinRequest: withTaskOption(batchRequestFor({ bench: pipeline, graph: pipelineGraph, executor: 'render', configuration }), 'kustomize', 'builtin'),
      publishRequest: batchRequestFor({ bench: pipeline, graph: pipelineGraph, executor: 'publish-manifest', configuration }),
    };
    await createSeededManifestRepository(bench.seedRepository, bench.services);
    const graph = await prepareGraphBench(graphWorkspace);

    log('Counting the processes each batch starts');
    const processes = { renderBatch: await countBatchProcesses(bench.renderRequest), publishBatch: await countPublishProcesses(bench) };

    const samples = Object.fromEntries(MEDIAN_NAMES.map((name) => [name, [] as number[]])) as Record<MedianName, number[]>;
    const ratios = {
      renderVsFloor: [] as number[],
      renderNxVsFloor: [] as number[],
      builtinRenderSpeedup: [] as number[],
      builtinKustomizeSpeedup: [] as number[],
      publishSpeedup: [] as number[],
      publishNxSpeedup: [] as number[],
      noopVsCold: [] as number[],
      graphRatio: [] as number[],
      graphEmptyPluginRatio: [] as number[],
    };
    for (let run = 1; run <= options.runs; run++) {
      const step = (what: string) => log(`Run ${run} of ${options.runs}: ${what}`);
      step('render (batch, nx run-many, kustomize alone)');
      const renderBatch = await measureRenderBatch(bench);
      const renderNx = await measureRenderNx(bench);
      const floor = await measureKustomizeFloor(bench);
      step('render with the built-in kustomize (batch, engine alone)');
      const renderBuiltin = await measureRenderBuiltinBatch(bench);
      const builtinKustomize = await measureBuiltinKustomize(bench);
      step('publish (batch, nx run-many, naive loop)');
      const publishBatch = await measurePublishBatch(bench);
      const publishNx = await measurePublishNx(bench);
      const naive = await measureNaivePublish(bench);
      step('nx affected -t publish-manifest, cold then no-op');
      const affected = await measureAffectedRerun(bench);
      step('nx show projects: with the plugin, with project.json files, with project.json files and an empty plugin');
      graph.usePlugin();
      const withPlugin = await measureShowProjects(graph);
      graph.useProjectJson();
      const withoutPlugin = await measureShowProjects(graph);
      graph.useEmptyPlugin();
      const emptyPlugin = await measureShowProjects(graph);
      graph.usePlugin();

      const figures: Record<MedianName, number> = {
        renderBatchMs: renderBatch.ms,
        renderNxMs: renderNx.ms,
        kustomizeFloorMs: floor,
        renderBuiltinBatchMs: renderBuiltin.ms,
        builtinKustomizeMs: builtinKustomize,
        publishBatchMs: publishBatch.ms,
        publishNxMs: publishNx.ms,
        naivePublishMs: naive,
        coldAffectedMs: affected.cold.ms,
        noopAffectedMs: affected.noop.ms,
        graphWithPluginMs: withPlugin.ms,
        graphWithoutPluginMs: withoutPlugin.ms,
        graphEmptyPluginMs: emptyPlugin.ms,
        graphWithPluginPeakRssMb: withPlugin.peakRssMb,
        renderBatchPeakRssMb: renderBatch.peakRssMb,
        renderNxPeakRssMb: renderNx.peakRssMb,
        publishBatchPeakRssMb: publishBatch.peakRssMb,
        publishNxPeakRssMb: publishNx.peakRssMb,
        coldAffectedPeakRssMb: affected.cold.peakRssMb,
      };
      for (const name of MEDIAN_NAMES) samples[name].push(figures[name]);
      ratios.renderVsFloor.push(renderBatch.ms / floor);
      ratios.renderNxVsFloor.push(renderNx.ms / floor);
      ratios.builtinRenderSpeedup.push(floor / renderBuiltin.ms);
      ratios.builtinKustomizeSpeedup.push(floor / builtinKustomize);
      ratios.publishSpeedup.push(naive / publishBatch.ms);
      ratios.publishNxSpeedup.push(naive / publishNx.ms);
      ratios.noopVsCold.push(affected.noop.ms / affected.cold.ms);
      ratios.graphRatio.push(withPlugin.ms / withoutPlugin.ms);
      ratios.graphEmptyPluginRatio.push(emptyPlugin.ms / withoutPlugin.ms);
    }

    const medians = Object.fromEntries(MEDIAN_NAMES.map((name) => [name, median(samples[name])])) as Record<MedianName, number>;
    const results: BenchResults = {
      services: options.services,
      graphServices: options.graphServices,
      runs: options.runs,
      renderVsFloor: median(ratios.renderVsFloor),
      renderNxVsFloor: median(ratios.renderNxVsFloor),
      builtinRenderSpeedup: median(ratios.builtinRenderSpeedup),
      builtinKustomizeSpeedup: median(ratios.builtinKustomizeSpeedup),
      publishSpeedup: median(ratios.publishSpeedup),
      publishNxSpeedup: median(ratios.publishNxSpeedup),
      noopVsCold: median(ratios.noopVsCold),
      graphRatio: median(ratios.graphRatio),
      graphEmptyPluginRatio: median(ratios.graphEmptyPluginRatio),
      peakRssMb: Math.max(...samples.renderBatchPeakRssMb, ...samples.renderNxPeakRssMb, ...samples.publishBatchPeakRssMb, ...samples.publishNxPeakRssMb),
      medians,
      processes,
      machine: machine(),
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
    removeTempDir(sandbox);
  }
}

if (require.main === module) {
  runBenchmarks(parseBenchArgs(process.argv.slice(2))).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
