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
  measureAffectedRerun,
  measureBatchPublish,
  measureKustomizeFloor,
  measureNaivePublish,
  measureRender,
  measureShowProjects,
  prepareGraphBench,
  type PipelineBench,
} from './lib/measurements';
import { BENCH_NX_VERSION, createSeededManifestRepository, createSyntheticWorkspace } from './lib/synthetic-workspace';

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
  /** `nx run-many -t render --batch` over all services / the same kustomize builds alone. */
  renderVsFloor: number;
  /** Naive per-service publish / batch publish. */
  publishSpeedup: number;
  /** No-op `nx affected -t publish-manifest` / the cold one. */
  noopVsCold: number;
  /** `nx show projects` with the plugin / with project.json files and no plugin. */
  graphRatio: number;
  /** The largest peak RSS of any single process during the render and batch publish runs. */
  peakRssMb: number;
  /** The medians (milliseconds, MiB) behind the ratios. */
  medians: {
    renderMs: number;
    kustomizeFloorMs: number;
    batchPublishMs: number;
    naivePublishMs: number;
    coldAffectedMs: number;
    noopAffectedMs: number;
    graphWithPluginMs: number;
    graphWithoutPluginMs: number;
    renderPeakRssMb: number;
    publishPeakRssMb: number;
    coldAffectedPeakRssMb: number;
  };
  machine: { cpuModel: string; cores: number; node: string; os: string; nx: string; kustomize: string };
  date: string;
}

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
    [`render ${results.services} services`, formatMs(m.renderMs), `${formatMs(m.kustomizeFloorMs)} kustomize alone`, results.renderVsFloor.toFixed(2), verdict('renderVsFloor', results.renderVsFloor)],
    [`publish ${results.services} branches`, formatMs(m.batchPublishMs), `${formatMs(m.naivePublishMs)} naive loop`, `${results.publishSpeedup.toFixed(1)}x`, verdict('publishSpeedup', results.publishSpeedup)],
    ['no-op affected rerun', formatMs(m.noopAffectedMs), `${formatMs(m.coldAffectedMs)} cold`, results.noopVsCold.toFixed(2), verdict('noopVsCold', results.noopVsCold)],
    [`graph ${results.graphServices} services`, formatMs(m.graphWithPluginMs), `${formatMs(m.graphWithoutPluginMs)} project.json`, results.graphRatio.toFixed(2), verdict('graphRatio', results.graphRatio)],
    ['peak RSS (render, publish)', `${Math.round(results.peakRssMb)} MB`, `render ${Math.round(m.renderPeakRssMb)} / publish ${Math.round(m.publishPeakRssMb)}`, '', verdict('peakRssMb', results.peakRssMb)],
  ];
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
    const bench: PipelineBench = {
      ...pipeline,
      manifestRepository,
      seedRepository: join(sandbox, 'seed.git'),
      naiveRepository: join(sandbox, 'naive.git'),
    };
    await createSeededManifestRepository(bench.seedRepository, bench.services);
    const graph = await prepareGraphBench(graphWorkspace);

    const samples: Record<keyof BenchResults['medians'], number[]> = {
      renderMs: [],
      kustomizeFloorMs: [],
      batchPublishMs: [],
      naivePublishMs: [],
      coldAffectedMs: [],
      noopAffectedMs: [],
      graphWithPluginMs: [],
      graphWithoutPluginMs: [],
      renderPeakRssMb: [],
      publishPeakRssMb: [],
      coldAffectedPeakRssMb: [],
    };
    const ratios = { renderVsFloor: [] as number[], publishSpeedup: [] as number[], noopVsCold: [] as number[], graphRatio: [] as number[] };
    for (let run = 1; run <= options.runs; run++) {
      log(`Run ${run} of ${options.runs}: render`);
      const render = await measureRender(bench);
      const floor = await measureKustomizeFloor(bench);
      log(`Run ${run} of ${options.runs}: publish (batch, then naive)`);
      const publish = await measureBatchPublish(bench);
      const naive = await measureNaivePublish(bench);
      log(`Run ${run} of ${options.runs}: nx affected, cold then no-op`);
      const affected = await measureAffectedRerun(bench);
      log(`Run ${run} of ${options.runs}: nx show projects, with and without the plugin`);
      graph.usePlugin();
      const withPlugin = await measureShowProjects(graph);
      graph.useProjectJson();
      const withoutPlugin = await measureShowProjects(graph);
      graph.usePlugin();

      samples.renderMs.push(render.ms);
      samples.kustomizeFloorMs.push(floor);
      samples.batchPublishMs.push(publish.ms);
      samples.naivePublishMs.push(naive);
      samples.coldAffectedMs.push(affected.cold.ms);
      samples.noopAffectedMs.push(affected.noop.ms);
      samples.graphWithPluginMs.push(withPlugin);
      samples.graphWithoutPluginMs.push(withoutPlugin);
      samples.renderPeakRssMb.push(render.peakRssMb);
      samples.publishPeakRssMb.push(publish.peakRssMb);
      samples.coldAffectedPeakRssMb.push(affected.cold.peakRssMb);
      ratios.renderVsFloor.push(render.ms / floor);
      ratios.publishSpeedup.push(naive / publish.ms);
      ratios.noopVsCold.push(affected.noop.ms / affected.cold.ms);
      ratios.graphRatio.push(withPlugin / withoutPlugin);
    }

    const medians = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)])) as BenchResults['medians'];
    const results: BenchResults = {
      services: options.services,
      graphServices: options.graphServices,
      runs: options.runs,
      renderVsFloor: median(ratios.renderVsFloor),
      publishSpeedup: median(ratios.publishSpeedup),
      noopVsCold: median(ratios.noopVsCold),
      graphRatio: median(ratios.graphRatio),
      peakRssMb: Math.max(...samples.renderPeakRssMb, ...samples.publishPeakRssMb),
      medians,
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
