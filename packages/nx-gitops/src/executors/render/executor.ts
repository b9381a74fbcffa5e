import type { ExecutorContext } from '@nx/devkit';
import { describeError } from '../../lib/errors';
import { consoleSink, createLogger, type LogSink } from '../../lib/log';
import { createGitInfoCache } from '../../skaffold/tags';
import { normalizeRenderOptions, runRenderTask, type RenderTask } from './run-render';
import type { RenderExecutorOptions } from './schema';

/** Resolves the options of one `render` task from Nx's context. */
export function renderTaskFromContext(options: RenderExecutorOptions, context: ExecutorContext, project: string, configurationName?: string): RenderTask {
  const projectRoot = context.projectsConfigurations?.projects[project]?.root ?? '.';
  return normalizeRenderOptions({ options, project, projectRoot, configurationName, workspaceRoot: context.root, env: process.env });
}

/** Renders one task and reports it through `sink`; resolves false (after printing why) on failure. */
export async function renderAndReport(input: {
  options: RenderExecutorOptions;
  context: ExecutorContext;
  project: string;
  configurationName?: string;
  git: ReturnType<typeof createGitInfoCache>;
  sink: LogSink;
}): Promise<boolean> {
  const prefix = `${input.project}/${input.options.environment ?? input.configurationName ?? 'default'}`;
  const log = createLogger({ sink: input.sink, prefix, isVerbose: input.context.isVerbose });
  try {
    const task = renderTaskFromContext(input.options, input.context, input.project, input.configurationName);
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
