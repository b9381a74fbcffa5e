import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expandManifestGlobs } from './raw-yaml';

describe('expandManifestGlobs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-glob-'));
    for (const file of ['k8s/b.yaml', 'k8s/a.yaml', 'k8s/notes.txt', 'k8s/nested/c.yaml', 'extra/d.yml']) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), '');
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [['k8s/*.yaml'], ['k8s/a.yaml', 'k8s/b.yaml']],
    [['k8s/**/*.yaml'], ['k8s/a.yaml', 'k8s/b.yaml', 'k8s/nested/c.yaml']],
    [['k8s/?.yaml', 'extra/*.yml'], ['k8s/a.yaml', 'k8s/b.yaml', 'extra/d.yml']],
    [['k8s/[a].yaml', 'k8s/*.yaml'], ['k8s/a.yaml', 'k8s/b.yaml']],
    [['k8s/explicit.yaml'], ['k8s/explicit.yaml']],
    [['missing/*.yaml'], []],
  ])('%j → %j', (patterns, expected) => {
    expect(expandManifestGlobs(dir, patterns).map((file) => file.slice(dir.length + 1))).toEqual(expected);
  });
});
