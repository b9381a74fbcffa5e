import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { renderManifests, type RenderRequest, type RenderResult } from '../skaffold/render';
import { createGitInfoCache } from '../skaffold/tags';

/** A throw-away directory for one test, and a writer of files relative to it. */
export interface TempWorkspace {
  /** The directory of the current test (a new one for each test). */
  readonly root: string;
  /** Writes `text` to `path` (relative to the root), creating the folders it needs. */
  write(path: string, text: string): void;
  /** Writes every file of `files` (paths relative to the root to contents), creating the folders they need. */
  writeFiles(files: Record<string, string>): void;
}

/** Writes every file of `files` (paths relative to `root` to contents), creating the folders they need. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/**
 * Registers `beforeEach`/`afterEach` hooks that give every test of the calling file (or `describe` block) a
 * fresh directory under the system temp dir (named with `prefix`) and remove it afterwards.
 */
export function useTempWorkspace(prefix: string): TempWorkspace {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  return {
    get root() {
      return root;
    },
    write(path: string, text: string) {
      writeFiles(root, { [path]: text });
    },
    writeFiles(files: Record<string, string>) {
      writeFiles(root, files);
    },
  };
}

/**
 * Renders the `skaffold.yaml` at `root` through the whole pipeline: no profiles, an empty environment,
 * `digestSource: none` and a fresh git cache, unless `request` says otherwise.
 */
export function renderWorkspaceConfig(root: string, request: Partial<RenderRequest> = {}): Promise<RenderResult> {
  return renderManifests({ configFile: join(root, 'skaffold.yaml'), profiles: [], env: {}, digestSource: 'none', git: createGitInfoCache(), ...request });
}
