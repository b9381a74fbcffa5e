import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import type { CreateNodesResult, CreateNodesV2, TargetConfiguration } from '@nx/devkit';
import { describeError } from '../lib/errors';
import { ReadJournal, withReadJournal } from '../lib/read-journal';
import { NX_DOCKER_IMAGE_REF_ENV, NX_RELEASE_VERSION_FILES_INPUT } from '../skaffold/nx-release-image';
import type { GitState } from '../skaffold/tags/describe-tag-inputs';
import { AnalysisStore } from './analysis-store';
import { analyzeService, unreadableServiceAnalysis, type ServiceAnalysis } from './analyze-service';
import { normalizePluginOptions, type NormalizedPluginOptions } from './normalize-options';
import type { NxGitopsPluginOptions } from './options';

/** The files that make a project: every skaffold.yaml (those under node_modules and dist are skipped). */
export const SKAFFOLD_CONFIG_GLOB = '**/skaffold.yaml';

/**
 * The skaffold.yaml files the last `createNodes` call inferred projects from (after Nx applied the plugin's
 * `include`/`exclude`), so `createDependencies`, which runs next in the same process, honours them too.
 */
export const inferredConfigFiles = new Map<string, Set<string>>();

/**
 * The analyses the last `createNodes` call made, by {@link analysesKey} and skaffold.yaml: `createDependencies`
 * runs next in the same process for the same graph, and takes its edges from the very analyses the nodes
 * were made from instead of checking every file they read again.
 */
export const inferredAnalyses = new Map<string, Map<string, ServiceAnalysis>>();

/** The key of {@link inferredAnalyses}: the workspace and the plugin options the analyses were made with. */
export function analysesKey(workspaceRoot: string, pluginOptions: NormalizedPluginOptions): string {
  return JSON.stringify([workspaceRoot, pluginOptions]);
}

/** The executors the inferred targets run. */
export const RENDER_EXECUTOR = 'nx-gitops:render';
export const PUBLISH_EXECUTOR = 'nx-gitops:publish-manifest';
export const DIFF_EXECUTOR = 'nx-gitops:diff-manifest';

/** Where `diff-manifest` writes beside the render, and its run report. */
export const DIFF_OUTPUTS = [
  '{workspaceRoot}/dist/manifests/{projectName}/{options.environment}/diff.json',
  '{workspaceRoot}/dist/manifests/{projectName}/{options.environment}/diff.md',
  '{workspaceRoot}/dist/manifests/diff.json',
  '{workspaceRoot}/dist/manifests/diff.md',
];

/** Where `render` writes, as an Nx output path (the environment comes from the target's options). */
export const RENDER_OUTPUT = '{workspaceRoot}/dist/manifests/{projectName}/{options.environment}';

/** Environment variables the render executor reads in place of options, as skaffold reads `SKAFFOLD_<FLAG>`. */
export const RENDER_ENV_INPUTS = ['SKAFFOLD_BUILD_ARTIFACTS', 'SKAFFOLD_DEFAULT_REPO', 'SKAFFOLD_DIGEST_SOURCE', 'SKAFFOLD_TAG'] as const;

type TargetInput = NonNullable<TargetConfiguration['inputs']>[number];

function isIgnored(file: string): boolean {
  return file.split('/').some((segment) => segment === 'node_modules' || segment === 'dist');
}

/** The project name: the `name` of a project.json beside the skaffold.yaml, else the folder's name. */
function projectName(workspaceRoot: string, projectRoot: string): string {
  const projectJson = join(workspaceRoot, projectRoot, 'project.json');
  if (existsSync(projectJson)) {
    try {
      const name = (JSON.parse(readFileSync(projectJson, 'utf8')) as { name?: unknown }).name;
      if (typeof name === 'string' && name) return name;
    } catch {
      // Nx reports a malformed project.json itself.
    }
  }
  return projectRoot === '.' ? basename(workspaceRoot) : basename(projectRoot);
}

