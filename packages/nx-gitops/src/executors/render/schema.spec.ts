import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { normalizeRenderOptions, RENDER_OPTION_DEFAULTS } from './run-render';

const schema = JSON.parse(readFileSync(join(__dirname, 'schema.json'), 'utf8')) as {
  $schema?: string;
  properties: Record<string, { default?: unknown }>;
};
const { $schema: _metaSchema, ...body } = schema;
const validate = new Ajv({ strict: false, allErrors: true }).compile(body);

describe('render schema.json', () => {
  it('accepts the normalised defaults', () => {
    expect(validate(RENDER_OPTION_DEFAULTS)).toBe(true);
  });

  it('declares the same defaults the executor applies', () => {
    const declared = Object.fromEntries(Object.entries(schema.properties).flatMap(([key, value]) => ('default' in value ? [[key, value.default]] : [])));
    // digestSource has no schema default: a default there would hide SKAFFOLD_DIGEST_SOURCE.
    const { digestSource: _fromEnvFirst, ...applied } = RENDER_OPTION_DEFAULTS;
    expect(declared).toEqual(applied);
  });

  it('accepts what the inferred targets pass and rejects unknown options', () => {
    expect(validate({ skaffoldConfig: '{projectRoot}/skaffold.yaml', environment: 'develop', profiles: [] })).toBe(true);
    expect(validate({ environment: 'develop', digestSoruce: 'tag' })).toBe(false);
  });

  it('normalises comma-separated lists as the command line gives them', () => {
    const task = normalizeRenderOptions({
      options: { environment: 'develop', profiles: 'a,b' as never, labels: ['team=x,tier'], images: 'foo=foo:1' as never },
      project: 'foo',
      projectRoot: 'services/foo',
      workspaceRoot: '/ws',
      env: {},
    });
    expect(task).toMatchObject({
      profiles: ['a', 'b'],
      labels: { team: 'x', tier: '' },
      images: ['foo=foo:1'],
      configFile: '/ws/services/foo/skaffold.yaml',
      outputFile: '/ws/dist/manifests/foo/develop/manifest.yaml',
    });
  });
});
