import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitopsError } from '../../lib/errors';
import { runCommand } from '../../lib/exec';
import type { TagPolicy } from '../types';
import { buildSkaffoldGitRepo } from './__fixtures__/skaffold-git-repo';
import { computeImageTag } from './compute-image-tag';
import { createGitInfoCache, type GitRunner } from './git-info';
import { tagImage } from './tag-image';

jest.setTimeout(60_000);

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-gitops-compute-tag-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** skaffold's test instant, 2015-03-07 11:06:39.123, taken in UTC so the date does not depend on the machine. */
const now = () => new Date(Date.UTC(2015, 2, 7, 11, 6, 39, 123));
const dateTimeExample: TagPolicy = { dateTime: { format: '2006-01-02', timezone: 'UTC' } };
const envTemplateExample: TagPolicy = { envTemplate: { template: '{{.FOO}}' } };
const invalidEnvTemplate: TagPolicy = { envTemplate: { template: '{{.BAR}}' } };
const env = { FOO: 'BAR' };

/** A tag computed outside git, with an empty context of a builder without a Dockerfile (no input files). */
async function tagOutsideGit(imageName: string, policy: TagPolicy): Promise<string> {
  return computeImageTag({
    imageName,
    policy,
    workspaceDir: tempDir(),
    env,
    now,
    git: createGitInfoCache(),
    artifact: { image: imageName, custom: {} },
  });
}

