import type { ExecutorContext } from '@nx/devkit';
import { describeError } from '../../lib/errors';
import { consoleSink, createLogger, type GitopsLogger, type LogSink } from '../../lib/log';
import { findTargetDefinition, requestedConfiguration, resolveTaskEnvironment, type ProjectsConfigurationsLike } from '../target-configuration';
import { diffManifestTargets, type DiffTarget } from './run-diff';
import type { DiffManifestExecutorSchema } from './schema';

/** The `[project/environment]` logger of one target, printing to the console. */
export function diffTargetLogger(target: DiffTarget, isVerbose: boolean, sink: LogSink = consoleSink): GitopsLogger {
  const environment = target.options.environment ?? target.configuration ?? 'default';
  return createLogger({ sink, prefix: `${target.project}/${environment}`, isVerbose });
}

/**
 * The diff target of one Nx task: its options with the environment of the configuration it runs in.
 * Throws when the configuration is not one of the target's.
 */
export function diffTargetFromTask(input: {
  id: string;
  project: string;
  targetName: string;
  configuration?: string;
  options: DiffManifestExecutorSchema;
  context: ExecutorContext;
}): DiffTarget {
  const { project, targetName, configuration, options, context } = input;
  const target = findTargetDefinition({ projectsConfigurations: context.projectsConfigurations as ProjectsConfigurationsLike | undefined, project, targetName });
  const environment = resolveTaskEnvironment({ project, targetName, configurationName: configuration, target, environment: options.environment, requested: requestedConfiguration() });
  return { id: input.id, project, configuration, options: environment === undefined ? options : { ...options, environment } };
}

/**
 * `nx run <project>:diff-manifest[:<environment>]`: compares one project's render with its branch of the
 * manifest repository and writes the diff files and a run report of this one task.
 */
export default async function diffManifestExecutor(options: DiffManifestExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const project = context.projectName;
  if (!project) {
    consoleSink.error('diff-manifest must run for a project (nx run <project>:diff-manifest).');
    return { success: false };
  }
  const configuration = context.configurationName;
  const targetName = context.targetName ?? 'diff-manifest';
  try {
    const target = diffTargetFromTask({ id: [project, targetName, configuration].filter(Boolean).join(':'), project, targetName, configuration, options, context });
    const result = await diffManifestTargets({ workspaceRoot: context.root, targets: [target], loggerFor: (each) => diffTargetLogger(each, context.isVerbose) });
    return { success: result.outcomes.every((outcome) => outcome.success) };
  } catch (error) {
    consoleSink.error(describeError(error));
    return { success: false };
  }
}