/** The shell command whose output stands for each git fact in the Nx hash; each is the same for every project, so Nx runs it once. */
export const GIT_STATE_COMMANDS: Readonly<Record<GitState, string>> = {
  commit: 'git rev-parse HEAD',
  tags: 'git describe --tags --always',
  branch: 'git branch --show-current',
};

/**
 * The content of the build-output file `SKAFFOLD_BUILD_ARTIFACTS` names (resolved from the workspace root,
 * as render resolves it): Nx hashes a variable's value, not the file it points to.
 */
export const BUILD_ARTIFACTS_CONTENT_INPUT = 'test -z "$SKAFFOLD_BUILD_ARTIFACTS" || cat -- "$SKAFFOLD_BUILD_ARTIFACTS"';

function workspacePattern(path: string, suffix = ''): string {
  return path === '.' ? `{workspaceRoot}${suffix}` : `{workspaceRoot}/${path}${suffix}`;
}

/**
 * The inputs of both targets: everything that can change a byte of a render. The project's files; every
 * file its kustomizations, required configs and artifacts read elsewhere in the workspace, and the whole
 * of artifact contexts outside it; the `SKAFFOLD_*` variables render reads and the content of the
 * build-output file one of them names; the variables profile activations, tag policies, path templates and
 * build args read; and the git facts (commit, tags, branch) the image tags are made of.
 */
export function serviceInputs(analysis: ServiceAnalysis): TargetInput[] {
  return [
    '{projectRoot}/**/*',
    ...analysis.externalFiles.map((file) => workspacePattern(file)),
    ...analysis.externalGlobs.map((glob) => workspacePattern(glob)),
    ...analysis.externalDirs.map((dir) => workspacePattern(dir, '/**/*')),
    ...RENDER_ENV_INPUTS.map((env) => ({ env })),
    ...analysis.envVars.filter((env) => !(RENDER_ENV_INPUTS as readonly string[]).includes(env)).map((env) => ({ env })),
    { runtime: BUILD_ARTIFACTS_CONTENT_INPUT },
    // images: nx-release takes the image nx release tagged: a new release must not replay an old render.
    { env: NX_DOCKER_IMAGE_REF_ENV },
    { runtime: NX_RELEASE_VERSION_FILES_INPUT },
    ...analysis.gitState.map((state) => ({ runtime: GIT_STATE_COMMANDS[state] })),
  ];
}

/** Why a render cannot be cached, or undefined when every input can be hashed. */
export function uncacheableReason(analysis: ServiceAnalysis, options: NormalizedPluginOptions): string | undefined {
  if (analysis.problems.length > 0) return `the skaffold.yaml cannot be fully analysed (${analysis.problems.join('; ')})`;
  if (analysis.nondeterministic) return 'a dateTime tag policy gives a new tag on every run';
  if (options.digestSource === 'remote') return 'digestSource "remote" reads digests from the registry, which Nx cannot hash';
  if (analysis.outsideWorkspace.length > 0) return `it reads ${analysis.outsideWorkspace.join(', ')}, outside the workspace, which Nx cannot hash`;
  return undefined;
}

/**
 * The inputs of `publish-manifest` and `diff-manifest`: the files their `render` dependency wrote. Both are never
 * cached and read only that output, whose own inputs cover every byte of it, so hashing the render's inputs again
 * would cost Nx a second pass over them for nothing. An empty list would not do: Nx 24 selects the affected tasks
 * by their inputs, and reaches these two only through the output of an affected render.
 */
export const RENDER_OUTPUT_INPUTS: TargetInput[] = [{ dependentTasksOutputFiles: '**/*' }];

/** The name of the target group `nx show project` shows the service's targets under. */
export const TARGET_GROUP = 'gitops';

