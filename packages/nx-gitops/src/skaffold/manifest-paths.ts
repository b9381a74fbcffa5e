/**
 * Where a config's manifests come from, as paths: skaffold's default rawYaml for a config that declares no
 * manifests, and env-template expansion of manifest paths. Light on purpose: the Nx plugin reads it on every
 * graph computation, so it loads no process adapter, kustomize or registry code.
 */
import { executeGoTemplate, parseGoTemplate } from './go-template';
import type { EnvironmentConfig } from './profiles';
import type { SkaffoldConfig } from './types';

/** Expands skaffold's `{{.ENV}}` templates in a manifest path (kustomize paths from v4beta11, rawYaml entries). */
export function expandPath(path: string, env: Record<string, string | undefined>, field = 'manifests.kustomize.paths'): string {
  if (!path.includes('{{')) return path;
  return executeGoTemplate(parseGoTemplate(`${field} "${path}"`, path), env as Record<string, string>, { missingKey: 'invalid' });
}

/** skaffold's default manifests for a single config that declares none (`SetDefaultRenderer`). */
export const DEFAULT_RAW_YAML = ['k8s/*.yaml'];

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function isNonEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

/** True when a config declares a manifest source (what skaffold's `SetDefaultRenderer` looks for). */
export function declaresManifests(config: SkaffoldConfig): boolean {
  const manifests = config.manifests ?? {};
  const deploy = (config.deploy ?? {}) as Record<string, unknown>;
  return isNonEmptyList(manifests.kpt) || isNonEmptyList(manifests.rawYaml) || [manifests.kustomize, manifests.helm, deploy.helm].some(isPresent);
}

/** The deployer that needs no manifests (docker, Cloud Run) a config declares, which also stops skaffold's default. */
export function manifestlessDeployer(config: SkaffoldConfig): string | undefined {
  const deploy = (config.deploy ?? {}) as Record<string, unknown>;
  return ['docker', 'cloudrun'].find((key) => isPresent(deploy[key]));
}

/** True when skaffold gives the config its default rawYaml: it is the only config and declares no manifests and no manifestless deployer. */
export function getsDefaultRawYaml(environment: readonly EnvironmentConfig[], config: EnvironmentConfig): boolean {
  return environment.length === 1 && !declaresManifests(config.config) && !manifestlessDeployer(config.config);
}

/** The rawYaml patterns a config renders: its own, or skaffold's default. */
export function rawYamlPatterns(environment: readonly EnvironmentConfig[], config: EnvironmentConfig): string[] {
  return getsDefaultRawYaml(environment, config) ? DEFAULT_RAW_YAML : (config.config.manifests?.rawYaml ?? []);
}
