import { normalizePath, type Tree } from '@nx/devkit';
import { GitopsError } from '../../../lib/errors';
import { DEFAULT_PLUGIN_OPTIONS } from '../../../plugin/options';
import { readPluginOptions } from '../../lib/plugin-entry';
import { assertDnsLabel, assertNoUrlCredentials } from '../../lib/validate-names';
import type { CiWorkflowGeneratorSchema } from '../schema';

/** ci-workflow options with every default filled in, plus the publish target name of the workspace. */
export interface NormalizedCiWorkflowOptions {
  path: string;
  mainBranch: string;
  nodeVersion: string;
  productionEnvironment: string;
  tokenSecret: string;
  manifestRepository?: string;
  publishTargetName: string;
  /** The workspace's diff target name (plugin option `diffTargetName`). */
  diffTargetName: string;
}

/** Fills in the defaults and validates every option; throws a {@link GitopsError} naming the option to fix. */
export function normalizeCiWorkflowOptions(tree: Tree, options: CiWorkflowGeneratorSchema): NormalizedCiWorkflowOptions {
  const path = normalizePath(options.path ?? '.github/workflows/gitops.yaml').replace(/^\.\//, '');
  if (!/^\.github\/workflows\/[^/]+\.ya?ml$/.test(path)) {
    throw new GitopsError(`--path "${options.path}" is not a workflow file: GitHub runs only .yml/.yaml files directly in .github/workflows/.`, {
      hint: 'Pass --path .github/workflows/<name>.yaml.',
    });
  }
  const mainBranch = options.mainBranch ?? 'main';
  if (!/^[A-Za-z0-9._/-]+$/.test(mainBranch) || mainBranch.includes('..') || /^[/.-]|[/.]$/.test(mainBranch)) {
    throw new GitopsError(`Invalid --mainBranch "${mainBranch}".`, { hint: 'Pass the branch name as git shows it, e.g. main.' });
  }
  const nodeVersion = String(options.nodeVersion ?? '20');
  if (!/^[A-Za-z0-9.*/x-]+$/.test(nodeVersion)) {
    throw new GitopsError(`Invalid --nodeVersion "${nodeVersion}".`, { hint: 'Pass a version actions/setup-node accepts, e.g. 20, 22.x or lts/*.' });
  }
  const productionEnvironment = options.productionEnvironment ?? 'production';
  assertDnsLabel({ value: productionEnvironment, what: 'environment name', option: '--productionEnvironment' });
  const tokenSecret = options.tokenSecret ?? 'NX_GITOPS_TOKEN';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenSecret) || /^GITHUB_/i.test(tokenSecret)) {
    throw new GitopsError(`Invalid --tokenSecret "${tokenSecret}": a secret name has letters, digits and "_", and does not start with GITHUB_.`, {
      hint: 'Pass the name of the repository secret that holds the manifest repository token.',
    });
  }
  const manifestRepository = options.manifestRepository?.trim() || undefined;
  if (manifestRepository) assertNoUrlCredentials(manifestRepository, '--manifestRepository');
  const pluginOptions = readPluginOptions(tree);
  const publishTargetName = pluginOptions.publishTargetName ?? DEFAULT_PLUGIN_OPTIONS.publishTargetName;
  const diffTargetName = pluginOptions.diffTargetName ?? DEFAULT_PLUGIN_OPTIONS.diffTargetName;
  return { path, mainBranch, nodeVersion, productionEnvironment, tokenSecret, manifestRepository, publishTargetName, diffTargetName };
}
