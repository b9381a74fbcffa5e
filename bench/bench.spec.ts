/**
 * Keeps the benchmark from rotting: a smoke run (5 services, 20 in the graph workspace, one run) through
 * every measurement, checked for a complete results file (each measurement itself checks that the work was
 * done: manifests written, branches moved, nothing moved by the no-op). No figure is compared with a threshold here; the
 * targets are judged by `npm run bench` at full size.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDir } from '../e2e/nx-gitops-e2e/src/harness';
import { MEDIAN_NAMES, REMOTE_DELAY_MS, TARGETS, formatResultsTable, meetsTarget, parseBenchArgs, runBenchmarks, type BenchResults } from './run';

jest.setTimeout(6 * 60 * 1000);

let outDir: string | undefined;

afterAll(() => removeTempDir(outDir));

describe('parseBenchArgs', () => {
  it('defaults to 100 services, 3 runs and 500 graph services, written to bench/results.json', () => {
    const options = parseBenchArgs([]);
    expect(options).toMatchObject({ services: 100, runs: 3, graphServices: 500 });
    expect(options.out).toBe(join(__dirname, 'results.json'));
  });

  it('reads --flag value and --flag=value, and lets flags override --smoke', () => {
    expect(parseBenchArgs(['--services', '200', '--runs=5', '--graph-services', '50'])).toMatchObject({ services: 200, runs: 5, graphServices: 50 });
    expect(parseBenchArgs(['--smoke'])).toMatchObject({ services: 5, runs: 1, graphServices: 20 });
    expect(parseBenchArgs(['--smoke', '--services', '7'])).toMatchObject({ services: 7, runs: 1, graphServices: 20 });
  });

  it('rejects unknown options and sizes that are not positive integers', () => {
    expect(() => parseBenchArgs(['--service', '3'])).toThrow(/Unknown option --service/);
    expect(() => parseBenchArgs(['--runs', '0'])).toThrow(/--runs takes a positive integer/);
    expect(() => parseBenchArgs(['--services', 'many'])).toThrow(/--services takes a positive integer/);
  });
});

describe('meetsTarget', () => {
  it('holds a lower-is-better figure to at most its limit and a higher-is-better one to at least its limit', () => {
    expect(meetsTarget('renderNxVsFloor', 1.3)).toBe(true);
    expect(meetsTarget('renderNxVsFloor', 1.31)).toBe(false);
    expect(meetsTarget('publishNxRemoteSpeedup', 10)).toBe(true);
    expect(meetsTarget('publishNxRemoteSpeedup', 9.9)).toBe(false);
  });
});

describe('npm run bench -- --smoke', () => {
  let results: BenchResults;
  const printed: string[] = [];

  beforeAll(async () => {
    outDir = makeTempDir('nx-gitops-bench-spec-');
    const options = parseBenchArgs(['--smoke', '--out', join(outDir, 'results.json')], (line) => printed.push(line));
    await runBenchmarks(options);
    results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as BenchResults;
  });

  it('writes the sizes it ran with', () => {
    expect(results).toMatchObject({ services: 5, graphServices: 20, runs: 1 });
  });

  it.each([
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
    'peakRssMb',
  ] as const)('writes %s as a finite positive number', (field) => {
    expect(Number.isFinite(results[field])).toBe(true);
    expect(results[field]).toBeGreaterThan(0);
  });

  it('writes every raw median as a finite positive number', () => {
    expect(Object.keys(results.medians).sort()).toEqual([...MEDIAN_NAMES].sort());
    for (const value of Object.values(results.medians)) {
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeGreaterThan(0);
    }
  });

  it('counts one kustomize process per rendered overlay', () => {
    const { renderBatch } = results.processes;
    expect((renderBatch.kubectl ?? 0) + (renderBatch.kustomize ?? 0)).toBe(results.services);
  });

  it('names the machine', () => {
    expect(results.machine.cpuModel).not.toBe('');
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.node).toBe(process.version);
  });

  it('prints the table it wrote, with a verdict on every target', () => {
    const table = formatResultsTable(results);
    expect(printed.join('\n')).toContain(table);
    expect(table.match(/[✔✘]/g)).toHaveLength(Object.keys(TARGETS).length);
  });

  it('writes the delay of the remote it published to', () => {
    expect(results.remoteDelayMs).toBe(REMOTE_DELAY_MS);
  });
});
