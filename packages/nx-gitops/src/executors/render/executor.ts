import type { ExecutorContext } from '@nx/devkit';
import { describeError } from '../../lib/errors';
import { consoleSink, createLogger, type LogSink } from '../../lib/log';
import { createGitInfoCache } from '../../skaffold/tags';
import { findTargetDefinition, requestedConfiguration, isTargetCacheable, resolveTaskEnvironment, type ProjectsConfigurationsLike } from '../target-configuration';
import { normalizeRenderOptions, runRenderTask, type RenderTask } from './run-render';
import type { RenderExecutorOptions } from './schema';

/**
 * Resolves the options of one `render` task from Nx's context: the environment of the configuration it
 * runs in (an unknown configuration is an error), whether Nx may cache it, and every option.
 */
export function renderTaskFromContext(input: {
  options: RenderExecutorOptions;
  context: ExecutorContext;
  project: string;
  targetName?: string;
  configurationName?: string;
}): RenderTask {
  const { options, context, project, configurationName } = input;
  const targetName = input.targetName ?? context.targetName ?? 'render';
  const projectRoot = context.projectsConfigurations?.projects[project]?.root ?? '.';
  const target = findTargetDefinition({ projectsConfigurations: context.projectsConfigurations as ProjectsConfigurationsLike | undefined, project, targetName });
  const environment = resolveTaskEnvironment({ project, targetName, configurationName, target, environment: options.environment, requested: requestedConfiguration() });
  return normalizeRenderOptions({
    options: { ...options, environment },
    project,
    projectRoot,
    configurationName,
    workspaceRoot: context.root,
    env: process.env,
    cacheable: isTargetCacheable(target),
  });
}

/** Renders one task and reports it through `sink`; resolves false (after printing why) on failure. */
export async function renderAndReport(input: {
  options: RenderExecutorOptions;
  context: ExecutorContext;
  project: string;
  /** The target's name in the project (`render` unless renamed); defaults to the context's. */
  targetName?: string;
  configurationName?: string;
  git: ReturnType<typeof createGitInfoCache>;
  sink: LogSink;
}): Promise<boolean> {
  const prefix = `${input.project}/${input.options.environment ?? input.configurationName ?? 'default'}`;
  const log = createLogger({ sink: input.sink, prefix, isVerbose: input.context.isVerbose });
  try {
    const task = renderTaskFromContext({
      options: input.options,
      context: input.context,
      project: input.project,
      targetName: input.targetName,
      configurationName: input.configurationName,
    });
    const result = await runRenderTask(task, { git: input.git, env: process.env, logger: log });
    const relative = result.outputFile.startsWith(`${input.context.root}/`) ? result.outputFile.slice(input.context.root.length + 1) : result.outputFile;
    log.info(`rendered ${relative} (${result.images.map((image) => image.reference).join(', ') || 'no images'})`);
    return true;
  } catch (error) {
    log.error(describeError(error));
    return false;
  }
}

/** `nx run <project>:render[:<environment>]`: writes the environment's manifest.yaml and images.json. */
export default async function renderExecutor(options: RenderExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  if (!context.projectName) {
    consoleSink.error('render must run for a project (nx run <project>:render).');
    return { success: false };
  }
  const success = await renderAndReport({
    options,
    context,
    project: context.projectName,
    configurationName: context.configurationName,
    git: createGitInfoCache(),
    sink: consoleSink,
  });
  return { success };
}
