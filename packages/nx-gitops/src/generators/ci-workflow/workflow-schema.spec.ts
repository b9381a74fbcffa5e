import { readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ciWorkflowGenerator } from './generator';
import type { CiWorkflowGeneratorSchema } from './schema';

/** SchemaStore's GitHub workflow schema (draft-07, ajv's default draft); see __fixtures__/README.md for its origin. */
function compileWorkflowSchema(): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(__dirname, '__fixtures__/github-workflow.json'), 'utf8')) as { $schema: string };
  expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  // Strict mode stays on for keywords: an unknown one would mean the schema needs another draft.
  return new Ajv({ allErrors: true, strictTypes: false, strictTuples: false, strictRequired: false, validateFormats: false }).compile(schema);
}

/** Every workflow the generator can write: its defaults, every option set, and the plugin's own target names. */
const VARIANTS: Array<{ name: string; options: CiWorkflowGeneratorSchema; plugin?: Record<string, string> }> = [
  { name: 'the defaults (push, tag and manual publish jobs, pull-request diff job)', options: {} },
  {
    name: 'every option set',
    options: {
      path: '.github/workflows/deploy.yml',
      mainBranch: 'release/trunk',
      nodeVersion: 22,
      productionEnvironment: 'prod',
      tokenSecret: 'MANIFEST_TOKEN',
      manifestRepository: 'https://github.com/acme/manifests.git',
    },
  },
  { name: 'renamed publish and diff targets', options: { nodeVersion: 'lts/*' }, plugin: { publishTargetName: 'publish', diffTargetName: 'preview' } },
];

describe('ci-workflow output against GitHub\'s workflow schema (SchemaStore github-workflow.json)', () => {
  const validate = compileWorkflowSchema();

  it.each(VARIANTS)('validates: $name', async ({ options, plugin }) => {
    const tree: Tree = createTreeWithEmptyWorkspace();
    if (plugin) updateNxJson(tree, { ...(readNxJson(tree) ?? {}), plugins: [{ plugin: 'nx-gitops', options: plugin }] });
    await ciWorkflowGenerator(tree, options);
    const workflow = parse(tree.read(options.path ?? '.github/workflows/gitops.yaml', 'utf-8') ?? '') as { jobs: Record<string, unknown> };
    expect(Object.keys(workflow.jobs)).toEqual(['publish-manifests', 'diff-manifests']);
    const valid = validate(workflow);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('refuses what GitHub refuses: the schema is not too loose to catch a broken workflow', async () => {
    const tree: Tree = createTreeWithEmptyWorkspace();
    await ciWorkflowGenerator(tree, {});
    const workflow = parse(tree.read('.github/workflows/gitops.yaml', 'utf-8') ?? '') as {
      permissions: Record<string, string>;
      jobs: Record<string, Record<string, unknown> & { steps: Array<Record<string, unknown>> }>;
    };
    const broken = (change: (copy: typeof workflow) => void) => {
      const copy = structuredClone(workflow);
      change(copy);
      return validate(copy);
    };
    expect(broken((copy) => delete copy.jobs['diff-manifests']['runs-on'])).toBe(false);
    expect(broken((copy) => (copy.permissions['pull-requests'] = 'admin'))).toBe(false);
    expect(broken((copy) => (copy.jobs['publish-manifests'].steps[0] = { name: 'neither uses nor run' }))).toBe(false);
    expect(broken((copy) => (copy.jobs['diff-manifests'].concurrency = { 'cancel-in-progress': true }))).toBe(false);
  });
});
