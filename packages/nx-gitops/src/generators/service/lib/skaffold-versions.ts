import { SUPPORTED_API_VERSIONS } from '../../../skaffold/config';

/**
 * The skaffold config versions the service generator writes: every version the config loader reads,
 * `skaffold/v2beta10` … `skaffold/v2beta29` (kustomize under `deploy:`) and `skaffold/v3alpha1`, `skaffold/v3`,
 * `skaffold/v4beta1` … `skaffold/v4beta14` (kustomize under `manifests:`). Every one of them has `metadata.name`.
 */
export const SUPPORTED_SKAFFOLD_API_VERSIONS: readonly string[] = SUPPORTED_API_VERSIONS;

/** The version new services get. */
export const DEFAULT_SKAFFOLD_API_VERSION = 'skaffold/v4beta13';

/** Whether a config of this version declares kustomize under `deploy:` (v2) rather than `manifests:` (v3+). */
export function usesDeploySection(apiVersion: string): boolean {
  return apiVersion.startsWith('skaffold/v2');
}
