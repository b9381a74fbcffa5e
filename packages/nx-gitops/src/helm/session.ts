import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestDocument } from '../manifests/yaml';
import type { EnvironmentConfig } from '../skaffold/profiles';
import type { ResourceSelector } from '../skaffold/replace-images';
import { applyNamespace } from '../skaffold/transforms';
import type { HelmBuild, HelmFlags, HelmRelease } from './args';
import { createHelmRunner, type HelmRunner } from './binary';
import { legacyHelmReleases, renderedHelmReleases, renderHelmReleases } from './render-helm';

/** What one render's helm releases share. */
export interface HelmSessionOptions {
  /** The helm executable (option `helmBinary`), default `helm` from PATH. */
  helmBinary?: string;
  /** Where the docker config with registry logins lives (for `oci://` charts). */
  dockerConfigDir?: string;
  env: Record<string, string | undefined>;
  /** The `namespace` option. */
  namespace?: string;
  /** The images of the render; helm waits for them, since setValueTemplates read their tags. */
  builds: Promise<readonly HelmBuild[]>;
}

/** Renders the helm releases of one render's configs with one checked helm and one private helm home. */
export interface HelmSession {
  /** The documents of a config's `manifests.helm` releases (none when it has no helm section). */
  renderConfig(config: EnvironmentConfig): Promise<ManifestDocument[]>;
  /** The documents of a v3+ config's legacy `deploy.helm` releases that `manifests.helm` does not repeat. */
  renderLegacy(config: EnvironmentConfig): Promise<ManifestDocument[]>;
  /** Removes the private helm home; safe to call when helm never ran. */
  close(): void;
}

/** The documents helm printed, as parsed (before any transform), so the pipeline can tell them apart. */
const helmRendered = new WeakSet<ManifestDocument>();

/**
 * For each non-empty document (those image replacement keeps, in order), whether helm rendered it; read it
 * before any transform, which copies the documents.
 */
export function helmOrigins(documents: readonly ManifestDocument[]): boolean[] {
  return documents.filter((document) => Object.keys(document).length > 0).map((document) => helmRendered.has(document));
}

/**
 * The `namespace` option applied as skaffold applies it: to every document except those helm rendered
 * (`fromHelm`, from {@link helmOrigins}). For helm, skaffold passes the namespace to `helm template --namespace`
 * and injects none (its namespace transform belongs to the kubectl, kustomize and kpt renderers). Warnings are
 * the kept-namespace conflicts.
 */
export function applyNamespaceOutsideHelm(options: {
  documents: readonly ManifestDocument[];
  fromHelm: readonly boolean[];
  namespace: string;
  selector: ResourceSelector;
}): { documents: ManifestDocument[]; warnings: string[] } {
  const warnings: string[] = [];
  const documents = options.documents.map((document, index) => {
    if (options.fromHelm[index]) return document;
    const namespaced = applyNamespace([document], options.namespace, { selector: options.selector });
    warnings.push(...namespaced.warnings.map((conflict) => conflict.message));
    return namespaced.documents[0];
  });
  return { documents, warnings };
}

/**
 * A session that finds and checks helm only when a config has releases, and runs helm commands one at a
 * time (dependency builds write into chart folders and the repository cache is shared).
 */
export function createHelmSession(options: HelmSessionOptions): HelmSession {
  let runner: Promise<HelmRunner> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };
  const render = async (config: EnvironmentConfig, section: { releases: readonly HelmRelease[]; flags?: HelmFlags } | undefined) => {
    if (!section || section.releases.length === 0) return [];
    runner ??= createHelmRunner({ helmBinary: options.helmBinary, dockerConfigDir: options.dockerConfigDir });
    const helm = await runner;
    const builds = await options.builds;
    const documents = await serialized(() =>
      renderHelmReleases({
        releases: section.releases,
        flags: section.flags,
        configDir: config.dir,
        configFile: config.file,
        builds,
        env: options.env,
        namespace: options.namespace,
        helm,
        workDir: mkdtempSync(join(helm.home, 'work-')),
      }),
    );
    for (const document of documents) helmRendered.add(document);
    return documents;
  };
  return {
    renderConfig: (config) => render(config, renderedHelmReleases(config.config)),
    renderLegacy: (config) => render(config, { releases: legacyHelmReleases(config.config) }),
    close: () => {
      runner?.then((helm) => helm.dispose(), () => undefined);
    },
  };
}

/**
 * Puts rendered documents in the order `skaffold render` writes them. skaffold runs every config's renderers
 * (rawYaml, kustomize, helm), then the legacy helm renderers of all configs, and groups the output by config
 * in the order each config first produced a document: a config whose only output is legacy helm comes after
 * the configs that rendered something else. `results[i]` is the output of source `i`; `configOfSource[i]`
 * the index of its config.
 */
export function orderLikeSkaffold(options: { results: readonly ManifestDocument[][]; configOfSource: readonly number[] }): ManifestDocument[] {
  const order: number[] = [];
  const groups = new Map<number, ManifestDocument[]>();
  options.results.forEach((documents, index) => {
    if (documents.length === 0) return;
    const config = options.configOfSource[index];
    let group = groups.get(config);
    if (!group) {
      group = [];
      groups.set(config, group);
      order.push(config);
    }
    group.push(...documents);
  });
  return order.flatMap((config) => groups.get(config) ?? []);
}
