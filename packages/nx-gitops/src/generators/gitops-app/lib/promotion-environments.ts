import { joinPathFragments, type Tree } from '@nx/devkit';
import { parseAllDocuments } from 'yaml';
import { GitopsError } from '../../../lib/errors';
import { parseEnvironmentList } from '../../lib/validate-names';

/**
 * The environments a change is promoted through, first to last: `--environments` when given; else the keys of
 * the plugin's `environments` map in the order nx.json lists them; else the default environment followed by the
 * profiles of the service's `skaffold.yaml` in the order the file lists them (the plugin sorts them by name, which
 * says nothing about the order of promotion).
 */
export function promotionEnvironments(options: {
  tree: Tree;
  serviceRoot: string;
  environments?: string | readonly string[];
  pluginEnvironments?: Record<string, unknown>;
  defaultEnvironment: string;
}): string[] {
  if (options.environments !== undefined) return parseEnvironmentList(options.environments, '--environments');
  if (options.pluginEnvironments) return parseEnvironmentList(Object.keys(options.pluginEnvironments), 'the "environments" plugin option');
  const file = joinPathFragments(options.serviceRoot, 'skaffold.yaml');
  const profiles: string[] = [];
  for (const document of parseAllDocuments(options.tree.read(file, 'utf-8') ?? '')) {
    if (document.errors.length > 0) {
      throw new GitopsError(`${file} is not valid YAML: ${document.errors[0].message}`, {
        hint: 'Fix the file, or list the environments in order with --environments.',
      });
    }
    const config = document.toJS() as { profiles?: Array<{ name?: unknown }> } | null;
    for (const profile of config?.profiles ?? []) {
      if (typeof profile?.name === 'string' && profile.name !== options.defaultEnvironment && !profiles.includes(profile.name)) {
        profiles.push(profile.name);
      }
    }
  }
  return parseEnvironmentList([options.defaultEnvironment, ...profiles], '--environments');
}
