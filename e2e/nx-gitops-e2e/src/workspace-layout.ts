/**
 * Hand-written parts of the e2e workspaces that no generator makes: a `platform/` project holding a shared
 * kustomize component, and the overlay edit by which a service starts using it.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import type { FixtureWorkspace } from './harness';

/** Workspace-relative folder of the shared component. */
export const COMPONENT_DIR = 'platform/components/team-labels';

/** The `team` label the component stamps on every resource. */
export function componentKustomization(team: string): string {
  return [
    'apiVersion: kustomize.config.k8s.io/v1alpha1',
    'kind: Component',
    'labels:',
    '  - pairs:',
    `      team: ${team}`,
    '',
  ].join('\n');
}

/** Writes `platform/project.json` and the component, labelling resources with `team`. */
export function writePlatformProject(workspace: FixtureWorkspace, team: string): void {
  workspace.writeFile(
    'platform/project.json',
    `${JSON.stringify({ name: 'platform', $schema: '../node_modules/nx/schemas/project-schema.json', projectType: 'library' }, null, 2)}\n`,
  );
  workspace.writeFile(`${COMPONENT_DIR}/kustomization.yaml`, componentKustomization(team));
}

/** The overlay folders (`<serviceRoot>/kubernetes/overlays/<environment>`) of a generated service. */
export function overlayDirs(workspace: FixtureWorkspace, serviceRoot: string): string[] {
  const overlays = join(serviceRoot, 'kubernetes/overlays');
  return readdirSync(join(workspace.root, overlays), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(overlays, entry.name))
    .sort();
}

/** Adds the shared component to every overlay of the service, by a path relative to the overlay. */
export function useSharedComponent(workspace: FixtureWorkspace, serviceRoot: string): void {
  for (const overlay of overlayDirs(workspace, serviceRoot)) {
    const file = join(overlay, 'kustomization.yaml');
    const document = parseDocument(workspace.readFile(file));
    const existing = (document.toJS() as { components?: string[] } | null)?.components ?? [];
    document.set('components', [...existing, relative(overlay, COMPONENT_DIR)]);
    workspace.writeFile(file, document.toString());
  }
}
