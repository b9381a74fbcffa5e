import type { Tree } from '@nx/devkit';
import { GitopsError } from '../../lib/errors';
import { surfaceHints } from '../lib/surface-hints';
import { normalizeCiWorkflowOptions } from './lib/normalize-options';
import { buildCiWorkflow } from './lib/workflow-yaml';
import type { CiWorkflowGeneratorSchema } from './schema';

/**
 * `nx g nx-gitops:ci-workflow`: writes the GitHub Actions workflow that runs `nx affected -t publish-manifest`
 * for the default environment on pushes to the main branch and for production on `v*` tags or a manual run,
 * and `nx affected -t diff-manifest` with one sticky report comment on pull requests.
 * Never overwrites a file; the YAML is written as generated, without a formatter.
 */
export async function ciWorkflowGenerator(tree: Tree, rawOptions: CiWorkflowGeneratorSchema): Promise<void> {
  await surfaceHints(() => {
    const options = normalizeCiWorkflowOptions(tree, rawOptions);
    if (tree.exists(options.path)) {
      throw new GitopsError(`"${options.path}" already exists; nx-gitops never overwrites a file.`, {
        hint: 'Remove it first, or write another file with --path.',
      });
    }
    tree.write(options.path, buildCiWorkflow(options));
  });
}

export default ciWorkflowGenerator;
