import { generateFiles, joinPathFragments, type Tree } from '@nx/devkit';
import { stringify } from 'yaml';
import { GitopsError } from '../../lib/errors';
import { surfaceHints } from '../lib/surface-hints';
import { registerPlugin } from '../lib/plugin-entry';
import { buildEnvironmentValues, valuesFilePath } from './lib/helm-values-yaml';
import { buildOverlayKustomization } from './lib/overlay-yaml';
import { normalizeServiceOptions, serviceRoot } from './lib/normalize-options';
import { buildSkaffoldYaml, overlayPath } from './lib/skaffold-yaml';
import type { ServiceGeneratorSchema } from './schema';

/** A YAML scalar for templates: plain when that reads back as the same string, quoted otherwise (`"8080"`, `"true"`). */
function yamlScalar(value: string): string {
  return stringify(value).trimEnd();
}

/**
 * `nx g nx-gitops:service <name>`: writes `<directory>/<name>/` with `skaffold.yaml`, a `Dockerfile`, and
 * either a kustomize base with one overlay per environment (`--template kustomize`, the default) or a local
 * helm chart with one values file per environment (`--template helm`), and registers the plugin in nx.json
 * when it is not yet.
 * Refuses an existing folder. The YAML is written as generated, without a formatter, so it stays exactly
 * what the tests pin.
 */
export async function serviceGenerator(tree: Tree, rawOptions: ServiceGeneratorSchema): Promise<void> {
  await surfaceHints(() => {
    const options = normalizeServiceOptions(tree, rawOptions);
    const root = serviceRoot(options);
    if (tree.exists(root)) {
      throw new GitopsError(`"${root}" already exists; nx-gitops never overwrites a folder.`, {
        hint: `Choose another service name, or another parent folder with --directory (now "${options.directory}").`,
      });
    }

    const substitutions = { name: options.name, image: options.image, port: options.port, yaml: yamlScalar };
    for (const folder of ['common', options.template]) {
      generateFiles(tree, joinPathFragments(__dirname, 'files', folder), root, substitutions);
    }
    tree.write(joinPathFragments(root, 'skaffold.yaml'), buildSkaffoldYaml({ ...options, apiVersion: options.skaffoldApiVersion }));
    for (const environment of options.environments) {
      if (options.template === 'helm') {
        tree.write(joinPathFragments(root, valuesFilePath(environment)), buildEnvironmentValues({ environment }));
      } else {
        tree.write(joinPathFragments(root, overlayPath(environment), 'kustomization.yaml'), buildOverlayKustomization({ name: options.name, environment }));
      }
    }
    registerPlugin(tree, {});
  });
}

export default serviceGenerator;
