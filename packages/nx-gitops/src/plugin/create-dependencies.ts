import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateDependencies, DependencyType, RawProjectGraphDependency } from '@nx/devkit';
import { analyzeService, type ServiceAnalysis } from './analyze-service';
import { analysesKey, inferredAnalyses, inferredConfigFiles } from './create-nodes';
import { normalizePluginOptions } from './normalize-options';
import type { NxGitopsPluginOptions } from './options';

/**
 * `DependencyType.static`, written out: importing `@nx/devkit` at run time would add a third of a second
 * to every project-graph computation.
 */
const STATIC_DEPENDENCY = 'static' as DependencyType.static;

/**
 * A lookup of the project whose root holds a file (the deepest root wins; a root of `.` or `''` holds
 * everything): each call walks up the file's folders, so a graph of many projects costs a few map reads per file.
 */
export function projectOwnerIndex(roots: ReadonlyArray<{ name: string; root: string }>): (file: string) => string | undefined {
  const byRoot = new Map<string, string>();
  for (const project of roots) byRoot.set(project.root === '.' ? '' : project.root, project.name);
  return (file) => {
    for (let folder = file; ; folder = folder.slice(0, Math.max(0, folder.lastIndexOf('/')))) {
      const name = byRoot.get(folder);
      if (name !== undefined) return name;
      if (folder === '') return undefined;
    }
  };
}

/**
 * Static edges from each service to every project holding a kustomize base, component, resource or patch,
 * a required skaffold config, an artifact context or Dockerfile, or rawYaml files it reads, so `nx graph` shows them and `nx affected` follows them. The
 * edge's source file is the service's skaffold.yaml.
 */
export const createDependencies: CreateDependencies<NxGitopsPluginOptions> = (options, context) => {
  const pluginOptions = normalizePluginOptions(options);
  const roots = Object.entries(context.projects).map(([name, project]) => ({ name, root: project.root }));
  const ownerOf = projectOwnerIndex(roots);
  const analyses = inferredAnalyses.get(analysesKey(context.workspaceRoot, pluginOptions));
  const dependencies: RawProjectGraphDependency[] = [];
  for (const { name, root } of roots.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const configFile = root === '.' || root === '' ? 'skaffold.yaml' : `${root}/skaffold.yaml`;
    // Only the services createNodes inferred, so the plugin's include/exclude hold here too.
    const inferred = inferredConfigFiles.get(context.workspaceRoot);
    if (inferred ? !inferred.has(configFile) : !existsSync(join(context.workspaceRoot, configFile))) continue;
    let analysis: ServiceAnalysis;
    try {
      analysis =
        analyses?.get(configFile) ??
        analyzeService({ workspaceRoot: context.workspaceRoot, configFile, pluginOptions });
    } catch {
      // createNodes has reported this service; its render fails with the error.
      continue;
    }
    const targets = new Set<string>();
    // A glob's files belong to the project holding the folder before its first wildcard.
    const globFolders = analysis.externalGlobs.map((glob) => glob.split('/').filter((_, index, parts) => !/[*?[]/.test(parts.slice(0, index + 1).join('/'))).join('/'));
    for (const file of [...analysis.externalFiles, ...analysis.externalDirs, ...globFolders]) {
      const target = ownerOf(file);
      if (target && target !== name) targets.add(target);
    }
    for (const target of [...targets].sort()) {
      dependencies.push({ source: name, target, sourceFile: configFile, type: STATIC_DEPENDENCY });
    }
  }
  return dependencies;
};
