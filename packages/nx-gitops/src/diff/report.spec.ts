import { parseManifests } from '../manifests/yaml';
import { diffManifestObjects } from './object-diff';
import { formatRunMarkdown, formatTargetMarkdown, REPORT_MARKER, runDiffReport, type TargetDiffReport } from './report';

function configMaps(count: number, value: string): string {
  return Array.from({ length: count }, (_, index) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-${index}\ndata:\n  value: "${value}"\n`).join('---\n');
}

function target(project: string, options: { before?: string | null; after: string; environment?: string }): TargetDiffReport {
  const before = options.before === undefined ? null : options.before;
  const diff = diffManifestObjects({ before: before === null ? null : parseManifests(before, 'b'), after: parseManifests(options.after, 'a') });
  const changed = diff.counts.added + diff.counts.changed + diff.counts.removed > 0;
  return {
    project,
    environment: options.environment ?? 'develop',
    status: changed ? 'changed' : 'unchanged',
    repository: 'https://git.example.com/acme/manifests.git',
    branch: `${project}/develop`,
    path: 'manifest.yaml',
    baseCommit: before === null ? null : 'a'.repeat(40),
    baseExists: before !== null,
    sourceCommit: 'b'.repeat(40),
    counts: diff.counts,
    objects: diff.objects,
    images: diff.images,
  };
}

const deployment = (tag: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: registry.example.com/web:${tag}\n`;

describe('diff reports', () => {
  it('writes a target report with the base, the image table, the lists and the diffs', () => {
    const markdown = formatTargetMarkdown(target('web', { before: `${deployment('v1')}---\n${configMaps(1, 'x')}`, after: deployment('v2') }));
    expect(markdown).toContain('## web / develop');
    expect(markdown).toContain(`Compared with \`manifest.yaml\` on \`web/develop\` at \`${'a'.repeat(12)}\`. **0 added, 1 changed, 1 removed** (0 unchanged).`);
    expect(markdown).toContain('| `registry.example.com/web` | `:v1` | `:v2` |');
    expect(markdown).toContain('**Removed:**\n- `v1 ConfigMap config-0`');
    expect(markdown).toContain('```diff\n--- branch: apps/v1 Deployment web\n');
    expect(formatTargetMarkdown(target('new', { after: deployment('v1') }))).toContain('The branch `new/develop` does not exist yet: every object is added.');
  });

  it('writes a run report: marker, summary table, a collapsible section per changed target', () => {
    const report = runDiffReport([
      target('web', { before: deployment('v1'), after: deployment('v2') }),
      target('api', { before: deployment('v1'), after: deployment('v1') }),
      { ...target('db', { after: deployment('v1') }), status: 'failed', counts: null, objects: [], images: [], error: 'Cannot fetch' },
    ]);
    expect(report).toMatchObject({ version: 1, changed: true, failed: true });
    expect(report.targets.map((each) => each.project)).toEqual(['api', 'db', 'web']);
    const markdown = formatRunMarkdown(report);
    expect(markdown.startsWith(`${REPORT_MARKER}\n## Manifest changes\n`)).toBe(true);
    expect(markdown).toContain('\n1 of 3 rendered environments differ from the manifest repository.\n');
    expect(formatRunMarkdown(runDiffReport(report.targets.slice(2)))).toContain('\n1 of 1 rendered environment differs from the manifest repository.\n');
    expect(markdown).toContain('| service | environment | objects +/~/− | images changed |');
    expect(markdown).toContain('| api | develop | no change | 0 |');
    expect(markdown).toContain('| db | develop | failed | — |');
    expect(markdown).toContain('| web | develop | +0 ~1 −0 | 1 |');
    expect(markdown).toContain('<details><summary><b>web</b> / develop: +0 ~1 −0, 1 image changed</summary>\n\n');
    expect(markdown).toContain('Cannot fetch');
    expect(markdown).not.toContain('<b>api</b>');
    expect(markdown).not.toContain('Cut to fit');
  });

  it('cuts a long report to the limit, diffs first, then sections, and says what it cut', () => {
    const targets = Array.from({ length: 12 }, (_, index) => target(`svc-${String(index).padStart(2, '0')}`, { before: configMaps(40, 'old'), after: configMaps(40, 'new') }));
    const report = runDiffReport(targets);
    const uncut = formatRunMarkdown(report, { limit: Number.MAX_SAFE_INTEGER });
    expect(uncut.length).toBeGreaterThan(65_536);
    const markdown = formatRunMarkdown(report);
    expect(markdown.length).toBeLessThanOrEqual(65_536);
    expect(markdown.startsWith(REPORT_MARKER)).toBe(true);
    for (const each of targets) expect(markdown).toContain(`| ${each.project} | develop | +0 ~40 −0 | 0 |`);
    expect(markdown).toMatch(/> \*\*Cut to fit one comment \(65,536 characters\):\*\* the object diffs of svc-\d\d\/develop/);
    expect(markdown).toContain('**Changed** (diffs cut to fit):');
    expect(markdown).toContain('dist/manifests/diff.json');

    const tiny = formatRunMarkdown(report, { limit: 2_600 });
    expect(tiny.length).toBeLessThanOrEqual(2_600);
    expect(tiny).toMatch(/the sections of svc-/);
    expect(tiny).toMatch(/the summary rows of svc-/);
  });
});
