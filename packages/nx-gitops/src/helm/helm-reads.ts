/**
 * What a config's helm releases read, for the Nx plugin's inputs and graph edges. Light on purpose: it reads
 * files only (Chart.yaml for `file://` dependencies) and loads no process adapter.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import { executeGoTemplate, parseGoTemplate } from '../skaffold/go-template';
import { templateFieldNames } from '../skaffold/tags/describe-tag-inputs';
import type { SkaffoldConfig } from '../skaffold/types';
import { flattenValues, type HelmRelease } from './args';
import { isRemoteRelease, legacyHelmReleases, renderedHelmReleases } from './render-helm';

/** The sets {@link collectHelmReads} adds to (the plugin's render reads). */
export interface HelmReads {
  files: Set<string>;
  dirs: Set<string>;
  envVars: Set<string>;
}

/** Template fields that come from the render's images, not from the environment. */
const IMAGE_FIELD = /^(IMAGE_|DIGEST)/;

/** The local chart folders a chart's `file://` dependencies name, recursively, the chart itself first. */
export function localChartDirs(chartDir: string, seen: Set<string> = new Set()): string[] {
  if (seen.has(chartDir)) return [];
  seen.add(chartDir);
  const dirs = [chartDir];
  let chart: unknown;
  try {
    chart = load(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'), { schema: CORE_SCHEMA });
  } catch {
    return dirs;
  }
  const dependencies = (chart as { dependencies?: Array<{ repository?: unknown }> } | null)?.dependencies;
  for (const dependency of Array.isArray(dependencies) ? dependencies : []) {
    const repository = dependency?.repository;
    if (typeof repository !== 'string' || !repository.startsWith('file://')) continue;
    const path = repository.slice('file://'.length);
    dirs.push(...localChartDirs(isAbsolute(path) ? path : resolve(chartDir, path), seen));
  }
  return dirs;
}

function expand(text: string, env: Record<string, string | undefined> | undefined, reads: HelmReads): string | undefined {
  if (!text.includes('{{')) return text;
  for (const name of templateFieldNames(text)) if (!IMAGE_FIELD.test(name)) reads.envVars.add(name);
  if (!env) return undefined;
  try {
    return executeGoTemplate(parseGoTemplate(text, text), env as Record<string, string>, { missingKey: 'invalid' });
  } catch {
    // The render reports a broken template.
    return undefined;
  }
}

function collectReleaseReads(options: { release: HelmRelease; dir: string; env?: Record<string, string | undefined>; reads: HelmReads }): void {
  const { release, dir, env, reads } = options;
  expand(release.name ?? '', env, reads);
  if (release.namespace) expand(release.namespace, env, reads);
  const templates = flattenValues(release.setValueTemplates);
  for (const [key, value] of Object.entries(templates)) {
    expand(key, env, reads);
    expand(value, env, reads);
  }
  if (!isRemoteRelease(release) && release.chartPath) {
    const chartPath = expand(release.chartPath, env, reads);
    if (chartPath) for (const chartDir of localChartDirs(isAbsolute(chartPath) ? chartPath : join(dir, chartPath))) reads.dirs.add(chartDir);
  }
  for (const file of [...(release.valuesFiles ?? []), ...Object.values(release.setFiles ?? {})]) {
    if (file.startsWith('~')) continue;
    const path = expand(file, env, reads);
    if (path) reads.files.add(isAbsolute(path) ? path : join(dir, path));
  }
}

/**
 * Adds what a config's helm releases (`manifests.helm`, and the legacy `deploy.helm` ones render adds) read:
 * each local chart folder as a whole, with the folders of its `file://` dependencies; values files and
 * setFiles; the environment variables their templates name. With `env` templated paths are expanded as
 * render expands them; without, only the variables are noted.
 */
export function collectHelmReads(options: { config: SkaffoldConfig; dir: string; env?: Record<string, string | undefined>; reads: HelmReads }): void {
  const releases = [...(renderedHelmReleases(options.config)?.releases ?? []), ...legacyHelmReleases(options.config)];
  for (const release of releases) collectReleaseReads({ release, dir: options.dir, env: options.env, reads: options.reads });
}
