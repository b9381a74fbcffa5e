import { joinPathFragments, readProjectConfiguration, type Tree } from '@nx/devkit';
import { GitopsError } from '../../../lib/errors';

/** Folders that never hold a service (the plugin does not look there either). */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.git', '.nx']);

function skaffoldFolders(tree: Tree, dir: string, found: string[]): string[] {
  for (const child of tree.children(dir)) {
    const path = dir ? `${dir}/${child}` : child;
    if (tree.isFile(path)) {
      if (child === 'skaffold.yaml') found.push(dir);
    } else if (!SKIPPED_FOLDERS.has(child)) {
      skaffoldFolders(tree, path, found);
    }
  }
  return found;
}

/**
 * The root of the service project `service`. Projects with a `project.json` are found through Nx; a project
 * the plugin infers from a `skaffold.yaml` alone has no configuration Nx generators can read, so its folder is
 * found the way the plugin names it: the folder of a `skaffold.yaml` whose name is the project name.
 */
export function findServiceRoot(tree: Tree, service: string): string {
  let configuredRoot: string | undefined;
  try {
    configuredRoot = readProjectConfiguration(tree, service).root;
  } catch {
    configuredRoot = undefined;
  }
  if (configuredRoot !== undefined) {
    if (!tree.exists(joinPathFragments(configuredRoot, 'skaffold.yaml'))) {
      throw new GitopsError(`Project "${service}" (${configuredRoot || '.'}) has no skaffold.yaml, so nx-gitops does not publish it.`, {
        hint: `Pass the name of a service project, or scaffold one with "nx g nx-gitops:service ${service}".`,
      });
    }
    return configuredRoot;
  }
  const matches = skaffoldFolders(tree, '', [])
    .filter((dir) => dir.split('/').pop() === service && !tree.exists(joinPathFragments(dir, 'project.json')))
    .sort();
  if (matches.length === 0) {
    throw new GitopsError(`Cannot find the service project "${service}".`, {
      hint: `Pass the name of an existing service project (a folder with a skaffold.yaml), or create it with "nx g nx-gitops:service ${service}".`,
    });
  }
  if (matches.length > 1) {
    throw new GitopsError(`Several folders could be the service "${service}": ${matches.join(', ')}.`, {
      hint: 'Give each of them a distinct project name in a project.json, then pass that name.',
    });
  }
  return matches[0];
}