describe('computeImageTag with customTemplate (skaffold custom_template_test.go)', () => {
  it.each([
    ['empty template', '', [], ''],
    ['only text', 'foo-bar', [], 'foo-bar'],
    [
      'only component (dateTime) in template, providing more components than necessary',
      '{{.FOO}}',
      [{ name: 'FOO', ...dateTimeExample }, { name: 'BAR', ...envTemplateExample }],
      '2015-03-07',
    ],
    ['envTemplate and sha256 as components', 'foo-{{.FOO}}-{{.BAR}}', [{ name: 'FOO', ...envTemplateExample }, { name: 'BAR', sha256: {} }], 'foo-BAR-latest'],
    ['default component name SHA', '{{.SHA}}', [], 'latest'],
    [
      'override default components',
      '{{.GIT}}-{{.DATE}}-{{.SHA}}-{{.INPUT_DIGEST}}',
      [
        { name: 'GIT', ...dateTimeExample },
        { name: 'DATE', ...envTemplateExample },
        { name: 'SHA', ...dateTimeExample },
        { name: 'INPUT_DIGEST', inputDigest: {} },
      ],
      '2015-03-07-BAR-2015-03-07-38e0b9de817f645c4bec37c0d4a3e58baecccb040f5718dc069a72c7385a0bed',
    ],
  ])('%s', async (_name, template, components, expected) => {
    await expect(tagOutsideGit('test', { customTemplate: { template, components } })).resolves.toBe(expected);
  });

  it.each([
    ['using customTemplate as a component', '{{.FOO}}', [{ name: 'FOO', customTemplate: { template: '' } }]],
    ['faulty component, envTemplate has undefined references', '{{.FOO}}', [{ name: 'FOO', ...invalidEnvTemplate }]],
    ['missing required components', '{{.FOO}}', []],
    ['duplicate component names', '{{.FOO}}', [{ name: 'FOO', sha256: {} }, { name: 'FOO', sha256: {} }]],
    ['invalid template', '{{.FOO', [{ name: 'FOO', sha256: {} }]],
  ])('%s is an error', async (_name, template, components) => {
    await expect(tagOutsideGit('test', { customTemplate: { template, components } as never })).rejects.toBeInstanceOf(GitopsError);
  });

  it('evaluates GIT with the default gitCommit tagger (TestGitCommit_CustomTemplate)', async () => {
    const dir = tempDir();
    await buildSkaffoldGitRepo(dir, [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial']]);
    const git = createGitInfoCache();
    const tag = (policy: TagPolicy) => computeImageTag({ imageName: 'test', policy, workspaceDir: dir, env: {}, now, git });
    await expect(tag({ customTemplate: { template: '{{.GIT}}' } })).resolves.toBe('eefe1b9');
    await expect(tag({ customTemplate: { template: '{{.FOO}}', components: [{ name: 'FOO', gitCommit: { variant: 'CommitSha' } }] } })).resolves.toBe(
      'eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed',
    );
  });
});

describe('computeImageTag + tagImage (skaffold tag_test.go)', () => {
  it.each([
    ['sha256 w/o tag', 'test', { sha256: {} }, 'test:latest'],
    ['sha256 w/ tag', 'test:tag', { sha256: {} }, 'test:tag'],
    ['envTemplate', 'test', envTemplateExample, 'test:BAR'],
    ['dateTime', 'test', dateTimeExample, 'test:2015-03-07'],
    ['customTemplate', 'test', { customTemplate: { template: '{{.DATE}}_{{.SHA}}', components: [{ name: 'DATE', ...dateTimeExample }] } }, 'test:2015-03-07_latest'],
  ])('%s', async (_name, imageName, policy, expected) => {
    expect(tagImage(imageName, await tagOutsideGit(imageName, policy as TagPolicy))).toBe(expected);
  });

  it.each([
    ['undefined env variable', 'test', invalidEnvTemplate],
    ['dateTime with an unknown timezone', 'test', { dateTime: { format: '2006-01-02', timezone: 'FOO' } }],
    ['error on invalid image tag', 'test', { envTemplate: { template: 'bar:bar' } }],
    ['error on invalid image tag inside imageName', 'test:bar:bar', { sha256: {} }],
    ['an unknown gitCommit variant', 'test', { gitCommit: { variant: 'Invalid' } }],
    ['gitCommit outside a repository (skaffold falls back to :latest)', 'test', { gitCommit: {} }],
  ])('%s is an error, never a fallback to latest', async (_name, imageName, policy) => {
    await expect(tagOutsideGit(imageName, policy as TagPolicy)).rejects.toBeInstanceOf(GitopsError);
  });

  it('names the image and the policy in the error and keeps the hint', async () => {
    const error = await tagOutsideGit('gcr.io/p/app', invalidEnvTemplate).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitopsError);
    expect((error as GitopsError).message).toMatch(/^Cannot compute the envTemplate tag of image "gcr\.io\/p\/app": .*BAR/);
    expect((error as GitopsError).hint).toContain('BAR');
  });
});

describe('computeImageTag policy choice', () => {
  it.each([
    ['envTemplate first', { gitCommit: {}, sha256: {}, envTemplate: { template: 'e' } }, 'e'],
    ['then sha256', { gitCommit: {}, dateTime: dateTimeExample.dateTime, sha256: {} }, 'latest'],
    ['then dateTime before customTemplate', { customTemplate: { template: 'c' }, dateTime: dateTimeExample.dateTime }, '2015-03-07'],
    ['a null entry counts as unset', { sha256: null, customTemplate: { template: 'c' } }, 'c'],
  ])('%s', async (_name, policy, expected) => {
    await expect(tagOutsideGit('test', policy as unknown as TagPolicy)).resolves.toBe(expected);
  });

  it('defaults to gitCommit when no policy is set', async () => {
    const dir = tempDir();
    await buildSkaffoldGitRepo(dir, [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial'], ['tag', 'v1']]);
    await expect(computeImageTag({ imageName: 'test', workspaceDir: dir, git: createGitInfoCache() })).resolves.toBe('v1');
  });
});

describe('git lookups are shared across artifacts (real git, calls counted through the runner)', () => {
  it('runs each git command once per repository for 100 artifacts in 4 directories', async () => {
    const root = tempDir();
    const services = ['a', 'b', 'c', 'd'];
    await buildSkaffoldGitRepo(root, [
      ...services.map((name) => ['mkdir', `services/${name}`] as ['mkdir', string]),
      ...services.map((name) => ['write', `services/${name}/main.go`, name] as ['write', string, string]),
      ['add', '.'],
      ['commit', 'initial'],
      ['tag', 'v1'],
      ['write', 'services/c/main.go', 'changed'],
    ]);
    const calls: string[] = [];
    const runner: GitRunner = (args, cwd) => {
      calls.push(args.join(' '));
      return runCommand('git', args, { cwd, allowFailure: true });
    };
    const git = createGitInfoCache({ runner });
    const policies: TagPolicy[] = [{ gitCommit: {} }, { gitCommit: { variant: 'CommitSha' } }, { gitCommit: { variant: 'AbbrevTreeSha' } }];
    const tags = await Promise.all(
      Array.from({ length: 100 }, (_, index) => {
        const service = services[index % services.length];
        return computeImageTag({
          imageName: `app-${service}`,
          policy: policies[index % policies.length],
          workspaceDir: path.join(root, 'services', service),
          git,
        });
      }),
    );
    expect(tags[0]).toBe('v1');
    expect(tags[2]).toBe(tags[2].replace('-dirty', '') + '-dirty');
    expect(tags.filter((tag) => tag.endsWith('-dirty')).length).toBe(25);
    const counts = calls.reduce<Record<string, number>>((acc, call) => ({ ...acc, [call]: (acc[call] ?? 0) + 1 }), {});
    expect(counts['rev-parse --show-toplevel']).toBe(1);
    expect(counts['rev-list -1 HEAD']).toBe(1);
    expect(counts['describe --tags --always']).toBe(1);
    expect(counts['status --porcelain -z --untracked-files=all']).toBe(1);
    // One tree lookup per service directory.
    expect(Object.keys(counts).filter((call) => call.startsWith('rev-parse --short HEAD:'))).toHaveLength(4);
    expect(Math.max(...Object.values(counts))).toBe(1);
  });

  it('does not attribute a nested repository to the outer one', async () => {
    const outer = tempDir();
    await buildSkaffoldGitRepo(outer, [['write', 'a.go', 'a'], ['add', 'a.go'], ['commit', 'initial']]);
    const inner = path.join(outer, 'vendor', 'inner');
    fs.mkdirSync(inner, { recursive: true });
    await buildSkaffoldGitRepo(inner, [['write', 'source.go', 'code'], ['add', 'source.go'], ['commit', 'initial']]);
    const git = createGitInfoCache();
    await expect(computeImageTag({ imageName: 'outer', policy: { gitCommit: { ignoreChanges: true } }, workspaceDir: outer, git })).resolves.toMatch(
      /^[0-9a-f]{7}$/,
    );
    await expect(computeImageTag({ imageName: 'inner', policy: { gitCommit: {} }, workspaceDir: inner, git })).resolves.toBe('eefe1b9');
    expect(await git.toplevel(inner)).toBe(fs.realpathSync(inner));
  });
});
