import type { DiffCounts, ImageChange, ObjectChange } from './object-diff';

/** The result of comparing one project and environment, as `diff.json` holds it. */
export interface TargetDiffReport {
  project: string;
  environment: string;
  /** `changed` when an object was added, removed or changed; `failed` when the comparison could not be made. */
  status: 'changed' | 'unchanged' | 'failed';
  /** The manifest repository, without credentials; `null` when the target failed before naming one. */
  repository: string | null;
  branch: string | null;
  /** The manifest's path inside the branch. */
  path: string | null;
  /** The branch tip compared with; `null` when the branch does not exist. */
  baseCommit: string | null;
  /** Whether the branch held the manifest file (false: every object is added). */
  baseExists: boolean;
  /** The workspace commit the render was made from, when known. */
  sourceCommit: string | null;
  counts: DiffCounts | null;
  objects: ObjectChange[];
  images: ImageChange[];
  /** Why the comparison failed (redacted). */
  error?: string;
}

/** The run report `diff.json`: every target of the run. */
export interface RunDiffReport {
  /** Bumped when a field changes meaning. */
  version: 1;
  /** True when any target has changes. */
  changed: boolean;
  /** True when any target failed. */
  failed: boolean;
  targets: TargetDiffReport[];
}

/** GitHub's limit on the body of one pull-request comment, in characters. */
export const COMMENT_LIMIT = 65_536;

/** The first line of every run report: how a CI job finds its own comment again to update it. */
export const REPORT_MARKER = '<!-- nx-gitops:diff-manifest -->';

/** Builds the run report of `targets` (sorted by project, then environment). */
export function runDiffReport(targets: readonly TargetDiffReport[]): RunDiffReport {
  const sorted = [...targets].sort((a, b) => (a.project === b.project ? a.environment.localeCompare(b.environment) : a.project.localeCompare(b.project)));
  return {
    version: 1,
    changed: sorted.some((target) => target.status === 'changed'),
    failed: sorted.some((target) => target.status === 'failed'),
    targets: sorted,
  };
}

/** Escapes text for a Markdown table cell or inline HTML. */
function escapeCell(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** `text` as an inline code span that no backtick inside can close early. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\r?\n/g, ' ')}${pad}${fence}`;
}

/** A fenced `diff` block whose fence no line of `diff` can close. */
function fencedDiff(diff: string): string {
  const longest = Math.max(2, ...(diff.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}diff\n${diff.replace(/\n$/, '')}\n${fence}`;
}

/** `+1 ~2 −0`, the objects column of the summary. */
export function formatCounts(counts: DiffCounts): string {
  return `+${counts.added} ~${counts.changed} −${counts.removed}`;
}

function describeBase(report: TargetDiffReport): string {
  const branch = code(report.branch ?? '');
  const path = code(report.path ?? '');
  if (report.baseCommit === null) return `The branch ${branch} does not exist yet: every object is added.`;
  const at = `${branch} at ${code(report.baseCommit.slice(0, 12))}`;
  if (!report.baseExists) return `${path} is not on ${at}: every object is added.`;
  return `Compared with ${path} on ${at}.`;
}

function imageVersion(versions: readonly string[]): string {
  return versions.length === 0 ? '—' : versions.map((version) => code(version || '(no tag)')).join(', ');
}

/** The image table of a target, or `''` when no image changed. */
export function formatImageTable(images: readonly ImageChange[]): string {
  if (images.length === 0) return '';
  const rows = images.map((image) => `| ${code(image.repository)} | ${imageVersion(image.before)} | ${imageVersion(image.after)} |`);
  return ['| image | before | after |', '| --- | --- | --- |', ...rows].join('\n');
}

function secretNote(object: ObjectChange): string {
  const keys = object.secretKeys;
  if (!keys) return '';
  const parts = (['changed', 'added', 'removed'] as const)
    .filter((what) => keys[what].length > 0)
    .map((what) => `${what} ${keys[what].map(code).join(', ')}`);
  return parts.length > 0 ? ` (Secret keys ${parts.join('; ')}; values are never shown)` : '';
}

/**
 * The Markdown body of one target: what it was compared with, the image table, the added and removed
 * objects, and each changed object with its unified diff. With `withDiffs: false` the unified diffs are
 * left out (the report was too long for one comment) and a line says so.
 */
