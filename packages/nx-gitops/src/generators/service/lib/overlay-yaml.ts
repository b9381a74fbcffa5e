import { stringify } from 'yaml';
import { replicasFor } from './environment-replicas';

/**
 * The text of `kubernetes/overlays/<environment>/kustomization.yaml`: the base plus an environment label on
 * every object (not on selectors, which must not change between environments), and for `production` two
 * replicas of the service's Deployment.
 */
export function buildOverlayKustomization(input: { name: string; environment: string }): string {
  const kustomization: Record<string, unknown> = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['../../base'],
    labels: [{ pairs: { 'app.kubernetes.io/environment': input.environment } }],
  };
  const replicas = replicasFor(input.environment);
  if (replicas !== 1) {
    kustomization.patches = [
      {
        target: { kind: 'Deployment', name: input.name },
        patch: stringify([{ op: 'replace', path: '/spec/replicas', value: replicas }]).trimEnd(),
      },
    ];
  }
  return stringify(kustomization, { lineWidth: 0 });
}
