import { decideStatus, notePath, planTrees, requestChanges, retryDelayMs, type TreeListingEntry } from './plan';

const blob = (n: number) => n.toString(16).padStart(40, 'b');
const tree = (n: number) => n.toString(16).padStart(40, 'c');

const listing: TreeListingEntry[] = [
  { mode: '100644', type: 'blob', sha: blob(1), path: 'README.md' },
  { mode: '040000', type: 'tree', sha: tree(1), path: 'apps' },
  { mode: '040000', type: 'tree', sha: tree(2), path: 'apps/foo' },
  { mode: '100644', type: 'blob', sha: blob(2), path: 'apps/foo/manifest.yaml' },
  { mode: '040000', type: 'tree', sha: tree(3), path: 'apps/bar' },
  { mode: '100644', type: 'blob', sha: blob(3), path: 'apps/bar/manifest.yaml' },
  { mode: '160000', type: 'commit', sha: blob(4), path: 'vendor' },
];

describe('planTrees', () => {
  it('in merge mode rewrites only the directories on the written path, children first', () => {
    const plan = planTrees({ current: listing, files: [{ path: 'apps/foo/manifest.yaml', blob: blob(9) }], mode: 'merge' });
    expect(plan).toEqual([
      { dir: 'apps/foo', entries: [{ name: 'manifest.yaml', mode: '100644', type: 'blob', sha: blob(9) }] },
      {
        dir: 'apps',
        entries: [
          { name: 'bar', mode: '040000', type: 'tree', sha: tree(3) },
          { name: 'foo', mode: '040000', type: 'tree', dir: 'apps/foo' },
        ],
      },
      {
        dir: '',
        entries: [
          { name: 'README.md', mode: '100644', type: 'blob', sha: blob(1) },
          { name: 'apps', mode: '040000', type: 'tree', dir: 'apps' },
          { name: 'vendor', mode: '160000', type: 'commit', sha: blob(4) },
        ],
      },
    ]);
  });

  it('in replace mode holds exactly the rendered files', () => {
    const plan = planTrees({ current: listing, files: [{ path: 'manifest.yaml', blob: blob(9) }], mode: 'replace' });
    expect(plan).toEqual([{ dir: '', entries: [{ name: 'manifest.yaml', mode: '100644', type: 'blob', sha: blob(9) }] }]);
  });

  it('in replace mode with a directory replaces only what is under it', () => {
    const plan = planTrees({ current: listing, files: [{ path: 'apps/foo/new.yaml', blob: blob(9) }], mode: 'replace', replaceDir: 'apps/foo' });
    expect(plan).toEqual([
      { dir: 'apps/foo', entries: [{ name: 'new.yaml', mode: '100644', type: 'blob', sha: blob(9) }] },
      {
        dir: 'apps',
        entries: [
          { name: 'bar', mode: '040000', type: 'tree', sha: tree(3) },
          { name: 'foo', mode: '040000', type: 'tree', dir: 'apps/foo' },
        ],
      },
      {
        dir: '',
        entries: [
          { name: 'README.md', mode: '100644', type: 'blob', sha: blob(1) },
          { name: 'apps', mode: '040000', type: 'tree', dir: 'apps' },
          { name: 'vendor', mode: '160000', type: 'commit', sha: blob(4) },
        ],
      },
    ]);
  });

  it('replaces a file that stands where a directory must go', () => {
    const plan = planTrees({ current: listing, files: [{ path: 'README.md/x.yaml', blob: blob(9) }], mode: 'merge' });
    expect(plan[0]).toEqual({ dir: 'README.md', entries: [{ name: 'x.yaml', mode: '100644', type: 'blob', sha: blob(9) }] });
    expect(plan[1].entries.find((entry) => entry.name === 'README.md')).toEqual({ name: 'README.md', mode: '040000', type: 'tree', dir: 'README.md' });
  });

  it('refuses two files on one path', () => {
    expect(() =>
      planTrees({ current: [], files: [{ path: 'a.yaml', blob: blob(1) }, { path: 'a.yaml', blob: blob(2) }], mode: 'merge' }),
    ).toThrow(/Two rendered files would be written to "a.yaml"/);
  });
});