export function formatTargetBody(report: TargetDiffReport, options: { withDiffs?: boolean } = {}): string {
  if (report.status === 'failed') return `**Failed:**\n\n${fencedDiff(report.error ?? 'unknown error').replace(/^(`+)diff/, '$1text')}`;
  const withDiffs = options.withDiffs ?? true;
  const counts = report.counts!;
  const parts = [
    `${describeBase(report)} **${counts.added} added, ${counts.changed} changed, ${counts.removed} removed** (${counts.unchanged} unchanged).`,
  ];
  const table = formatImageTable(report.images);
  if (table) parts.push(table);
  for (const change of ['added', 'removed'] as const) {
    const objects = report.objects.filter((object) => object.change === change);
    if (objects.length > 0) parts.push(`**${change === 'added' ? 'Added' : 'Removed'}:**\n${objects.map((object) => `- ${code(object.key)}${secretNote(object)}`).join('\n')}`);
  }
  const changed = report.objects.filter((object) => object.change === 'changed');
  if (changed.length > 0) {
    if (withDiffs) {
      parts.push(`**Changed:**\n\n${changed.map((object) => `${code(object.key)}${secretNote(object)}\n\n${fencedDiff(object.diff ?? '')}`).join('\n\n')}`);
    } else {
      parts.push(`**Changed** (diffs cut to fit):\n${changed.map((object) => `- ${code(object.key)}${secretNote(object)}`).join('\n')}`);
    }
  }
  return parts.join('\n\n');
}

/** The `diff.md` of one target: a heading and {@link formatTargetBody}. */
export function formatTargetMarkdown(report: TargetDiffReport): string {
  return `## ${report.project} / ${report.environment}\n\n${formatTargetBody(report)}\n`;
}

function summaryRow(report: TargetDiffReport): string {
  const objects = report.status === 'failed' ? 'failed' : report.status === 'unchanged' ? 'no change' : formatCounts(report.counts!);
  const images = report.status === 'failed' ? '—' : String(report.counts!.imagesChanged);
  return `| ${escapeCell(report.project)} | ${escapeCell(report.environment)} | ${objects} | ${images} |`;
}

function section(report: TargetDiffReport, withDiffs: boolean): string {
  const what = report.status === 'failed' ? 'failed' : `${formatCounts(report.counts!)}, ${report.counts!.imagesChanged} image${report.counts!.imagesChanged === 1 ? '' : 's'} changed`;
  const summary = `<b>${escapeCell(report.project)}</b> / ${escapeCell(report.environment)}: ${what}`;
  return `<details><summary>${summary}</summary>\n\n${formatTargetBody(report, { withDiffs })}\n\n</details>`;
}

function listNames(names: readonly string[], max = 20): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/**
 * The run report `diff.md`: a marker line, a summary table (service, environment, objects +/~/−, images
 * changed) and a collapsible section per target with changes or a failure, at most `limit` characters
 * (default {@link COMMENT_LIMIT}, one pull-request comment). What does not fit is cut, object diffs first,
 * then whole sections, then table rows, and a closing note names what was cut.
 */
export function formatRunMarkdown(report: RunDiffReport, options: { limit?: number } = {}): string {
  const limit = options.limit ?? COMMENT_LIMIT;
  const heading = `${REPORT_MARKER}\n## Manifest changes\n`;
  const changedCount = report.targets.filter((target) => target.status === 'changed').length;
  const intro =
    report.targets.length === 0
      ? 'No service was compared.'
      : `${changedCount} of ${report.targets.length} rendered environment${report.targets.length === 1 ? ' differs' : 's differ'} from the manifest repository.`;
  const rows = report.targets.map(summaryRow);
  const tableHead = '| service | environment | objects +/~/− | images changed |\n| --- | --- | --- | --- |';
  const detailed = report.targets.filter((target) => target.status !== 'unchanged');
  const full = [heading, intro, '', tableHead, ...rows, '', ...detailed.map((target) => `${section(target, true)}\n`)].join('\n');
  if (full.length <= limit) return full;

  // Room for the closing note, which lists at most a few dozen names.
  const reserve = 2_000;
  const budget = Math.max(0, limit - reserve);
  const name = (target: TargetDiffReport) => `${target.project}/${target.environment}`;
  let text = `${heading}${intro}\n\n${tableHead}\n`;
  const cutRows: string[] = [];
  report.targets.forEach((target, index) => {
    const row = `${rows[index]}\n`;
    if (cutRows.length === 0 && text.length + row.length <= budget / 2) text += row;
    else cutRows.push(name(target));
  });
  text += '\n';
  const cutDiffs: string[] = [];
  const cutSections: string[] = [];
  for (const target of detailed) {
    const whole = `${section(target, true)}\n\n`;
    if (text.length + whole.length <= budget) {
      text += whole;
      continue;
    }
    const compact = `${section(target, false)}\n\n`;
    if (text.length + compact.length <= budget) {
      text += compact;
      cutDiffs.push(name(target));
    } else {
      cutSections.push(name(target));
    }
  }
  const cuts = [
    cutDiffs.length > 0 ? `the object diffs of ${listNames(cutDiffs)}` : '',
    cutSections.length > 0 ? `the sections of ${listNames(cutSections)}` : '',
    cutRows.length > 0 ? `the summary rows of ${listNames(cutRows)}` : '',
  ].filter(Boolean);
  const note =
    `> **Cut to fit one comment (${limit.toLocaleString('en-US')} characters):** ${cuts.join('; ')}. ` +
    'The whole report is in `dist/manifests/diff.json`, and each environment\'s in `dist/manifests/<project>/<environment>/diff.md`.\n';
  const result = `${text}${note}`;
  // A limit too small for even the note: keep the marker, so the comment is still found and updated.
  return result.length <= limit ? result : `${REPORT_MARKER}\n${note}`.slice(0, Math.max(REPORT_MARKER.length, limit));
}
