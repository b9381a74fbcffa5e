import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listKustomizationFiles } from '../kustomize/dependencies';
import { GitopsError } from '../lib/errors';
import { loadSkaffoldConfigs, parseSkaffoldConfigs } from '../skaffold/config';
import { renderManifests } from '../skaffold/render';
import { createGitInfoCache } from '../skaffold/tags';
import { parseManifests } from './yaml';
import { MAX_INPUT_MIB_VARIABLE, parseJsonText, readJsonFile, safeSyntaxReason } from './yaml-limits';

/** `levels` anchored lists, each holding `width` aliases of the one before: width^levels nodes when expanded. */
function aliasBomb(options: { levels: number; width: number; prefix?: string; key?: (level: number) => string }): string {
  const key = options.key ?? ((level: number) => `l${level}`);
  const lines = [`${key(0)}: &l0 [${Array(options.width).fill('lol').join(',')}]`];
  for (let level = 1; level < options.levels; level++) lines.push(`${key(level)}: &l${level} [${Array(options.width).fill(`*l${level - 1}`).join(',')}]`);
  return `${options.prefix ?? ''}${lines.join('\n')}\n`;
}

function deepBlockMapping(depth: number, prefix = '', indent = 0): string {
  const lines: string[] = [];
  for (let level = 0; level < depth; level++) lines.push(`${' '.repeat(indent + level)}k:`);
  lines.push(`${' '.repeat(indent + depth)}v`);
  return `${prefix}${lines.join('\n')}\n`;
}

function deepFlowMapping(depth: number): string {
  return `apiVersion: v1\nkind: ConfigMap\ndata: ${'{a: '.repeat(depth)}v${'}'.repeat(depth)}\n`;
}

function thrown(body: () => unknown): GitopsError {
  try {
    body();
  } catch (error) {
    if (error instanceof GitopsError) return error;
    throw error;
  }
  throw new Error('expected a GitopsError');
}

async function rejected(promise: Promise<unknown>): Promise<GitopsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GitopsError) return error;
    throw error;
  }
  throw new Error('expected a GitopsError');
}

const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n';
const v4 = 'apiVersion: skaffold/v4beta13\nkind: Config\n';
const secret = 's3cr3t-Value-0f-the-T0ken';

