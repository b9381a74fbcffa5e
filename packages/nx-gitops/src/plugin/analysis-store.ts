import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { activeReadJournal, statPath } from '../lib/read-journal';
import { goGlob } from '../skaffold/go-glob';
import type { ServiceAnalysis } from './analyze-service';

/** A file's modification time (ms) and size, as `stat` gives them; `null`: no such file. */
type FileStat = readonly [mtimeMs: number, size: number] | null;

/**
 * What an analysis was made from: each file it read with the hash of its content (`null`: missing), and each
 * glob's matches; with the files' stats when they were hashed and the time of that, so that a later check can
 * skip reading a file whose stat is unchanged (see {@link RACY_MARGIN_MS}).
 */
export interface AnalysisEvidence {
  files: Record<string, string | null>;
  globs: Record<string, string>;
  stats?: Record<string, FileStat>;
  statedAt?: number;
}

/**
 * A file whose modification time is within this margin of the moment it was hashed is always read again:
 * a change in the same tick of a coarse file-system clock would leave its stat unchanged (git's "racily
 * clean" rule). Older files are trusted while their modification time and size are unchanged.
 */
export const RACY_MARGIN_MS = 2000;

interface StoredAnalysis {
  evidence: AnalysisEvidence;
  analysis: ServiceAnalysis;
}

interface StoreFile {
  key: string;
  analyses: Record<string, StoredAnalysis>;
}

function sha1(content: string | Buffer): string {
  return createHash('sha1').update(content).digest('hex');
}

/** A file's stat; under the graph computation's read journal, the one taken before the file was read. */
function fileStat(file: string): FileStat {
  const entry = activeReadJournal()?.entry(file);
  if (entry) return [entry.mtimeMs, entry.size];
  const stats = statPath(file);
  return stats ? [stats.mtimeMs, stats.size] : null;
}

/** The hash of a file's content; under a read journal, of the bytes the analysis read, without reading them again. */
function contentHash(file: string): string | null {
  const entry = activeReadJournal()?.entry(file);
  if (entry) return entry.sha1;
  try {
    return sha1(readFileSync(file));
  } catch {
    return null;
  }
}

function globHash(pattern: string): string {
  try {
    return sha1(goGlob(pattern).join('\n'));
  } catch {
    return 'malformed';
  }
}

/**
 * Content hashes and glob matches of one Nx command, each computed once: services share files (a platform
 * component, a base), and the workspace does not change while Nx computes its graph.
 */
export class EvidenceHasher {
  private readonly hashes = new Map<string, string | null>();
  private readonly globs = new Map<string, string>();

  /** The content hash of `file` (absolute), `null` when it cannot be read. */
  hash(file: string): string | null {
    if (!this.hashes.has(file)) this.hashes.set(file, contentHash(file));
    return this.hashes.get(file)!;
  }

  /** A hash of the matches of `pattern` (absolute). */
  glob(pattern: string): string {
    if (!this.globs.has(pattern)) this.globs.set(pattern, globHash(pattern));
    return this.globs.get(pattern)!;
  }
}

/**
 * The evidence of an analysis: the content hashes of `files` (each stated before it is read, so a change in
 * between shows as a changed stat) and the matches of `globs` (absolute paths), keyed workspace-relative.
 */
export function collectEvidence(options: { workspaceRoot: string; files: Iterable<string>; globs: Iterable<string>; hasher?: EvidenceHasher }): AnalysisEvidence {
  const hasher = options.hasher ?? new EvidenceHasher();
  const key = (path: string) => relative(options.workspaceRoot, path).split(sep).join('/');
  const statedAt = Date.now();
  const files: Record<string, string | null> = {};
  const stats: Record<string, FileStat> = {};
  for (const file of [...options.files].sort()) {
    const name = key(file);
    stats[name] = fileStat(file);
    files[name] = hasher.hash(file);
  }
  const globs: Record<string, string> = {};
  for (const glob of [...options.globs].sort()) globs[key(glob)] = hasher.glob(glob);
  return { files, globs, stats, statedAt };
}

/**
 * Whether `evidence` still holds in `workspaceRoot`: every file unchanged (by its stat when that can be
 * trusted, else by its content) and every glob with the same matches. `restated` is set when a file's
 * content held but its stat had to be read again, so the store can record the new stat.
 */
