import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A throw-away directory for one test, and a writer of files relative to it. */
export interface TempWorkspace {
  /** The directory of the current test (a new one for each test). */
  readonly root: string;
  /** Writes `text` to `path` (relative to the root), creating the folders it needs. */
  write(path: string, text: string): void;
}

/**
 * Registers `beforeEach`/`afterEach` hooks that give every test of the calling file a fresh directory under
 * the system temp dir (named with `prefix`) and remove it afterwards.
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
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    },
  };
}
