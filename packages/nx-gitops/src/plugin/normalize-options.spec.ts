import Ajv from 'ajv';
import { pluginOptionsProblem, pluginOptionsSchema } from './normalize-options';
import type { NxGitopsPluginOptions } from './options';

/** Ajv's own verdict on the schema, compiled here at run time: the validator generated at build time must agree. */
const ajvAccepts = new Ajv({ allErrors: false, strict: false, validateSchema: false }).compile(pluginOptionsSchema);

const valid: unknown[] = [
  {},
  { manifestRepository: 'https://github.com/acme/manifests.git' },
  {
    renderTargetName: 'render-k8s',
    publishTargetName: 'publish_manifest',
    diffTargetName: 'Diff1',
    defaultEnvironment: 'dev',
    environments: { dev: [], 'prod:eu': ['production', 'eu'] },
    manifestRepository: 'file:///srv/manifests.git',
    branch: 'env/{environment}/{project}',
    path: 'apps/{project}.yaml',
    defaultRepo: '',
    digestSource: 'remote',
    propagateProfiles: false,
  },
  { defaultEnvironment: 'a'.repeat(63) },
  { branch: 'environment/{environment}', activePath: 'apps/{project}' },
  { digestSource: 'none' },
];

const invalid: unknown[] = [
  { unknownOption: true },
  { renderTargetName: 'a:b' },
  { renderTargetName: '' },
  { renderTargetName: 1 },
  { publishTargetName: '-render' },
  { diffTargetName: 'diff manifest' },
  { defaultEnvironment: 'Dev' },
  { defaultEnvironment: 'a'.repeat(64) },
  { defaultEnvironment: 'dev-' },
  { environments: {} },
  { environments: { '': [] } },
  { environments: { dev: 'develop' } },
  { environments: { dev: [''] } },
  { environments: { dev: [1] } },
  { environments: [] },
  { manifestRepository: '' },
  { manifestRepository: null },
  { branch: '' },
  { path: 7 },
  { activePath: '' },
  { defaultRepo: 1 },
  { digestSource: 'registry' },
  { digestSource: 1 },
  { propagateProfiles: 'yes' },
  [],
];

describe('pluginOptionsProblem', () => {
  it.each(valid.map((options) => [JSON.stringify(options), options]))('accepts %s, as the JSON schema does', (_, options) => {
    expect(ajvAccepts(options)).toBe(true);
    expect(pluginOptionsProblem(options as NxGitopsPluginOptions)).toBeUndefined();
  });

  it.each(invalid.map((options) => [JSON.stringify(options), options]))('refuses %s, as the JSON schema does, naming the option', (_, options) => {
    expect(ajvAccepts(options)).toBe(false);
    const problem = pluginOptionsProblem(options as NxGitopsPluginOptions);
    expect(problem).toBeDefined();
    const named = Array.isArray(options) ? 'options' : Object.keys(options as object)[0];
    expect(problem!.option.split('.')[0]).toBe(named);
  });
});

describe('activePath (checked beyond the schema)', () => {
  it.each([
    [{ activePath: 'apps' }, 'activePath', 'must name {project}'],
    [{ activePath: '{project}' }, 'branch', 'must not name {project} with activePath'],
    [{ activePath: '%project%', branch: '{project}/{environment}' }, 'branch', '"{project}/{environment}"'],
  ])('refuses %j, naming %s', (options, option, message) => {
    expect(pluginOptionsProblem(options)).toEqual({ option, message: expect.stringContaining(message) });
  });
});
