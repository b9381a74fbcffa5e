import { createHash } from 'node:crypto';
import { readFileSync, statSync, type Stats } from 'node:fs';

/** What reading one file recorded: its modification time and size stated before the read, and the sha1 of the bytes read. */
export interface JournalEntry {
  mtimeMs: number;
  size: number;
  sha1: string;
}

/**
 * The file-system reads of one project-graph computation. The workspace does not change while Nx computes
 * its graph, so each path is stated once and each file read once however many services share it (a base,
 * a platform component), and each file read keeps the stat taken before the read and the hash of the bytes
 * read: the analysis store records as evidence the very bytes an analysis used, without reading them again.
 * Also keeps results computed from those files for the same computation ({@link ReadJournal.keep}).
 */
export class ReadJournal {
  private readonly stats = new Map<string, Stats | null>();
  private readonly texts = new Map<string, { text: string; entry: JournalEntry }>();
  private readonly results = new Map<string, unknown>();

  /** `stat` of `path` (following links), `null` when it does not exist or cannot be stated. */
  stat(path: string): Stats | null {
    let stats = this.stats.get(path);
    if (stats === undefined) {
      stats = statOrNull(path);
      this.stats.set(path, stats);
    }
    return stats;
  }

  /** The UTF-8 text of `path`, stated first; throws as `readFileSync` does, and a failed read is tried again next time. */
  readText(path: string): string {
    let read = this.texts.get(path);
    if (!read) {
      const stats = this.stat(path);
      const bytes = readFileSync(path);
      const sha1 = createHash('sha1').update(bytes).digest('hex');
      read = { text: bytes.toString('utf8'), entry: { mtimeMs: stats?.mtimeMs ?? -1, size: stats?.size ?? -1, sha1 } };
      this.texts.set(path, read);
    }
    return read.text;
  }

  /** What reading `path` recorded, when it was read through this journal. */
  entry(path: string): JournalEntry | undefined {
    return this.texts.get(path)?.entry;
  }

  /** A result derived from the files alone that {@link ReadJournal.keep} kept for `key` in this computation. */
  recall<T>(key: string): T | undefined {
    return this.results.get(key) as T | undefined;
  }

  /** Keeps `value` for `key` for the rest of this computation. */
  keep(key: string, value: unknown): void {
    this.results.set(key, value);
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

let active: ReadJournal | undefined;

/**
 * Runs `work` (synchronous: no other read may interleave) with `journal` serving {@link statPath} and
 * {@link readText}; outside such a call they read the file system directly, as renders must.
 */
export function withReadJournal<T>(journal: ReadJournal, work: () => T): T {
  const previous = active;
  active = journal;
  try {
    return work();
  } finally {
    active = previous;
  }
}

/** The journal {@link withReadJournal} runs under, if any. */
export function activeReadJournal(): ReadJournal | undefined {
  return active;
}

/** `stat` of `path` (following links), `null` when missing or unreadable; once per graph computation under a journal. */
export function statPath(path: string): Stats | null {
  return active ? active.stat(path) : statOrNull(path);
}

/** The UTF-8 text of `path`; once per graph computation under a journal, which records its stat and hash. */
export function readText(path: string): string {
  return active ? active.readText(path) : readFileSync(path, 'utf8');
}
