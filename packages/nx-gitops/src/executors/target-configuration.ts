import { GitopsError } from '../lib/errors';

/** The parts of an Nx target definition the executors read (`projectsConfigurations.projects[p].targets[t]`). */
export interface TargetDefinition {
  options?: Record<string, unknown>;
  configurations?: Record<string, Record<string, unknown> | undefined>;
  cache?: boolean;
}

/** The shape of Nx's `projectsConfigurations`, as far as {@link findTargetDefinition} reads it. */
export interface ProjectsConfigurationsLike {
  projects?: Record<string, { targets?: Record<string, TargetDefinition | undefined> } | undefined>;
}

/** The definition of `project`'s `targetName`, or `undefined` when the caller (not Nx, say) passed none. */
export function findTargetDefinition(options: {
  projectsConfigurations?: ProjectsConfigurationsLike;
  project: string;
  targetName?: string;
}): TargetDefinition | undefined {
  if (!options.targetName) return undefined;
  return options.projectsConfigurations?.projects?.[options.project]?.targets?.[options.targetName];
}

/**
 * The environment a task runs for. Without a configuration it is the `environment` option. With one, the
 * configuration must exist — a configuration that does not exist is an error, never the default — and the
 * environment is the configuration's: its `environment` option (which a command-line `--environment`
 * still overrides), else the configuration's name. When the target's definition is unknown (a caller
 * outside Nx), the options are taken as they are.
 */
export function resolveTaskEnvironment(options: {
  project: string;
  targetName?: string;
  configurationName?: string;
  target?: TargetDefinition;
  /** The `environment` option as Nx merged it: target options, then the configuration's, then overrides. */
  environment?: string;
}): string | undefined {
  const { project, targetName, configurationName, target, environment } = options;
  if (!target || !configurationName) return environment;
  const configurations = target.configurations ?? {};
  const configuration = Object.prototype.hasOwnProperty.call(configurations, configurationName) ? configurations[configurationName] : undefined;
  if (!configuration) {
    const known = Object.keys(configurations).sort();
    throw new GitopsError(
      `${project}:${targetName} has no configuration "${configurationName}"` +
        (known.length > 0 ? `; its configurations are: ${known.join(', ')}.` : '; it has no configurations.'),
      {
        hint:
          known.length > 0
            ? `Run one of them (nx run ${project}:${targetName}:${known[0]}), or add the environment to the service (a skaffold profile, or the plugin's "environments" option).`
            : `Run it without -c, or add the environment to the service (a skaffold profile, or the plugin's "environments" option).`,
      },
    );
  }
  if (typeof configuration.environment === 'string') return environment ?? configuration.environment;
  // The configuration names no environment: the merged value is the target's default unless overridden.
  const targetDefault = target.options?.environment;
  return environment !== undefined && environment !== targetDefault ? environment : configurationName;
}

/**
 * Whether Nx may cache the target: its definition says `cache` is anything but `false`. Unknown when
 * the target's definition is (a caller outside Nx): `undefined`.
 */
export function isTargetCacheable(target: TargetDefinition | undefined): boolean | undefined {
  return target ? target.cache !== false : undefined;
}
