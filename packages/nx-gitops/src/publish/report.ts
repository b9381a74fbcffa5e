import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withFileLock } from './file-lock';
import type { PublishStatus } from './plan';
import type { PullRequestReport } from './pull-request';
import type { SignFormat } from './signing';

/** Where the publish report goes, relative to the workspace root. */
export const PUBLISH_REPORT_PATH = join('dist', 'manifests', 'publish-report.json');

/** One project and environment in the publish report. */
export interface PublishReportEntry {
  project: string;
  environment: string;
  /** The manifest repository, without credentials. */
  repository: string;
  branch: string;
  paths: string[];
  status: PublishStatus;
  commit: string | null;
  previousCommit: string | null;
  attempts: number;
  dryRun: boolean;
  /** Files that differed from `HEAD` and were published anyway (`allowDirty`), workspace-relative. */
  dirtySources?: string[];
  /** With `pullRequest`: what was opened, updated or superseded, and where. */
  pullRequest?: PullRequestReport;
  /** With promotion `next`: the drySha noted on the unchanged head in `refs/notes/hydrator.metadata` (in a dry run: that would be). */
  noted?: string;
  /** With `sign`: the format the entry's commit was signed with; absent for an unsigned or unchanged commit. */
  signed?: SignFormat;
  error?: string;
}

/** The content of `dist/manifests/publish-report.json`. */
export interface PublishReport {
  entries: PublishReportEntry[];
}

function readReport(path: string): PublishReport {
  if (!existsSync(path)) return { entries: [] };
  try {
    const report = JSON.parse(readFileSync(path, 'utf8')) as PublishReport;
    return Array.isArray(report.entries) ? report : { entries: [] };
  } catch {
    return { entries: [] };
  }
}

/**
 * Records `entries` in the workspace's publish report, replacing earlier entries of the same project and
 * environment. Nx runs publish tasks in parallel processes, so the read-merge-write happens under a
 * lock and the file is replaced atomically. Returns the report's path.
 */
export async function writePublishReport(options: { workspaceRoot: string; entries: readonly PublishReportEntry[] }): Promise<string> {
  const path = join(options.workspaceRoot, PUBLISH_REPORT_PATH);
  mkdirSync(dirname(path), { recursive: true });
  await withFileLock({ path: `${path}.lock`, timeoutMs: 30_000 }, async () => {
    const key = (entry: PublishReportEntry) => `${entry.project}\0${entry.environment}`;
    const merged = new Map(readReport(path).entries.map((entry) => [key(entry), entry]));
    for (const entry of options.entries) merged.set(key(entry), entry);
    const entries = [...merged.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ entries }, null, 2)}\n`);
    renameSync(temporary, path);
  });
  return path;
}
