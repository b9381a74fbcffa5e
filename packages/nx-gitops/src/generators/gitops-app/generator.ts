import type { Tree } from '@nx/devkit';
import { stringify } from 'yaml';
import { GitopsError } from '../../lib/errors';
import { surfaceHints } from '../lib/surface-hints';
import { validateGitopsObject } from './lib/gitops-object-schemas';
import { buildArgocdApplication, buildFluxObjects, buildPromoterObjects } from './lib/gitops-objects';
import { normalizeGitopsAppOptions } from './lib/normalize-options';
import type { GitopsAppGeneratorSchema } from './schema';

/**
 * `nx g nx-gitops:gitops-app <service>`: writes the Argo CD `Application`, or the Flux `GitRepository` and
 * `Kustomization`, that deploy the service's branch of the manifest repository; with `--tool promoter`, GitOps
 * Promoter's `GitRepository` and `PromotionStrategy` and the Argo CD `Application` of each environment. Every object is validated
 * before anything is written; an existing file is never overwritten. The YAML is written as generated,
 * without a formatter.
 */
export async function gitopsAppGenerator(tree: Tree, rawOptions: GitopsAppGeneratorSchema): Promise<void> {
  await surfaceHints(() => {
    const options = normalizeGitopsAppOptions(tree, rawOptions);
    if (tree.exists(options.output)) {
      throw new GitopsError(`"${options.output}" already exists; nx-gitops never overwrites a file.`, {
        hint: 'Remove it first, or write elsewhere with --output.',
      });
    }
    const input = { ...options, project: options.service, repositoryUrl: options.manifestRepository };
    const objects = options.promotion
      ? buildPromoterObjects({ ...input, ...options.promotion })
      : options.tool === 'argocd'
        ? [buildArgocdApplication(input)]
        : buildFluxObjects(input);
    objects.forEach(validateGitopsObject);
    tree.write(options.output, objects.map((object) => stringify(object, { lineWidth: 0 })).join('---\n'));
  });
}

export default gitopsAppGenerator;
