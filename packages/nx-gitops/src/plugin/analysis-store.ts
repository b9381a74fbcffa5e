import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { goGlob } from '../skaffold/go-glob';
import type { ServiceAnalysis } from './analyze-service';

/** What an analysis was made from: each file it read with the hash of its content (`null`: missing), and each glob's matches. */
export interface AnalysisEvidence {
  files: Record<string, string | null>;
  globs: Record<string, string>;
}

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

function contentHash(file: string): string | null {
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

/** The evidence of an analysis: the content hashes of `files` and the matches of `globs` (absolute paths), keyed workspace-relative. */
export function collectEvidence(options: { workspaceRoot: string; files: Iterable<string>; globs: Iterable<string> }): AnalysisEvidence {
  const key = (path: string) => relative(options.workspaceRoot, path).split(sep).join('/');
  const files: Record<string, string | null> = {};
  for (const file of [...options.files].sort()) files[key(file)] = contentHash(file);
  const globs: Record<string, string> = {};
  for (const glob of [...options.globs].sort()) globs[key(glob)] = globHash(glob);
  return { files, globs };
}

function stillHolds(workspaceRoot: string, evidence: AnalysisEvidence): boolean {
  const absolute = (path: string) => (isAbsolute(path) ? path : join(workspaceRoot, path));
  return (
    Object.entries(evidence.files).every(([file, hash]) => contentHash(absolute(file)) === hash) &&
    Object.entries(evidence.globs).every(([glob, hash]) => globHash(absolute(glob)) === hash)
  );
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

  /** The stored analysis of `configFile` and the files it read (absolute), when its evidence still holds in `workspaceRoot`. */
  lookup(workspaceRoot: string, configFile: string): { analysis: ServiceAnalysis; files: string[] } | undefined {
    const stored = this.analyses[configFile];
    if (!stored) return undefined;
    if (stillHolds(workspaceRoot, stored.evidence)) {
      return { analysis: stored.analysis, files: Object.keys(stored.evidence.files).map((file) => (isAbsolute(file) ? file : join(workspaceRoot, file))) };
    }
    delete this.analyses[configFile];
    this.changed = true;
    return undefined;
  }

  /** Records a fresh analysis and what it was made from. */
  remember(configFile: string, analysis: ServiceAnalysis, evidence: AnalysisEvidence): void {
    this.analyses[configFile] = { evidence, analysis };
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
