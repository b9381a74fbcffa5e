import type { ExecutorContext } from '@nx/devkit';
import { describeError } from '../../lib/errors';
import { consoleSink, createLogger, type GitopsLogger, type LogSink } from '../../lib/log';
import { publishManifests } from '../../publish/publish-manifests';
import type { PublishTarget } from '../../publish/request';
import { findTargetDefinition, requestedConfiguration, resolveTaskEnvironment, type ProjectsConfigurationsLike } from '../target-configuration';
import type { PublishManifestExecutorSchema } from './schema';

/**
 * Runs `run` with a signal that the first SIGINT or SIGTERM aborts (its reason names the signal): the
 * publish starts no further step, lets the push in flight end (a push is atomic: the server takes it
 * whole or not at all; Ctrl-C also stops git itself), checks what landed and reports every target as
 * published or interrupted, and the run fails. A second signal ends the process at once, as it would
 * without this handler. The handlers are removed when `run` settles.
 */
export async function withInterruptSignal<T>(options: { log: LogSink; run: (signal: AbortSignal) => Promise<T> }): Promise<{ value: T; interrupted: string | null }> {
  const controller = new AbortController();
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const remove = () => signals.forEach((name) => process.off(name, onSignal));
  function onSignal(name: NodeJS.Signals): void {
    if (controller.signal.aborted) {
      remove();
      process.kill(process.pid, name);
      return;
    }
    controller.abort(name);
    options.log.warn(`Received ${name}: finishing the push in flight, then stopping; the manifest repository gets all of it or none. A second ${name} stops at once.`);
  }
  signals.forEach((name) => process.on(name, onSignal));
  try {
    const value = await options.run(controller.signal);
    return { value, interrupted: controller.signal.aborted ? String(controller.signal.reason) : null };
  } finally {
    remove();
  }
}

/** The `[project/environment]` logger of one target, printing to the console. */
export function targetLogger(target: PublishTarget, isVerbose: boolean, sink: LogSink = consoleSink): GitopsLogger {
  const environment = target.options.environment ?? target.configuration ?? 'default';
  return createLogger({ sink, prefix: `${target.project}/${environment}`, isVerbose });
}

/**
 * The publish target of one Nx task: its options with the environment of the configuration it runs in.
 * Throws when the configuration is not one of the target's.
 */
export function publishTargetFromTask(input: {
  id: string;
  project: string;
  targetName: string;
  configuration?: string;
  options: PublishManifestExecutorSchema;
  context: ExecutorContext;
}): PublishTarget {
  const { project, targetName, configuration, options, context } = input;
  const target = findTargetDefinition({ projectsConfigurations: context.projectsConfigurations as ProjectsConfigurationsLike | undefined, project, targetName });
  const environment = resolveTaskEnvironment({ project, targetName, configurationName: configuration, target, environment: options.environment, requested: requestedConfiguration() });
  return { id: input.id, project, configuration, options: environment === undefined ? options : { ...options, environment } };
}

/** `nx run <project>:publish-manifest[:<environment>]`: publishes one project's rendered manifest. */
export default async function publishManifestExecutor(
  options: PublishManifestExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const project = context.projectName;
  if (!project) {
    consoleSink.error('publish-manifest must run for a project (nx run <project>:publish-manifest).');
    return { success: false };
  }
  const configuration = context.configurationName;
  const targetName = context.targetName ?? 'publish-manifest';
  try {
    const target = publishTargetFromTask({ id: [project, targetName, configuration].filter(Boolean).join(':'), project, targetName, configuration, options, context });
    const { value: result, interrupted } = await withInterruptSignal({
      log: consoleSink,
      run: (signal) => publishManifests({ workspaceRoot: context.root, targets: [target], loggerFor: (each) => targetLogger(each, context.isVerbose), signal }),
    });
    if (interrupted) consoleSink.error(`Interrupted by ${interrupted}; ${result.reportPath} says what was published.`);
    return { success: result.success && !interrupted };
  } catch (error) {
    consoleSink.error(describeError(error));
    return { success: false };
  }
}
