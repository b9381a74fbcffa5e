/** The environment that runs more than one replica of a generated service. */
const PRODUCTION = 'production';

/** Replicas of a generated service in an environment: two in `production`, one elsewhere. */
export function replicasFor(environment: string): number {
  return environment === PRODUCTION ? 2 : 1;
}
