import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expandManifestGlobs, readRawYamlFile } from './raw-yaml';

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

describe('readRawYamlFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-utf8-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['a Latin-1 byte', [0x61, 0x0a, 0x62, 0xe9, 0x0a], '2:2', 'e9'],
    ['an overlong encoding', [0x61, 0xc0, 0x80], '1:2', 'c0'],
    ['an encoded surrogate', [0xed, 0xa0, 0x80], '1:1', 'ed'],
    ['a sequence cut off by the end of the file', [0x61, 0x0a, 0x0a, 0xe2, 0x82], '3:1', 'e2'],
  ])('fails on %s with its position', (_name, bytes, position, byte) => {
    const file = join(dir, 'm.yaml');
    writeFileSync(file, Buffer.from(bytes));
    expect(() => readRawYamlFile({ file, configFile: 'skaffold.yaml' })).toThrow(`${file}:${position}: not UTF-8 (byte 0x${byte})`);
  });

  it('reads UTF-8, a byte order mark kept as before', () => {
    const file = join(dir, 'm.yaml');
    writeFileSync(file, '\uFEFFa: "€ 𝄞"\n');
    expect(readRawYamlFile({ file, configFile: 'skaffold.yaml' })).toBe('\uFEFFa: "€ 𝄞"\n');
  });

  it('names the config when the file cannot be read', () => {
    expect(() => readRawYamlFile({ file: join(dir, 'missing.yaml'), configFile: 'skaffold.yaml' })).toThrow(/^skaffold\.yaml: manifests\.rawYaml names .*missing\.yaml, which cannot be read\.$/);
  });
});