/** The `render`, `publish-manifest` and `diff-manifest` targets of one service (`project` names it in the targets' help). */
export function serviceTargets(analysis: ServiceAnalysis, options: NormalizedPluginOptions, project = '<project>'): Record<string, TargetConfiguration> {
  const [defaultEnvironment] = analysis.environments;
  const inputs = serviceInputs(analysis);
  const notCached = uncacheableReason(analysis, options);
  const renderDescription = 'Render the Kubernetes manifests of one environment with images pinned to this commit';
  const renderConfigurations = Object.fromEntries(
    analysis.environments.map((environment) => [environment.name, { environment: environment.name, profiles: environment.profiles }]),
  );
  const publishConfigurations = Object.fromEntries(analysis.environments.map((environment) => [environment.name, { environment: environment.name }]));
  const publishOptions: Record<string, unknown> = { environment: defaultEnvironment.name };
  if (options.manifestRepository) publishOptions.manifestRepository = options.manifestRepository;
  if (options.branch !== '{project}/{environment}') publishOptions.branch = options.branch;
  if (options.path !== 'manifest.yaml') publishOptions.path = options.path;
  if (options.activePath) publishOptions.activePath = options.activePath;
  // Only the options both executors take: diff-manifest refuses any other.
  const diffOptions = Object.fromEntries(Object.entries(publishOptions).filter(([name]) => ['environment', 'manifestRepository', 'branch', 'path', 'activePath'].includes(name)));
  return {
    [options.renderTargetName]: {
      executor: RENDER_EXECUTOR,
      cache: notCached === undefined,
      inputs,
      outputs: [RENDER_OUTPUT],
      options: {
        skaffoldConfig: '{projectRoot}/skaffold.yaml',
        environment: defaultEnvironment.name,
        profiles: defaultEnvironment.profiles,
        ...(options.defaultRepo ? { defaultRepo: options.defaultRepo } : {}),
        ...(options.digestSource ? { digestSource: options.digestSource } : {}),
      },
      configurations: renderConfigurations,
      defaultConfiguration: defaultEnvironment.name,
      metadata: {
        technologies: ['skaffold', 'kustomize'],
        description: notCached ? `${renderDescription} (not cached: ${notCached})` : renderDescription,
        help: {
          command: `npx nx run ${project}:${options.renderTargetName} --help`,
          example: { options: { defaultRepo: 'ghcr.io/acme' }, args: [`--configuration=${analysis.environments.at(-1)!.name}`] },
        },
      },
    },
    [options.publishTargetName]: {
      executor: PUBLISH_EXECUTOR,
      cache: false,
      dependsOn: [options.renderTargetName],
      inputs: RENDER_OUTPUT_INPUTS,
      options: publishOptions,
      configurations: publishConfigurations,
      defaultConfiguration: defaultEnvironment.name,
      metadata: {
        technologies: ['git'],
        description: 'Commit the rendered manifests to the manifest repository, one branch per service and environment',
        help: {
          command: `npx nx run ${project}:${options.publishTargetName} --help`,
          example: { options: { dryRun: true }, args: [`--configuration=${analysis.environments.at(-1)!.name}`] },
        },
      },
    },
    [options.diffTargetName]: {
      executor: DIFF_EXECUTOR,
      cache: false,
      dependsOn: [options.renderTargetName],
      inputs: RENDER_OUTPUT_INPUTS,
      outputs: DIFF_OUTPUTS,
      options: diffOptions,
      configurations: publishConfigurations,
      defaultConfiguration: defaultEnvironment.name,
      metadata: {
        technologies: ['git'],
        description: 'Compare the rendered manifests with the manifest repository, object by object (read only)',
        help: {
          command: `npx nx run ${project}:${options.diffTargetName} --help`,
          example: { options: { exitCode: true }, args: [`--configuration=${analysis.environments.at(-1)!.name}`] },
        },
      },
    },
  };
}

/** {@link analyzeService}, or, when the skaffold.yaml cannot be read at all, an analysis that carries the error. */
export function analyzeServiceOrProblem(options: {
  configFile: string;
  workspaceRoot: string;
  pluginOptions: NormalizedPluginOptions;
  store?: AnalysisStore;
}): ServiceAnalysis {
  // Problems are shown in the graph, which holds no absolute path.
  const relative = (problem: string) => problem.split(`${options.workspaceRoot}${sep}`).join('');
  try {
    const analysis = analyzeService(options);
    return analysis.problems.length > 0 ? { ...analysis, problems: analysis.problems.map(relative) } : analysis;
  } catch (error) {
    return unreadableServiceAnalysis({ pluginOptions: options.pluginOptions, problem: relative(describeError(error)) });
  }
}

