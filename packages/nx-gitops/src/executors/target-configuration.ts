import { readFileSync } from 'node:fs';
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
 * The configuration an Nx command line asks for: `-c NAME`, `-c=NAME`, `--configuration[=] NAME`, or the
 * third part of `project:target:configuration`; undefined when it names none.
 */
export function configurationFromCommandLine(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === '--') break;
    const flag = /^(?:-c|--configuration|--c)(?:=(.*))?$/.exec(arg);
    if (flag) return flag[1] ?? args[index + 1];
  }
  for (const arg of args) {
    if (arg === '--') break;
    if (arg.startsWith('-')) continue;
    const parts = arg.split(':');
    if (parts.length >= 3 && parts.every(Boolean)) return parts.slice(2).join(':');
  }
  return undefined;
}

function readCommandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 1 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** True for `node …/nx …` or `node …/nx.js …`, the Nx command line. */
function isNxCommandLine(args: readonly string[]): boolean {
  const script = args[1] ?? '';
  return /(^|\/)nx(\.js)?$/.test(script);
}

/**
 * The configuration the user asked Nx for, read from the command line of the nearest Nx process above this
 * task (Linux exposes it in `/proc`). Nx silently replaces a configuration a target does not have with the
 * target's default, so this is the only way to see a typo such as `-c prodution`. Undefined where it
 * cannot be read (another OS, a caller that is not the Nx CLI).
 */
export function requestedConfiguration(options: { fromPid?: number; maxDepth?: number } = {}): string | undefined {
  let pid: number | undefined = options.fromPid ?? process.ppid;
  for (let depth = 0; pid !== undefined && depth < (options.maxDepth ?? 8); depth++) {
    const args = readCommandLine(pid);
    if (args && isNxCommandLine(args)) return configurationFromCommandLine(args.slice(2));
    pid = parentOf(pid);
  }
  return undefined;
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
  /** The configuration the command line asked for ({@link requestedConfiguration}), when it can be read. */
  requested?: string;
}): string | undefined {
  const { project, targetName, target, environment } = options;
  // Nx ran the default configuration in place of one the target lacks: refuse what was asked for.
  const configurationName = options.requested && target && !Object.prototype.hasOwnProperty.call(target.configurations ?? {}, options.requested) ? options.requested : options.configurationName;
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
