import { formatFiles, type GeneratorCallback, type Tree } from '@nx/devkit';
import { registerPlugin } from '../lib/plugin-entry';
import { surfaceHints } from '../lib/surface-hints';
import { pluginOptionsFromInit } from './lib/normalize-options';
import type { InitGeneratorSchema } from './schema';

/**
 * `nx g nx-gitops:init` (also run by `nx add nx-gitops`): registers the plugin in `nx.json` with the given
 * options, or updates the options of the existing entry. Idempotent.
 */
export async function initGenerator(tree: Tree, options: InitGeneratorSchema): Promise<GeneratorCallback | void> {
  await surfaceHints(async () => {
    const changed = registerPlugin(tree, pluginOptionsFromInit(options));
    if (changed && !options.skipFormat) await formatFiles(tree);
  });
}

export default initGenerator;
