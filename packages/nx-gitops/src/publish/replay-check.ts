import { GitopsError } from '../lib/errors';
import { runCommand } from '../lib/exec';

/** What changed, in committed content, between the commit a render was made at and `HEAD`. */
export interface RenderDrift {
  /** The commit the render was made at (images.json `sourceCommit`). */
  renderCommit: string;
  /** The render's sources that differ between that commit and `HEAD` (workspace-relative), or `null` when git cannot tell. */
  changed: string[] | null;
}

/**
 * For each render made at another commit than `head` (a render Nx replayed from its cache), the sources
 * it read that changed in committed content since. A render whose inputs Nx hashes completely is only
 * replayed when nothing it read changed, so anything listed here means a replay from incomplete inputs:
 * a safety net behind the inputs, asked with one `git diff` per distinct render commit.
 */
export async function findRenderDrift(options: {
  workspaceRoot: string;
  head: string | null;
  renders: ReadonlyArray<{ sourceCommit: string | null; sources: readonly string[] }>;
}): Promise<Map<string, RenderDrift>> {
  const byCommit = new Map<string, Set<string>>();
  for (const render of options.renders) {
    if (!options.head || !render.sourceCommit || render.sourceCommit === options.head || render.sources.length === 0) continue;
    const sources = byCommit.get(render.sourceCommit) ?? new Set<string>();
    for (const source of render.sources) if (!source.startsWith('/') && !source.startsWith('..')) sources.add(source);
    byCommit.set(render.sourceCommit, sources);
  }
  const drift = new Map<string, RenderDrift>();
  await Promise.all(
    [...byCommit].map(async ([renderCommit, sources]) => {
      const result = await runCommand(
        'git',
        ['-C', options.workspaceRoot, 'diff', '--name-only', '--relative', '--no-renames', renderCommit, options.head!, '--', ...[...sources].sort()],
        { allowFailure: true, env: { GIT_LITERAL_PATHSPECS: '1', GIT_OPTIONAL_LOCKS: '0' } },
      );
      const changed = result.exitCode === 0 ? result.stdout.split('\n').filter(Boolean).sort() : null;
      drift.set(renderCommit, { renderCommit, changed });
    }),
  );
  return drift;
}

/** The paths of `changed` at or below one of `sources`. */
function within(changed: readonly string[], sources: readonly string[]): string[] {
  return changed.filter((path) => sources.some((source) => source === '.' || path === source || path.startsWith(`${source.replace(/\/+$/, '')}/`)));
}

/**
 * Throws when a render made at an earlier commit read files that changed since: Nx replayed a stale render.
 * Returns a warning when git cannot compare the commits (a render restored from a cache of another clone).
 */
export function refuseStaleReplay(options: {
  project: string;
  environment: string;
  sources: readonly string[];
  drift: RenderDrift | undefined;
}): string | undefined {
  const { drift } = options;
  if (!drift) return undefined;
  if (drift.changed === null) {
    return `The render was made at ${drift.renderCommit.slice(0, 7)}, which this clone cannot compare with HEAD; its inputs are trusted as Nx hashed them.`;
  }
  const stale = within(drift.changed, options.sources);
  if (stale.length === 0) return undefined;
  const listed = stale.slice(0, 10).join(', ') + (stale.length > 10 ? ` and ${stale.length - 10} more` : '');
  throw new GitopsError(
    `Refusing to publish ${options.project}/${options.environment}: the render was made at ${drift.renderCommit.slice(0, 7)} and files it read have changed since: ${listed}. ` +
      'Nx replayed a render whose inputs changed.',
    { hint: `Render again with --skip-nx-cache (nx run ${options.project}:render:${options.environment} --skip-nx-cache), then publish.` },
  );
}
