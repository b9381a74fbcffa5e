import { accessSync, constants } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { runCommand } from '../lib/exec';
import { GitopsError } from '../lib/errors';
import { buildKustomizationInProcess } from './builtin/build';
import { UnsupportedKustomizeFeatureError } from './builtin/kustomization';
import { findKustomizationFile } from './dependencies';

/** The program and leading arguments that build a kustomization. */
export interface KustomizeCommand {
  file: string;
  args: string[];
}

/** The path of the executable named `name` found first on `PATH` (looked up on disk; no process is started), or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** True when an executable named `name` is on `PATH` (looked up on disk; no process is started). */
export function isOnPath(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return findOnPath(name, env) !== undefined;
}

/**
 * Chooses how to run kustomize, as skaffold does: `kustomize build` when `kustomize` is on PATH, else
 * `kubectl kustomize`. An explicit `kustomizeBinary` wins; a binary whose name starts with `kubectl` is
 * run as `<binary> kustomize`, any other as `<binary> build`.
 */
export function resolveKustomizeCommand(kustomizeBinary?: string, env: NodeJS.ProcessEnv = process.env): KustomizeCommand {
  if (kustomizeBinary) {
    return basename(kustomizeBinary).startsWith('kubectl') ? { file: kustomizeBinary, args: ['kustomize'] } : { file: kustomizeBinary, args: ['build'] };
  }
  return isOnPath('kustomize', env) ? { file: 'kustomize', args: ['build'] } : { file: 'kubectl', args: ['kustomize'] };
}

/**
 * Runs `kustomize build` on `dir` and returns its YAML. `buildArgs` entries are split on single spaces
 * (as skaffold does) and come before the directory. A directory without a kustomization fails before any
 * process is started. `env` is added to the inherited environment, PATH included (where the binary is found).
 */
export async function buildKustomization(options: { dir: string; buildArgs?: readonly string[]; command: KustomizeCommand; cwd?: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  if (!findKustomizationFile(options.dir)) {
    throw new GitopsError(`No kustomization.yaml in ${options.dir}.`, {
      hint: 'Create the overlay, or fix manifests.kustomize.paths in skaffold.yaml.',
    });
  }
  const args = [...options.command.args, ...(options.buildArgs ?? []).flatMap((arg) => arg.split(' ')).filter(Boolean), options.dir];
  const { stdout } = await runCommand(options.command.file, args, { cwd: options.cwd, env: options.env, binaryOption: 'kustomizeBinary' });
  return stdout;
}

/**
 * How kustomizations are built: `auto` (the built-in engine, handing what it does not cover to the binary),
 * `builtin` (in-process only), `binary` (a kustomize or kubectl process per overlay).
 */
export type KustomizeEngine = 'auto' | 'builtin' | 'binary';

/** True when a kustomize binary can be run: an explicit `kustomizeBinary`, or `kustomize`/`kubectl` on PATH. */
export function hasKustomizeBinary(kustomizeBinary?: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(kustomizeBinary) || isOnPath('kustomize', env) || isOnPath('kubectl', env);
}

/** Why `auto` cannot hand an overlay to a binary, appended to the built-in engine's refusal. */
const AUTO_WITHOUT_BINARY = ' Option kustomize "auto" hands what the built-in engine does not cover to kustomize or kubectl, and neither is on PATH.';

/**
 * Builds `dir` with the chosen engine and returns its YAML as {@link buildKustomization} does (without the
 * final newline). `builtin` renders in-process and refuses, naming the field and file, anything it does not
 * cover (and any `buildArgs`). `auto` renders in-process too, starting no process, and hands the overlay to
 * the binary only where the built-in engine refuses it (a field it does not cover, `buildArgs`) or where
 * `kustomizeBinary` names one; without a binary it refuses as `builtin` does. `binary` always runs the binary.
 */
export async function buildKustomizationWithEngine(options: {
  dir: string;
  engine?: KustomizeEngine;
  buildArgs?: readonly string[];
  kustomizeBinary?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<string> {
  const engine = options.engine ?? 'auto';
  const binary = () => buildKustomization({ dir: options.dir, buildArgs: options.buildArgs, command: resolveKustomizeCommand(options.kustomizeBinary, options.env), cwd: options.cwd, env: options.env });
  if (engine === 'binary' || (engine === 'auto' && options.kustomizeBinary)) return binary();
  const binaryAvailable = engine === 'auto' && hasKustomizeBinary(options.kustomizeBinary, options.env);
  if (!findKustomizationFile(options.dir)) {
    throw new GitopsError(`No kustomization.yaml in ${options.dir}.`, { hint: 'Create the overlay, or fix manifests.kustomize.paths in skaffold.yaml.' });
  }
  const args = (options.buildArgs ?? []).flatMap((arg) => arg.split(' ')).filter(Boolean);
  const why = engine === 'auto' ? AUTO_WITHOUT_BINARY : '';
  if (args.length > 0) {
    if (binaryAvailable) return binary();
    throw new GitopsError(`The built-in kustomize does not take build flags (manifests.kustomize.buildArgs: ${args.join(' ')}).${why}`, {
      hint: 'Install kustomize or kubectl and use option kustomize "binary" or "auto", or remove buildArgs.',
    });
  }
  try {
    return buildKustomizationInProcess(options.dir).replace(/\n$/, '');
  } catch (error) {
    if (!(error instanceof UnsupportedKustomizeFeatureError) || engine !== 'auto') throw error;
    if (binaryAvailable) return binary();
    throw new GitopsError(`${error.message}${why}`, { hint: error.hint, cause: error });
  }
}
