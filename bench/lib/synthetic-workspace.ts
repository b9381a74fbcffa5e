/**
 * Synthetic workspaces for the benchmarks: an Nx workspace that installs the packed plugin, with N services
 * made by the plugin's own `service` generator (two environments each), a `platform/` project whose shared
 * kustomize component a third of the services use, and a history of several commits; plus manifest
 * repositories seeded with one branch per service.
 */
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FsTree, flushChanges } from 'nx/src/generators/tree';
import { initGenerator } from '../../packages/nx-gitops/src/generators/init/generator';
import { serviceGenerator } from '../../packages/nx-gitops/src/generators/service/generator';
import { runCommand } from '../../packages/nx-gitops/src/lib/exec';
import { createBareRepository, createFixtureWorkspace, fixtureEnv, type FixtureWorkspace } from '../../e2e/nx-gitops-e2e/src/harness';
import { useSharedComponent, writePlatformProject } from '../../e2e/nx-gitops-e2e/src/workspace-layout';

/** The Nx version of every benchmark workspace. */
export const BENCH_NX_VERSION = '23.2.1';

/** The environments every synthetic service gets; the first is the one the benchmarks render and publish. */
export const BENCH_ENVIRONMENTS = ['develop', 'production'] as const;

/** How many commits the services are spread over, so that the workspace has a history and not one big commit. */
const SERVICE_COMMITS = 4;

/** A workspace made by {@link createSyntheticWorkspace}. */
export interface SyntheticWorkspace {
  workspace: FixtureWorkspace;
  /** Service names, in the order they were generated. */
  services: string[];
  /** The services whose overlays use the platform component. */
  componentUsers: string[];
  /** The workspace's first commit (Nx only, no services): the base from which every service is affected. */
  firstCommit: string;
}

/** `svc-001`, `svc-002`, …: names that sort in generation order and are valid DNS labels. */
export function serviceNames(count: number): string[] {
  const width = Math.max(3, String(count).length);
  return Array.from({ length: count }, (_, index) => `svc-${String(index + 1).padStart(width, '0')}`);
}

/** The branch a service's default environment is published to (the plugin's default template). */
export function serviceBranch(service: string): string {
  return `${service}/${BENCH_ENVIRONMENTS[0]}`;
}

/**
 * Creates the workspace in `root`: installs Nx and the packed plugin, registers the plugin with
 * `manifestRepository`, generates `services` services through the generators' functions on one `FsTree`
 * (one process instead of one `nx g` per service), adds the platform component to every third service, and
 * commits in several steps.
 */
export async function createSyntheticWorkspace(options: {
  root: string;
  services: number;
  pluginTarball: string;
  manifestRepository: string;
}): Promise<SyntheticWorkspace> {
  const workspace = await createFixtureWorkspace({ root: options.root, nxVersion: BENCH_NX_VERSION, pluginTarball: options.pluginTarball });
  const firstCommit = await workspace.head();
  const services = serviceNames(options.services);
  const componentUsers = services.filter((_, index) => index % 3 === 0);

  const initTree = new FsTree(workspace.root, false);
  await initGenerator(initTree, { manifestRepository: `file://${options.manifestRepository}`, skipFormat: true });
  flushChanges(workspace.root, initTree.listChanges());
  writePlatformProject(workspace, 'platform');
  await workspace.commitAll('Register nx-gitops; platform project with a shared kustomize component');

  const perCommit = Math.ceil(services.length / SERVICE_COMMITS);
  for (let start = 0; start < services.length; start += perCommit) {
    const chunk = services.slice(start, start + perCommit);
    const tree = new FsTree(workspace.root, false);
    for (const name of chunk) {
      await serviceGenerator(tree, { name, environments: [...BENCH_ENVIRONMENTS] });
    }
    flushChanges(workspace.root, tree.listChanges());
    for (const name of chunk.filter((service) => componentUsers.includes(service))) {
      useSharedComponent(workspace, `services/${name}`);
    }
    await workspace.commitAll(`Services ${chunk[0]} to ${chunk[chunk.length - 1]}`);
  }
  return { workspace, services, componentUsers, firstCommit };
}

/**
 * Creates a bare manifest repository at `path` with one branch per service (`<service>/develop`), each holding
 * one commit with a placeholder `manifest.yaml`: the state before a publish that changes every branch. One
 * `git fast-import` process writes all of it.
 */
export async function createSeededManifestRepository(path: string, services: readonly string[]): Promise<void> {
  await createBareRepository(path);
  const placeholder = '# placeholder before the first render\n';
  const stream: string[] = [];
  const timestamp = 1_700_000_000;
  services.forEach((service, index) => {
    stream.push(
      `blob\nmark :${index + 1}\ndata ${Buffer.byteLength(placeholder)}\n${placeholder}`,
      `commit refs/heads/${serviceBranch(service)}`,
      `committer Bench Seed <seed@nx-gitops.invalid> ${timestamp} +0000`,
      `data 5\nseed\n`,
      `M 100644 :${index + 1} manifest.yaml`,
      '',
    );
  });
  await runCommand('git', ['fast-import', '--quiet'], { cwd: path, input: `${stream.join('\n')}\n`, env: fixtureEnv(), extendEnv: false });
}

/** Replaces the repository at `target` by a copy of `seed`, so every run starts from the same branches. */
export function resetRepository(seed: string, target: string): void {
  rmSync(target, { recursive: true, force: true });
  cpSync(seed, target, { recursive: true });
}

/** The overlay folder of a service's environment, relative to the workspace root. */
export function overlayDir(service: string, environment: string = BENCH_ENVIRONMENTS[0]): string {
  return join('services', service, 'kubernetes/overlays', environment);
}
