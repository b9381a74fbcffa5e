import type { ExecutorContext } from '@nx/devkit';
import { describeError } from '../../lib/errors';
import { consoleSink, createLogger, type GitopsLogger, type LogSink } from '../../lib/log';
import { publishManifests } from '../../publish/publish-manifests';
import type { PublishTarget } from '../../publish/request';
import type { PublishManifestExecutorSchema } from './schema';

/** The `[project/environment]` logger of one target, printing to the console. */
export function targetLogger(target: PublishTarget, isVerbose: boolean, sink: LogSink = consoleSink): GitopsLogger {
  const environment = target.options.environment ?? target.configuration ?? 'default';
  return createLogger({ sink, prefix: `${target.project}/${environment}`, isVerbose });
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
  const target: PublishTarget = {
    id: [project, context.targetName ?? 'publish-manifest', configuration].filter(Boolean).join(':'),
    project,
    configuration,
    options,
  };
  try {
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