/**
 * Nx's workspace data directory (`.nx/workspace-data`, or `NX_WORKSPACE_DATA_DIRECTORY`), from the host's
 * own Nx so that the plugin follows its settings; the default location when that Nx cannot say.
 */
function workspaceDataDirectory(workspaceRoot: string): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { workspaceDataDirectoryForWorkspace } = require('nx/src/utils/cache-directory') as { workspaceDataDirectoryForWorkspace: (root: string) => string };
    return workspaceDataDirectoryForWorkspace(workspaceRoot);
  } catch {
    return join(workspaceRoot, '.nx', 'workspace-data');
  }
}

/** The project a skaffold.yaml makes: root = its folder, name, and the inferred targets. */
export function createServiceNode(options: {
  configFile: string;
  workspaceRoot: string;
  pluginOptions: NormalizedPluginOptions;
  analysis?: ServiceAnalysis;
}): CreateNodesResult {
  const projectRoot = dirname(options.configFile);
  const analysis = options.analysis ?? analyzeServiceOrProblem(options);
  const name = projectName(options.workspaceRoot, projectRoot);
  const { renderTargetName, publishTargetName, diffTargetName } = options.pluginOptions;
  return {
    projects: {
      [projectRoot]: {
        name,
        targets: serviceTargets(analysis, options.pluginOptions, name),
        metadata: { technologies: ['skaffold', 'kustomize'], targetGroups: { [TARGET_GROUP]: [renderTargetName, publishTargetName, diffTargetName] } },
      },
    },
  };
}

/**
 * Nx's entry for inferred projects: every skaffold.yaml becomes a project with `render` and
 * `publish-manifest` targets, one configuration per environment. Exported as `createNodes` and
 * `createNodesV2` so Nx 22 through 24 load it. Nothing of `@nx/devkit` is loaded at run time: the graph
 * is computed on every Nx command, and the devkit's import alone costs a third of a second.
 */
export const createNodes: CreateNodesV2<NxGitopsPluginOptions> = [
  SKAFFOLD_CONFIG_GLOB,
  async (configFiles, options, context) => {
    const pluginOptions = normalizePluginOptions(options);
    const results: Array<[string, CreateNodesResult]> = [];
    const problems: string[] = [];
    const inferred = new Set<string>();
    inferredConfigFiles.set(context.workspaceRoot, inferred);
    const analyses = new Map<string, ServiceAnalysis>();
    inferredAnalyses.set(analysesKey(context.workspaceRoot, pluginOptions), analyses);
    const store = new AnalysisStore({ workspaceDataDirectory: workspaceDataDirectory(context.workspaceRoot), pluginOptions });
    // Each file is stated and read once in this computation, and the store's evidence is what was read.
    withReadJournal(new ReadJournal(), () => {
      // One broken service never takes the graph down: it keeps targets whose render fails with the error.
      for (const configFile of configFiles.filter((file) => !isIgnored(file))) {
        const analysis = analyzeServiceOrProblem({ configFile, workspaceRoot: context.workspaceRoot, pluginOptions, store });
        for (const problem of analysis.problems) problems.push(`${configFile}: ${problem.split('\n')[0]}`);
        inferred.add(configFile);
        analyses.set(configFile, analysis);
        results.push([configFile, createServiceNode({ configFile, workspaceRoot: context.workspaceRoot, pluginOptions, analysis })]);
      }
    });
    store.save([...inferred]);
    if (problems.length > 0) {
      console.warn(`nx-gitops: ${problems.length} skaffold.yaml file(s) cannot be fully analysed; rendering them fails until fixed:\n${problems.join('\n')}`);
    }
    return results;
  },
];
