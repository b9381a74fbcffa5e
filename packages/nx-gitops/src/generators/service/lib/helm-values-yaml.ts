import { stringify } from 'yaml';
import { replicasFor } from './environment-replicas';

/** The folder of a helm service's local chart, relative to the service root. */
export const CHART_PATH = 'chart';

/** The values file of an environment, relative to the service root (beside `skaffold.yaml`). */
export function valuesFilePath(environment: string): string {
  return `values-${environment}.yaml`;
}

/**
 * The text of `values-<environment>.yaml`: the environment label, and the replicas where they differ from the
 * chart's default of one (two in `production`, as the kustomize template's overlay has).
 */
export function buildEnvironmentValues(input: { environment: string }): string {
  const values: Record<string, unknown> = { environment: input.environment };
  const replicas = replicasFor(input.environment);
  if (replicas !== 1) values.replicas = replicas;
  const header = `# Values of the ${input.environment} environment, passed after ${CHART_PATH}/values.yaml by skaffold.yaml.\n`;
  return header + stringify(values, { lineWidth: 0 });
}
