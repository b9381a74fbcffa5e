import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GitopsError } from '../lib/errors';
import { expandManifestGlobs, expandPathsGlob, readRawYamlFile } from './raw-yaml';

/** A temporary tree with the given files (empty), removed after the block. */
function tree(files: readonly string[]): () => string {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-glob-'));
    for (const file of files) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), '');
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

function relativeTo(dir: string, paths: string[]): string[] {
  return paths.map((path) => path.slice(dir.length + 1));
}

// skaffold pkg/skaffold/util/util_test.go TestExpandPathsGlob, carried over as data.
const expandPathsGlobVectors: Array<{ description: string; in: string[]; out?: string[]; shouldErr?: boolean }> = [
  { description: 'match exact filename', in: ['dir/sub_dir/file'], out: ['dir/sub_dir/file'] },
  { description: 'match leaf directory glob', in: ['dir/sub_dir/*'], out: ['dir/sub_dir/file'] },
  { description: 'top level glob', in: ['dir*'], out: ['dir/sub_dir/file', 'dir_b/sub_dir_b/file'] },
  { description: 'invalid pattern', in: ['[]'], shouldErr: true },
  { description: 'keep top level order', in: ['dir_b/*', 'dir/*'], out: ['dir_b/sub_dir_b/file', 'dir/sub_dir/file'] },
];

describe('expandPathsGlob (skaffold util.ExpandPathsGlob)', () => {
  const dir = tree(['dir/sub_dir/file', 'dir_b/sub_dir_b/file']);
  it.each(expandPathsGlobVectors)('$description', (vector) => {
    if (vector.shouldErr) {
      expect(() => expandPathsGlob(dir(), vector.in)).toThrow(GitopsError);
    } else {
      expect(relativeTo(dir(), expandPathsGlob(dir(), vector.in))).toEqual(vector.out);
    }
  });
});

// skaffold pkg/skaffold/render/generate/generate_test.go TestGenerate (raw manifests), carried over as data.
const generateVectors: Array<{ description: string; rawYaml: string[]; out: string[] }> = [
  { description: 'render raw manifests', rawYaml: ['pod.yaml'], out: ['pod.yaml'] },
  { description: 'render glob raw manifests', rawYaml: ['*.yaml'], out: ['pod.yaml', 'pods.yaml'] },
];

describe('expandManifestGlobs (skaffold render generator)', () => {
  describe("skaffold's generate vectors", () => {
    const dir = tree(['pod.yaml', 'pods.yaml', 'empty.ignored']);
    it.each(generateVectors)('$description', ({ rawYaml, out }) => {
      expect(relativeTo(dir(), expandManifestGlobs(dir(), rawYaml))).toEqual(out);
    });
  });

  describe('Go glob semantics, walked directories and the extension filter', () => {
    const dir = tree([
      'skaffold.yaml',
      'README.md',
      'k8s/b.yaml',
      'k8s/a.yaml',
      'k8s/notes.txt',
      'k8s/README.md',
      'k8s/config.json',
      'k8s/nested/c.yaml',
      'k8s/nested/deeper/d.yml',
      'k8s/.hidden.yaml',
      'extra/d.yml',
      'ab/[x].yaml',
    ]);
    it.each([
      ['"*" does not cross a directory', ['k8s/*.yaml'], ['k8s/.hidden.yaml', 'k8s/a.yaml', 'k8s/b.yaml']],
      ['"**" matches like "*" (no recursion), so skaffold.yaml is not matched (examples/profiles)', ['**/*.yaml'], ['ab/[x].yaml', 'k8s/.hidden.yaml', 'k8s/a.yaml', 'k8s/b.yaml']],
      ['"**" in the middle is one level', ['k8s/**/*.yaml'], ['k8s/nested/c.yaml']],
      ['"dir/*" walks subdirectories and skips files that are not manifests', ['k8s/*'], ['k8s/.hidden.yaml', 'k8s/a.yaml', 'k8s/b.yaml', 'k8s/config.json', 'k8s/nested/c.yaml', 'k8s/nested/deeper/d.yml']],
      ['a glob matching a directory walks it', ['k8*'], ['k8s/.hidden.yaml', 'k8s/a.yaml', 'k8s/b.yaml', 'k8s/config.json', 'k8s/nested/c.yaml', 'k8s/nested/deeper/d.yml']],
      ['"?" and a class', ['k8s/?.yaml', 'extra/[a-d].yml'], ['k8s/a.yaml', 'k8s/b.yaml', 'extra/d.yml']],
      ['a negated class uses "^"', ['k8s/[^a].yaml'], ['k8s/b.yaml']],
      ['"!" is an ordinary character in a class', ['k8s/[!a].yaml'], ['k8s/a.yaml']],
      ['each path once, in the order of the patterns', ['k8s/b.yaml', 'k8s/*.yaml'], ['k8s/b.yaml', 'k8s/.hidden.yaml', 'k8s/a.yaml']],
      ['a path that exists is taken literally, glob characters and all', ['ab/[x].yaml'], ['ab/[x].yaml']],
      ['an escaped glob character', ['ab/\\[x\\].yaml'], ['ab/[x].yaml']],
      ['a file listed by name is kept whatever its extension', ['README.md'], ['README.md']],
      ['a file listed by name that is missing is kept for the reader to fail on', ['k8s/missing.yaml'], ['k8s/missing.yaml']],
      ['a glob without matches gives nothing', ['missing/*.yaml'], []],
    ])('%s: %j', (_name, patterns, expected) => {
      expect(relativeTo(dir(), expandManifestGlobs(dir(), patterns))).toEqual(expected);
    });

    it.each([['k8s/[]'], ['k8s/[a'], ['k8s/[a-]'], ['k8s/*\\'], ['[z-]/*.yaml']])('refuses the malformed pattern %s', (pattern) => {
      expect(() => expandManifestGlobs(dir(), [pattern])).toThrow(/syntax error in glob pattern/);
    });
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
