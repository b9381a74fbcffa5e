import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import Ajv from 'ajv';
import { normalizeCiWorkflowOptions } from './ci-workflow/lib/normalize-options';
import { normalizeGitopsAppOptions } from './gitops-app/lib/normalize-options';
import { serviceGenerator } from './service/generator';
import { normalizeServiceOptions } from './service/lib/normalize-options';

const packageRoot = join(__dirname, '../..');

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

interface GeneratorSchema {
  properties: Record<string, { default?: unknown }>;
}

/** Only the keys schema.json declares: normalisers may add derived values beside them. */
function schemaOptions(schema: GeneratorSchema, normalized: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(normalized).filter(([key, value]) => key in schema.properties && value !== undefined));
}

function compile(schema: GeneratorSchema) {
  // Nx's "$schema" URL names no meta-schema ajv knows, and Nx keywords ($default) are not JSON schema:
  // drop the first, and strict mode off lets ajv ignore the second.
  const { $schema: _metaSchema, ...body } = schema as GeneratorSchema & { $schema?: string };
  return new Ajv({ strict: false, allErrors: true }).compile(body);
}

describe('generator schemas', () => {
  const generators = readJson<{ generators: Record<string, { factory: string; schema: string }> }>(join(packageRoot, 'generators.json')).generators;
  let tree: Tree;

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  it('lists every generator, each with a factory that exports it as default and a schema with defaults that validate', () => {
    expect(Object.keys(generators).sort()).toEqual(['ci-workflow', 'gitops-app', 'init', 'service']);
    for (const [name, entry] of Object.entries(generators)) {
      // Load the entry point generators.json names, as Nx does.
      const module = require(join(packageRoot, entry.factory)) as { default?: unknown };
      expect([name, typeof module.default]).toEqual([name, 'function']);
      const schema = readJson<GeneratorSchema>(join(packageRoot, entry.schema));
      const defaults = Object.fromEntries(
        Object.entries(schema.properties).flatMap(([key, property]) => (property.default === undefined ? [] : [[key, property.default]])),
      );
      const validate = compile(schema);
      const withRequired = name === 'service' ? { name: 'foo', ...defaults } : name === 'gitops-app' ? { service: 'foo', ...defaults } : defaults;
      expect([name, validate(withRequired), validate.errors]).toEqual([name, true, null]);
    }
  });

  it('service: the normalised defaults validate against schema.json', () => {
    const schema = readJson<GeneratorSchema>(join(__dirname, 'service/schema.json'));
    const normalized = normalizeServiceOptions(tree, { name: 'foo' });
    const validate = compile(schema);
    expect(validate(schemaOptions(schema, normalized))).toBe(true);
    expect(normalized).toEqual({
      name: 'foo',
      directory: 'services',
      environments: ['develop', 'production'],
      image: 'foo',
      port: 8080,
      skaffoldApiVersion: 'skaffold/v4beta13',
      template: 'kustomize',
    });
    // No schema default: Nx would pass it explicitly, hiding a workspace whose default environment is not develop.
    expect(schema.properties.environments.default).toBeUndefined();
    expect(normalized.skaffoldApiVersion).toBe(schema.properties.skaffoldApiVersion.default);
    expect(normalized.template).toBe(schema.properties.template.default);
  });

  it('gitops-app: the normalised defaults validate against schema.json', async () => {
    await serviceGenerator(tree, { name: 'foo' });
    const schema = readJson<GeneratorSchema>(join(__dirname, 'gitops-app/schema.json'));
    const normalized = normalizeGitopsAppOptions(tree, { service: 'foo', manifestRepository: 'https://example.com/m.git' });
    expect(compile(schema)(schemaOptions(schema, normalized))).toBe(true);
    for (const key of ['tool', 'destinationServer', 'argocdNamespace', 'argocdProject', 'fluxNamespace', 'interval'] as const) {
      expect([key, normalized[key]]).toEqual([key, schema.properties[key].default]);
    }
  });

  it('ci-workflow: the normalised defaults validate against schema.json', () => {
    const schema = readJson<GeneratorSchema>(join(__dirname, 'ci-workflow/schema.json'));
    const normalized = normalizeCiWorkflowOptions(tree, {});
    expect(compile(schema)(schemaOptions(schema, normalized))).toBe(true);
    for (const key of ['path', 'mainBranch', 'nodeVersion', 'productionEnvironment', 'tokenSecret'] as const) {
      expect([key, normalized[key]]).toEqual([key, schema.properties[key].default]);
    }
  });
});
