import { formatFiles, logger, readNxJson, updateNxJson, visitNotIgnoredFiles, type NxJsonConfiguration, type Tree } from '@nx/devkit';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { runWithConcurrency } from '../../lib/exec';
import { buildKustomizationWithEngine, hasKustomizeBinary } from '../../kustomize/build';
import { UnsupportedKustomizeFeatureError } from '../../kustomize/builtin/kustomization';
import { KUSTOMIZATION_FILE_NAMES } from '../../kustomize/dependencies';
import { explicitTargets, isNxGitopsEntry, RENDER_EXECUTOR, renderTargetNames, targetDefaultObject } from '../lib/workspace-usage';

/** How a kustomization fares under the new `auto`: as before, or built to other bytes (or refused) in-process. */
type Comparison = 'same' | 'different' | 'unbuildable';

/**
 * Builds `dir` in-process, as `auto` does now, and with the binary, as `auto` did before 0.2.0. What the
 * built-in engine refuses, `auto` still hands to the binary, so it is the same without starting it.
 */
async function compareEngines(dir: string): Promise<Comparison> {
  let builtin: string | undefined;
  try {
    builtin = await buildKustomizationWithEngine({ dir, engine: 'builtin' });
  } catch (error) {
    if (error instanceof UnsupportedKustomizeFeatureError) return 'same';
  }
  let binary: string;
  try {
    binary = await buildKustomizationWithEngine({ dir, engine: 'binary' });
  } catch {
    // A directory the binary cannot build (a component, a base needing flags) was never rendered alone.
    return 'unbuildable';
  }
  return builtin === binary ? 'same' : 'different';
}

/** The workspace-relative folders holding a kustomization file, outside ignored paths. Sorted. */
function kustomizationDirectories(tree: Tree): string[] {
  const dirs = new Set<string>();
  visitNotIgnoredFiles(tree, '.', (file) => {
    if ((KUSTOMIZATION_FILE_NAMES as readonly string[]).includes(basename(file))) dirs.add(dirname(file));
  });
  return [...dirs].sort();
}

/**
 * 0.2.0 made option `kustomize: auto` (the default) build overlays with the built-in engine, starting no
 * process, where it used the kustomize or kubectl binary whenever one was on PATH. The built-in engine prints
 * the binary's bytes for what it covers and refuses the rest (which `auto` hands to the binary), so this
 * checks that on the workspace itself: with a binary on PATH, it builds every kustomization of the workspace
 * with both. Where any differs (or only the binary builds it), it keeps the manifests as they were:
 * `kustomize: binary` goes into nx.json `targetDefaults` of every render target name that sets neither
 * `kustomize` nor `kustomizeBinary`, and the folders are named. Where all agree, nothing is changed.
 */
export default async function keepKustomizeOutputWithBuiltinEngine(tree: Tree): Promise<void> {
  const nxJson = readNxJson(tree);
  if (!nxJson) return;
  const registered = nxJson.plugins?.some(isNxGitopsEntry) ?? false;
  if (!registered && explicitTargets(tree, [RENDER_EXECUTOR]).length === 0) return;
  const targetDefaults: Record<string, unknown> = { ...(nxJson.targetDefaults ?? {}) };
  const names: string[] = [];
  for (const name of renderTargetNames(tree)) {
    const defaults = name in targetDefaults ? targetDefaultObject(targetDefaults[name]) : {};
    if (defaults === null) {
      logger.warn(`nx-gitops: nx.json targetDefaults "${name}" is a list of filtered entries; it is not checked for option kustomize "auto", which now builds overlays with the built-in engine.`);
      continue;
    }
    const options = defaults.options ?? {};
    if (!('kustomize' in options) && !('kustomizeBinary' in options)) names.push(name);
  }
  if (names.length === 0) return;
  if (!hasKustomizeBinary()) {
    logger.info('nx-gitops: option kustomize "auto" now builds overlays with the built-in engine; with no kustomize or kubectl on PATH here it did so already, so nothing is checked or changed.');
    return;
  }
  const dirs = kustomizationDirectories(tree);
  const comparisons = await runWithConcurrency(
    availableParallelism(),
    dirs.map((dir) => () => compareEngines(join(tree.root, dir))),
  );
  const different = dirs.filter((_dir, index) => comparisons[index] === 'different');
  const compared = comparisons.filter((comparison) => comparison !== 'unbuildable').length;
  if (different.length === 0) {
    logger.info(
      `nx-gitops: option kustomize "auto" now builds overlays with the built-in engine, starting no kustomize process; the ${compared} kustomizations ` +
        'of this workspace build to the same bytes with it as with the binary, so nothing is changed (set "kustomize": "binary" in the render target defaults to keep the binary).',
    );
    return;
  }
  for (const name of names) {
    const defaults = targetDefaultObject(targetDefaults[name]) ?? {};
    targetDefaults[name] = { ...defaults, options: { ...(defaults.options ?? {}), kustomize: 'binary' } };
  }
  updateNxJson(tree, { ...nxJson, targetDefaults: targetDefaults as NxJsonConfiguration['targetDefaults'] });
  const shown = different.slice(0, 10).join(', ') + (different.length > 10 ? ` and ${different.length - 10} more` : '');
  logger.warn(
    `nx-gitops: the built-in kustomize engine, which option kustomize "auto" now uses, builds ${shown} differently from the binary (or not at all), ` +
      `so "kustomize": "binary" is set in nx.json targetDefaults of ${names.map((name) => `"${name}"`).join(', ')} to keep the manifests as they were. ` +
      'Please report the difference; remove the option once it is fixed.',
  );
  await formatFiles(tree);
}
