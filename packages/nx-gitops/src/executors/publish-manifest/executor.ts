import type { ExecutorContext } from '@nx/devkit';
import { describeError } from '../../lib/errors';
import { consoleSink, createLogger, type GitopsLogger, type LogSink } from '../../lib/log';
import { publishManifests } from '../../publish/publish-manifests';
import type { PublishTarget } from '../../publish/request';
import { findTargetDefinition, requestedConfiguration, resolveTaskEnvironment, type ProjectsConfigurationsLike } from '../target-configuration';
import type { PublishManifestExecutorSchema } from './schema';

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
    const result = await publishManifests({
      workspaceRoot: context.root,
      targets: [target],
      loggerFor: (each) => targetLogger(each, context.isVerbose),
    });
    return { success: result.success };
  } catch (error) {
    consoleSink.error(describeError(error));
    return { success: false };
  }
}