describe('the reading policy of every file (yaml-limits)', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-limits-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    delete process.env[MAX_INPUT_MIB_VARIABLE];
  });

  function write(path: string, text: string): string {
    const file = join(dir, path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
    return file;
  }

  function render() {
    return renderManifests({ configFile: join(dir, 'skaffold.yaml'), profiles: [], env: {}, digestSource: 'none', git: createGitInfoCache() });
  }

  describe('aliases', () => {
    it('refuses the 420-byte alias bomb in a rawYaml manifest (it hung render) at once, naming file and line', async () => {
      const bomb = aliasBomb({ levels: 9, width: 9, prefix: configMap });
      expect(bomb.length).toBeLessThan(480);
      write('skaffold.yaml', `${v4}manifests:\n  rawYaml: [k8s/bomb.yaml]\n`);
      const file = write('k8s/bomb.yaml', bomb);
      const started = Date.now();
      const error = await rejected(render());
      expect(Date.now() - started).toBeLessThan(2000);
      expect(error.message).toMatch(new RegExp(`^Invalid YAML in ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: the document contains excessive aliasing`));
      expect(error.hint).toMatch(/aliases/);
    });

    it('refuses the 323-byte bomb that expanded to 11.8 MB instead of expanding it', () => {
      const bomb = aliasBomb({ levels: 6, width: 9, prefix: configMap });
      const before = process.memoryUsage().rss;
      const error = thrown(() => parseManifests(bomb, 'k8s/small-bomb.yaml'));
      expect(error.message).toMatch(/^Invalid YAML in k8s\/small-bomb\.yaml:\d+:\d+: the document contains excessive aliasing/);
      expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    });

    it('refuses more alias expansions than the limit even within the ratio', () => {
      // Each alias expands to three nodes beside its own: far within yaml.v3's ratio, so only the count applies.
      const uses = `k: [${Array(10_001).fill('*b').join(', ')}]`;
      const error = thrown(() => parseManifests(`${configMap}base: &b {x: 1}\n${uses}\n`, 'many.yaml'));
      expect(error.message).toMatch(/^Invalid YAML in many\.yaml:6:\d+: more than 10000 aliases are expanded/);
    });

    it('keeps ordinary anchors and merge keys working', () => {
      const text = `${configMap}defaults: &d {a: 1, b: 2}\nfirst: {<<: *d, b: 3}\nsecond: *d\n`;
      expect(parseManifests(text, 'm.yaml')[0]).toMatchObject({ first: { a: 1, b: 3 }, second: { a: 1, b: 2 } });
    });

    it('refuses a skaffold.yaml bomb naming the file, through loadSkaffoldConfigs as through the graph', () => {
      const file = write('skaffold.yaml', aliasBomb({ levels: 9, width: 9, prefix: v4, key: (level) => `.l${level}` }));
      const error = thrown(() => loadSkaffoldConfigs({ file }));
      expect(error.message.startsWith(`${file}:`)).toBe(true);
      expect(error.message).toMatch(/excessive aliasing/);
    });

    it('refuses a kustomization bomb naming the file and line', () => {
      const file = write('kustomization.yaml', aliasBomb({ levels: 9, width: 9, prefix: 'resources: [a.yaml]\n' }));
      expect(thrown(() => listKustomizationFiles(dir)).message).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: the document contains excessive aliasing`));
    });

    it('reads a kustomization with ordinary anchors', () => {
      write('kustomization.yaml', 'common: &r [a.yaml]\nresources: *r\n');
      write('a.yaml', configMap);
      expect(listKustomizationFiles(dir)).toEqual([join(dir, 'a.yaml'), join(dir, 'kustomization.yaml')]);
    });
  });

  describe('depth', () => {
    it('refuses a 10k-deep block mapping naming the file (it is beyond the size limit before it is parsed)', () => {
      const started = Date.now();
      const error = thrown(() => parseManifests(deepBlockMapping(10_000, configMap), 'deep.yaml'));
      expect(Date.now() - started).toBeLessThan(2000);
      expect(error.message).toMatch(/^deep\.yaml: 47\.\d MiB is larger than the 32\.0 MiB nx-gitops reads from one file/);
      expect(error.hint).toContain(MAX_INPUT_MIB_VARIABLE);
    });

    it.each([
      ['a 300-deep block mapping', () => deepBlockMapping(300, configMap)],
      ['a 10k-deep flow mapping', () => deepFlowMapping(10_000)],
    ])('refuses %s in a manifest with file, line and column', (_name, text) => {
      const error = thrown(() => parseManifests(text(), 'deep.yaml'));
      expect(error.message).toMatch(/^Invalid YAML in deep\.yaml:\d+:\d+: mappings and sequences nest deeper than 256 levels\.$/);
      expect(error.hint).toMatch(/Flatten/);
    });

    it('reads 200 levels', () => {
      expect(parseManifests(deepFlowMapping(200), 'deep.yaml')).toHaveLength(1);
    });

    it.each([
      ['a 300-deep block mapping', deepBlockMapping(300, `${v4}x:\n`, 1)],
      ['a 10k-deep flow mapping', `${v4}x: ${'{a: '.repeat(10_000)}v${'}'.repeat(10_000)}\n`],
    ])('refuses %s in skaffold.yaml naming the file and line', (_name, text) => {
      const error = thrown(() => parseSkaffoldConfigs({ text, file: 'services/foo/skaffold.yaml' }));
      expect(error.message).toMatch(/^services\/foo\/skaffold\.yaml:\d+:\d+: (invalid YAML: )?mappings and sequences nest deeper than 256 levels/);
    });

    it('refuses a deep kustomization naming the file and line', () => {
      const file = write('kustomization.yaml', `resources: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
      expect(thrown(() => listKustomizationFiles(dir)).message).toContain(`${file}:1:`);
    });
  });

  describe('size', () => {
    it('refuses a file beyond the limit before parsing it, and the variable raises the limit', () => {
      process.env[MAX_INPUT_MIB_VARIABLE] = '1';
      const big = `${configMap}data:\n${Array.from({ length: 40_000 }, (_, index) => `  k${index}: ${'v'.repeat(20)}`).join('\n')}\n`;
      expect(thrown(() => parseManifests(big, 'big.yaml')).message).toMatch(/^big\.yaml: 1\.\d MiB is larger than the 1\.0 MiB/);
      const file = write('skaffold.yaml', `${v4}# ${'x'.repeat(1_200_000)}\n`);
      expect(thrown(() => loadSkaffoldConfigs({ file })).message).toMatch(/is larger than the 1\.0 MiB/);
      process.env[MAX_INPUT_MIB_VARIABLE] = '4';
      expect(parseManifests(big, 'big.yaml')).toHaveLength(1);
    });
  });

  describe('contents are never quoted', () => {
    it('prints no content of a secret file a rawYaml path points at', async () => {
      write('skaffold.yaml', `${v4}manifests:\n  rawYaml: [secret.env]\n`);
      const file = write('secret.env', `TOKEN=${secret}\n`);
      const error = await rejected(render());
      expect(error.message).toContain(file);
      expect(`${error.message} ${error.hint}`).not.toContain(secret);
    });

    it.each([
      ['a scalar document', `${secret}\n`],
      ['a sequence document', `- ${secret}\n`],
      ['a duplicate key', `${secret}: 1\n${secret}: 2\n`],
      ['a wrong tag', `a: !!int ${secret}\n`],
      ['an unknown anchor', `a: *${secret}\n`],
      ['a bad escape', `a: "\\q${secret}"\n`],
      ['a multi-line key', `-----BEGIN ${secret}-----\nMII${secret}: x\n`],
      ['a bad block scalar header', `a: |${secret}\n  x\n`],
    ])('in %s', (_name, text) => {
      const error = thrown(() => parseManifests(text, 'secret.yaml'));
      expect(error.message).toMatch(/^Invalid YAML in secret\.yaml:\d+:\d+: /);
      expect(`${error.message} ${error.hint}`).not.toContain(secret);
      expect(`${error.message} ${error.hint}`).not.toContain('s3cr3t');
    });

    it('in a skaffold.yaml syntax error', () => {
      const error = thrown(() => parseSkaffoldConfigs({ text: `${v4}a: !${secret} x\nb: "\\q${secret}"\n`, file: 'skaffold.yaml' }));
      expect(error.message).toMatch(/^skaffold\.yaml:\d+:\d+: invalid YAML/);
      expect(error.message).not.toContain('s3cr3t');
    });

    it('in a kustomization syntax error', () => {
      write('kustomization.yaml', `resources: [a.yaml\n${secret}: "\\q${secret}"\n`);
      const error = thrown(() => listKustomizationFiles(dir));
      expect(error.message).toMatch(/kustomization\.yaml:\d+:\d+: /);
      expect(error.message).not.toContain('s3cr3t');
    });

    it.each([
      ['Unresolved tag: !secret', 'Unresolved tag'],
      ['Plain value cannot start with @', 'Plain value cannot start with this character'],
      ['Invalid escape sequence \\q', 'Invalid escape sequence'],
      ['Unresolved plain scalar "secret"', 'Unresolved plain scalar'],
      ['Nested mappings are not allowed in compact mappings at line 2, column 4:\n\nc: d: e\n', 'Nested mappings are not allowed in compact mappings'],
    ])('safeSyntaxReason(%j)', (message, reason) => {
      expect(safeSyntaxReason(message)).toBe(reason);
    });
  });

  describe('JSON', () => {
    it('names file, line and column of malformed JSON without quoting it', () => {
      const hint = 'Run the render target again.';
      const error = thrown(() => parseJsonText({ text: `{\n  "images": []\n}\n  ${secret}\n`, file: 'dist/images.json', hint }));
      expect(error.message).toBe('dist/images.json:4:3: invalid JSON (unexpected character).');
      expect(error.hint).toBe(hint);
      const unexpected = thrown(() => parseJsonText({ text: `{\n  "images": [\n    ${secret}\n  ]\n}\n`, file: 'dist/images.json', hint }));
      expect(unexpected.message).toMatch(/^dist\/images\.json(:\d+:\d+)?: invalid JSON \(unexpected character\)\.$/);
      expect(thrown(() => parseJsonText({ text: '{"images": [', file: 'dist/images.json', hint })).message).toMatch(/invalid JSON \(unexpected end of the text\)/);
    });

    it('refuses a JSON file beyond the size limit without reading it', () => {
      process.env[MAX_INPUT_MIB_VARIABLE] = '1';
      const file = write('images.json', `{"x": "${'v'.repeat(1_100_000)}"}`);
      expect(thrown(() => readJsonFile({ file, hint: 'h' })).message).toMatch(/images\.json: 1\.\d MiB is larger than the 1\.0 MiB/);
    });

    it('names a file that cannot be read', () => {
      expect(thrown(() => readJsonFile({ file: join(dir, 'missing.json'), hint: 'h' })).message).toBe(`Cannot read ${join(dir, 'missing.json')}: ENOENT.`);
    });
  });
});
