import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitopsError } from '../lib/errors';
import { runCommand, type RunResult } from '../lib/exec';

/** The oldest helm the native engine runs: `helm template` with `--skip-tests` and OCI charts without the experimental flag. */
export const MIN_HELM_VERSION = '3.13.0';

const INSTALL_HINT =
  'Install helm 3.13 or later (e.g. "go install helm.sh/helm/v3/cmd/helm@v3.22.0", or see https://helm.sh/docs/intro/install), or point the "helmBinary" option at it.';

/** A helm executable, checked, with a private cache, config and data home that is removed by `dispose`. */
export interface HelmRunner {
  /** The executable started. */
  binary: string;
  /** Its version, e.g. `3.22.0`. */
  version: string;
  /** The private folder holding helm's homes; `dispose` removes it with anything written there. */
  home: string;
  /** Runs `helm <args>` in `cwd` with the private homes; throws a CommandError on failure. */
  run(args: readonly string[], options: { cwd: string }): Promise<RunResult>;
  /** Removes the private homes. */
  dispose(): void;
}

/** Extracts the version from `helm version` output, as skaffold's `VersionRegex` does (`v?(\d[\w.\-]+)`). */
export function parseHelmVersion(output: string): string | undefined {
  return /v?(\d[\w.-]+)/.exec(output)?.[1];
}

/** True when `version` (`3.13.0`, `v3.22.0+gabc`) is at least `minimum`, comparing major, minor and patch. */
export function isAtLeastVersion(version: string, minimum: string): boolean {
  const parts = (text: string) => text.replace(/^v/, '').split(/[.+-]/).slice(0, 3).map((part) => Number.parseInt(part, 10) || 0);
  const [a, b] = [parts(version), parts(minimum)];
  for (let index = 0; index < 3; index++) {
    if ((a[index] ?? 0) !== (b[index] ?? 0)) return (a[index] ?? 0) > (b[index] ?? 0);
  }
  return true;
}

/** The docker config file helm's registry client reads credentials from (the one the registry client of nx-gitops reads). */
function dockerConfigFile(options: { dockerConfigDir?: string; env: NodeJS.ProcessEnv }): string | undefined {
  const dir = options.dockerConfigDir ?? options.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  const file = join(dir, 'config.json');
  return existsSync(file) ? file : undefined;
}

/**
 * The environment helm runs with: the process environment without any `HELM_*` variable (a user's
 * `HELM_NAMESPACE`, repositories, plugins or kube context must not change a render), plus cache, config and
 * data homes in `home`, and `HELM_REGISTRY_CONFIG` at the docker config so `oci://` charts use the same
 * registry logins as the rest of nx-gitops.
 */
export function helmEnvironment(options: { home: string; dockerConfigDir?: string; env?: NodeJS.ProcessEnv }): Record<string, string> {
  const env = options.env ?? process.env;
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !key.startsWith('HELM_')) result[key] = value;
  }
  result.HELM_CACHE_HOME = join(options.home, 'cache');
  result.HELM_CONFIG_HOME = join(options.home, 'config');
  result.HELM_DATA_HOME = join(options.home, 'data');
  const registryConfig = dockerConfigFile({ dockerConfigDir: options.dockerConfigDir, env });
  result.HELM_REGISTRY_CONFIG = registryConfig ?? join(options.home, 'config', 'registry', 'config.json');
  return result;
}

/**
 * Finds and checks helm (`helmBinary`, default `helm` from PATH): it must run and report version ≥ 3.13.
 * Returns a runner whose commands share one private helm home, created here and removed by `dispose`, so
 * nothing of the user's helm setup is read or written.
 */
export async function createHelmRunner(options: { helmBinary?: string; dockerConfigDir?: string } = {}): Promise<HelmRunner> {
  const binary = options.helmBinary || 'helm';
  const home = mkdtempSync(join(tmpdir(), 'nx-gitops-helm-'));
  const dispose = () => rmSync(home, { recursive: true, force: true });
  try {
    for (const dir of ['cache', 'config', 'data']) mkdirSync(join(home, dir), { recursive: true });
    const env = helmEnvironment({ home, dockerConfigDir: options.dockerConfigDir });
    let output: RunResult;
    try {
      output = await runCommand(binary, ['version'], { env, extendEnv: false, binaryOption: 'helmBinary' });
    } catch (error) {
      throw new GitopsError(`Cannot run helm ("${binary}"): ${(error as Error).message}`, { hint: INSTALL_HINT, cause: error });
    }
    const version = parseHelmVersion(output.stdout);
    if (!version) {
      throw new GitopsError(`Cannot read the version of helm ("${binary}") from: ${output.stdout.trim()}`, { hint: INSTALL_HINT });
    }
    if (!isAtLeastVersion(version, MIN_HELM_VERSION)) {
      throw new GitopsError(`helm ("${binary}") is version ${version}; the native engine needs helm ${MIN_HELM_VERSION} or later.`, { hint: INSTALL_HINT });
    }
    return {
      binary,
      version,
      home,
      run: (args, runOptions) => runCommand(binary, args, { cwd: runOptions.cwd, env, extendEnv: false, binaryOption: 'helmBinary' }),
      dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}