function stillHolds(workspaceRoot: string, evidence: AnalysisEvidence, hasher: EvidenceHasher): { holds: boolean; restated: boolean } {
  const absolute = (path: string) => (isAbsolute(path) ? path : join(workspaceRoot, path));
  const trustedBefore = (evidence.statedAt ?? 0) - RACY_MARGIN_MS;
  let restated = false;
  for (const [file, hash] of Object.entries(evidence.files)) {
    const path = absolute(file);
    const now = fileStat(path);
    const then = evidence.stats?.[file];
    if (then === null && now === null && hash === null) continue;
    if (then && now && now[0] === then[0] && now[1] === then[1] && now[0] < trustedBefore) continue;
    if (hasher.hash(path) !== hash) return { holds: false, restated };
    restated = true;
    evidence.stats = { ...evidence.stats, [file]: now };
  }
  if (restated) evidence.statedAt = Date.now();
  const holds = Object.entries(evidence.globs).every(([glob, hash]) => hasher.glob(absolute(glob)) === hash);
  return { holds, restated };
}

/** A version stamp of the analysing code, so that a new plugin build never reads analyses an older one wrote. */
function codeStamp(): string {
  try {
    const stats = statSync(join(__dirname, `analyze-service${__filename.slice(__filename.lastIndexOf('.'))}`));
    return `${stats.mtimeMs}:${stats.size}`;
  } catch {
    return 'unknown';
  }
}

/**
 * Analyses of earlier Nx commands, kept in a file under the workspace data directory (as Nx's own plugins
 * keep theirs), keyed by the plugin options and the plugin's code; each analysis is reused while every file
 * it read has the same content and every glob it expanded the same matches, so an unchanged workspace skips
 * parsing on later commands and a change to one service re-analyses only it.
 */
export class AnalysisStore {
  private readonly file: string;
  private readonly key: string;
  private analyses: Record<string, StoredAnalysis> = {};
  private changed = false;
  private readonly hasher = new EvidenceHasher();

  constructor(options: { workspaceDataDirectory: string; pluginOptions: unknown }) {
    this.key = sha1(JSON.stringify([options.pluginOptions, codeStamp()]));
    this.file = join(options.workspaceDataDirectory, 'nx-gitops', `analyses-${this.key.slice(0, 16)}.json`);
    try {
      const stored = JSON.parse(readFileSync(this.file, 'utf8')) as StoreFile;
      if (stored.key === this.key && stored.analyses && typeof stored.analyses === 'object') this.analyses = stored.analyses;
    } catch {
      // No store yet, or one we cannot read: start empty.
    }
  }

  /** The stored analysis of `configFile`, when its evidence still holds in `workspaceRoot`. */
  lookup(workspaceRoot: string, configFile: string): { analysis: ServiceAnalysis } | undefined {
    const stored = this.analyses[configFile];
    if (!stored) return undefined;
    const { holds, restated } = stillHolds(workspaceRoot, stored.evidence, this.hasher);
    if (restated) this.changed = true;
    if (holds) return { analysis: stored.analysis };
    delete this.analyses[configFile];
    this.changed = true;
    return undefined;
  }

  /** Records a fresh analysis and what it was made from: the files (absolute) it read and the globs it expanded. */
  remember(options: { workspaceRoot: string; configFile: string; analysis: ServiceAnalysis; files: Iterable<string>; globs: Iterable<string> }): void {
    const evidence = collectEvidence({ workspaceRoot: options.workspaceRoot, files: options.files, globs: options.globs, hasher: this.hasher });
    this.analyses[options.configFile] = { evidence, analysis: options.analysis };
    this.changed = true;
  }

  /** Keeps only the analyses of `configFiles` (services removed since are dropped) and writes the store when it changed. */
  save(configFiles: readonly string[]): void {
    const kept = new Set(configFiles);
    for (const configFile of Object.keys(this.analyses)) {
      if (!kept.has(configFile)) {
        delete this.analyses[configFile];
        this.changed = true;
      }
    }
    if (!this.changed) return;
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      const temporary = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify({ key: this.key, analyses: this.analyses } satisfies StoreFile));
      renameSync(temporary, this.file);
      this.changed = false;
    } catch {
      // A read-only workspace still computes the graph, only without the shortcut.
    }
  }
}
