import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../lib/exec';
import type { DigestSource } from './render';

/** What `skaffold render` is asked for; the same options the native engine takes. */
export interface SkaffoldCliRequest {
  /** The skaffold executable. */
  binary: string;
  /** Absolute path of skaffold.yaml. */
  configFile: string;
  /** Directory skaffold runs in (relative paths in the config resolve against it for the root config). */
  cwd: string;
  profiles: readonly string[];
  defaultRepo?: string;
  digestSource: DigestSource;
  /** Path of a build output file, passed as `-a`. */
  buildArtifactsFile?: string;
  images?: readonly string[];
  customTag?: string;
  labels?: Record<string, string>;
  namespace?: string;
  env?: Record<string, string | undefined>;
}

/**
 * The argument list for `skaffold render`: the same options as the native engine mapped to skaffold's flags,
 * always `--offline=true` and an `--output` file. Arguments are passed as a list; nothing goes through a shell.
 */
export function skaffoldRenderArgs(request: Omit<SkaffoldCliRequest, 'binary' | 'cwd' | 'env'>, outputFile: string): string[] {
  const args = ['render', '--filename', request.configFile];
  if (request.profiles.length > 0) args.push('--profile', request.profiles.join(','));
  if (request.defaultRepo !== undefined) args.push(`--default-repo=${request.defaultRepo}`);
  args.push('--digest-source', request.digestSource);
  if (request.buildArtifactsFile) args.push('--build-artifacts', request.buildArtifactsFile);
  for (const image of request.images ?? []) args.push('--images', image);
  if (request.customTag) args.push('--tag', request.customTag);
  for (const [key, value] of Object.entries(request.labels ?? {})) args.push('--label', `${key}=${value}`);
  if (request.namespace) args.push('--namespace', request.namespace);
  args.push('--offline=true', '--output', outputFile);
  return args;
}

/**
 * The environment skaffold runs with: the caller's without any `SKAFFOLD_*` variable (skaffold reads every
 * flag from `SKAFFOLD_<FLAG>`, e.g. `SKAFFOLD_PROFILE` or `SKAFFOLD_NAMESPACE`, which would change the render
 * behind the Nx inputs' back; the options nx-gitops maps are passed as flags), and without an update check.
 */
export function skaffoldEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && !name.startsWith('SKAFFOLD_')) kept[name] = value;
  return { ...kept, SKAFFOLD_UPDATE_CHECK: 'false' };
}

/** Runs the real `skaffold render` and returns the YAML it wrote. A missing binary names `skaffoldBinary`. */
export async function renderWithSkaffoldCli(request: SkaffoldCliRequest): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nx-gitops-skaffold-'));
  const outputFile = join(dir, 'manifest.yaml');
  try {
    await runCommand(request.binary, skaffoldRenderArgs(request, outputFile), {
      cwd: request.cwd,
      env: skaffoldEnvironment(request.env ?? process.env),
      extendEnv: false,
      binaryOption: 'skaffoldBinary',
    });
    return readFileSync(outputFile, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