describe('planTrees with several replaced directories (services of one commit)', () => {
  it('empties each directory and keeps the rest, marking their parents as changed', () => {
    const plan = planTrees({ current: listing, files: [{ path: 'apps/foo/k8s.yaml', blob: blob(9) }], mode: 'replace', replaceDirs: ['apps/foo', 'apps/bar'] });
    expect(plan.map((entry) => entry.dir)).toEqual(['apps/foo', 'apps', '']);
    expect(plan[1].entries).toEqual([{ name: 'foo', mode: '040000', type: 'tree', dir: 'apps/foo' }]);
    expect(plan[2].entries.map((entry) => entry.name)).toEqual(['README.md', 'apps', 'vendor']);
  });
});

describe('requestChanges', () => {
  const own = (path: string, n: number, generated = false) => ({ path, blob: blob(n), generated });
  it.each([
    ['a rendered file as it is', [own('apps/foo/manifest.yaml', 2)], 'merge', false],
    ['only a generated file that differs', [own('apps/foo/manifest.yaml', 2), own('apps/foo/hydrator.metadata', 7, true)], 'merge', false],
    ['a rendered file that differs', [own('apps/foo/manifest.yaml', 8)], 'merge', true],
    ['a new rendered file', [own('apps/foo/manifest.yaml', 2), own('apps/foo/extra.yaml', 5)], 'merge', true],
    ['a replace that drops a file of its folder', [own('apps/foo/k8s.yaml', 2)], 'replace', true],
    ['a replace that keeps its folder as it is', [own('apps/foo/manifest.yaml', 2)], 'replace', false],
  ] as const)('%s', (_what, files, mode, expected) => {
    expect(requestChanges({ current: listing, files, mode, replaceDir: 'apps/foo' })).toBe(expected);
  });
});

describe('decideStatus', () => {
  it.each([
    [{ branchExists: false, currentTree: null, newTree: 'a' }, 'created'],
    [{ branchExists: false, currentTree: 'a', newTree: 'a' }, 'created'],
    [{ branchExists: true, currentTree: 'a', newTree: 'a' }, 'unchanged'],
    [{ branchExists: true, currentTree: 'a', newTree: 'b' }, 'updated'],
  ] as const)('%j is %s', (input, status) => {
    expect(decideStatus(input)).toBe(status);
  });
});

describe('retryDelayMs', () => {
  it('draws up to an exponential ceiling, capped', () => {
    expect([1, 2, 3].map((attempt) => retryDelayMs({ attempt, random: () => 1 }))).toEqual([500, 1000, 2000]);
    expect([1, 2, 3].map((attempt) => retryDelayMs({ attempt, random: () => 0.5 }))).toEqual([250, 500, 1000]);
    expect(retryDelayMs({ attempt: 30, random: () => 1, maxMs: 2000 })).toBe(2000);
    expect(retryDelayMs({ attempt: 30, random: () => 0 })).toBe(0);
  });
});

describe('notePath (where git keeps a note in refs/notes/hydrator.metadata)', () => {
  const object = '0123456789abcdef0123456789abcdef01234567';
  const entry = (path: string) => ({ mode: '100644', type: 'blob' as const, sha: 'f'.repeat(40), path });

  it('puts the note at the root of a flat or empty notes tree', () => {
    expect(notePath({ current: [], object })).toBe(object);
    expect(notePath({ current: [entry('a'.repeat(40))], object })).toBe(object);
  });

  it('follows the fan-out of an existing notes tree', () => {
    const current = [{ mode: '040000', type: 'tree' as const, sha: 'e'.repeat(40), path: 'aa' }, entry(`aa/${'a'.repeat(38)}`)];
    expect(notePath({ current, object })).toBe(`01/${object.slice(2)}`);
  });
});
