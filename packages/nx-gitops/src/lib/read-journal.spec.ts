import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { listKustomizationFiles } from '../kustomize/dependencies';
import { readBoundedFile } from '../manifests/yaml-limits';
import { ReadJournal, readText, statPath, withReadJournal } from './read-journal';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nx-gitops-journal-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string | Buffer): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

describe('ReadJournal', () => {
  it('records the stat taken before the read and the sha1 of the bytes read, also of bytes that are not UTF-8', () => {
    const bytes = Buffer.from([0x6b, 0x3a, 0x20, 0xff, 0xfe, 0x0a]);
    const file = write('binary.yaml', bytes);
    const before = statSync(file);
    const journal = new ReadJournal();
    withReadJournal(journal, () => readBoundedFile(file));
    expect(journal.entry(file)).toEqual({ mtimeMs: before.mtimeMs, size: before.size, sha1: createHash('sha1').update(bytes).digest('hex') });
  });

  it('answers each path once per computation; outside it, and in the next computation, the file system answers again', () => {
    const file = write('kustomization.yaml', 'resources: []\n');
    const journal = new ReadJournal();
    withReadJournal(journal, () => {
      expect(readText(file)).toBe('resources: []\n');
      writeFileSync(file, 'resources:\n- a.yaml\n');
      expect(readText(file)).toBe('resources: []\n');
      const other = write('other.yaml', 'kind: ConfigMap\n');
      expect(statPath(other)?.isFile()).toBe(true);
      rmSync(other);
      expect(statPath(other)?.isFile()).toBe(true);
    });
    expect(readText(file)).toBe('resources:\n- a.yaml\n');
    expect(statPath(join(root, 'other.yaml'))).toBeNull();
    withReadJournal(new ReadJournal(), () => expect(readText(file)).toBe('resources:\n- a.yaml\n'));
  });

  it('lets a failed read fail again, with the reader’s own error', () => {
    const journal = new ReadJournal();
    const file = join(root, 'absent.yaml');
    withReadJournal(journal, () => {
      expect(() => readBoundedFile(file)).toThrow(/ENOENT/);
      expect(() => readBoundedFile(file)).toThrow(/ENOENT/);
    });
    expect(journal.entry(file)).toBeUndefined();
  });
});

describe('listKustomizationFiles under a read journal', () => {
  beforeEach(() => {
    write('base/kustomization.yaml', 'resources:\n- deployment.yaml\ncomponents:\n- ../component\n');
    write('base/deployment.yaml', 'kind: Deployment\n');
    write('component/kustomization.yaml', 'kind: Component\npatches:\n- path: patch.yaml\n');
    write('component/patch.yaml', 'kind: Deployment\n');
    write('develop/kustomization.yaml', 'resources:\n- ../base\n- extra.yaml\n');
    write('develop/extra.yaml', 'kind: ConfigMap\n');
    write('production/kustomization.yaml', 'resources:\n- ../base\n');
    // A cycle, which kustomize refuses: still listed, and never kept half-listed for another overlay.
    write('cycle-a/kustomization.yaml', 'resources:\n- ../cycle-b\n- a.yaml\n');
    write('cycle-a/a.yaml', 'kind: ConfigMap\n');
    write('cycle-b/kustomization.yaml', 'resources:\n- ../cycle-a\n- b.yaml\n');
    write('cycle-b/b.yaml', 'kind: ConfigMap\n');
  });

  const overlays = ['develop', 'production', 'base', 'cycle-a', 'cycle-b'];
  const listAll = () => overlays.map((overlay) => listKustomizationFiles(join(root, overlay)).map((file) => file.slice(root.length + 1)));

  it('lists what each overlay reads exactly as without it, the shared base and a cycle included', () => {
    const direct = listAll();
    expect(direct[0]).toEqual(['base/deployment.yaml', 'base/kustomization.yaml', 'component/kustomization.yaml', 'component/patch.yaml', 'develop/extra.yaml', 'develop/kustomization.yaml']);
    expect(direct[3]).toEqual(['cycle-a/a.yaml', 'cycle-a/kustomization.yaml', 'cycle-b/b.yaml', 'cycle-b/kustomization.yaml']);
    expect(direct[4]).toEqual(direct[3]);
    expect(withReadJournal(new ReadJournal(), listAll)).toEqual(direct);
  });

  it('reads the shared base once for both overlays, and hands out lists a caller may change', () => {
    const journal = new ReadJournal();
    withReadJournal(journal, () => {
      const develop = listKustomizationFiles(join(root, 'develop'));
      develop.push('changed by the caller');
      // Were the base listed again, its changed kustomization would add the new resource.
      write('base/kustomization.yaml', 'resources:\n- deployment.yaml\n- service.yaml\n');
      write('base/service.yaml', 'kind: Service\n');
      expect(listKustomizationFiles(join(root, 'production')).map((file) => file.slice(root.length + 1))).toEqual([
        'base/deployment.yaml',
        'base/kustomization.yaml',
        'component/kustomization.yaml',
        'component/patch.yaml',
        'production/kustomization.yaml',
      ]);
      expect(listKustomizationFiles(join(root, 'develop'))).not.toContain('changed by the caller');
    });
    expect(journal.entry(join(root, 'base/kustomization.yaml'))?.size).toBe('resources:\n- deployment.yaml\ncomponents:\n- ../component\n'.length);
  });
});
