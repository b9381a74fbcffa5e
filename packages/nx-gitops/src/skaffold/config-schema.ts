/**
 * The JSON schema (draft-07) of the part of `skaffold.yaml` nx-gitops reads. Fields outside it are allowed
 * where skaffold allows them, so real-world configs with test, portForward or verify sections still load;
 * the fields we interpret are checked strictly so that a typo fails with its line instead of rendering wrong.
 */

const stringList = { type: 'array', items: { type: 'string' } } as const;

const tagPolicy = {
  type: 'object',
  additionalProperties: false,
  properties: {
    gitCommit: {
      type: 'object',
      additionalProperties: false,
      properties: {
        variant: { type: 'string' },
        prefix: { type: 'string' },
        ignoreChanges: { type: 'boolean' },
      },
    },
    sha256: { type: 'object' },
    envTemplate: {
      type: 'object',
      additionalProperties: false,
      required: ['template'],
      properties: { template: { type: 'string' } },
    },
    dateTime: {
      type: 'object',
      additionalProperties: false,
      properties: { format: { type: 'string' }, timezone: { type: 'string' } },
    },
    inputDigest: { type: 'object' },
    customTemplate: {
      type: 'object',
      additionalProperties: false,
      required: ['template'],
      properties: {
        template: { type: 'string' },
        components: {
          type: 'array',
          items: { $ref: '#/definitions/componentPolicy' },
        },
      },
    },
  },
} as const;

const componentPolicy = {
  type: 'object',
  required: ['name'],
  properties: { ...tagPolicy.properties, name: { type: 'string' } },
  additionalProperties: false,
} as const;

const build = {
  type: 'object',
  properties: {
    artifacts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['image'],
        properties: {
          image: { type: 'string', minLength: 1 },
          context: { type: 'string' },
          docker: { type: 'object', properties: { dockerfile: { type: 'string' } } },
        },
      },
    },
    tagPolicy: { $ref: '#/definitions/tagPolicy' },
  },
} as const;

const kustomize = {
  type: 'object',
  properties: { paths: stringList, buildArgs: stringList, flags: { type: 'object' } },
} as const;

const manifests = {
  type: 'object',
  properties: { rawYaml: stringList, kustomize },
} as const;

const deploy = {
  type: 'object',
  properties: {
    kustomize,
    kubectl: { type: 'object', properties: { manifests: stringList } },
  },
} as const;

const selectorRule = {
  type: 'object',
  required: ['groupKind'],
  properties: { groupKind: { type: 'string' }, image: stringList, labels: stringList, podSpec: stringList },
} as const;

const resourceSelector = {
  type: 'object',
  additionalProperties: false,
  properties: { allow: { type: 'array', items: selectorRule }, deny: { type: 'array', items: selectorRule } },
} as const;

/** Top-level keys skaffold v2–v4 accept in a `Config` document. */
export const TOP_LEVEL_KEYS = [
  'apiVersion',
  'kind',
  'metadata',
  'requires',
  'build',
  'test',
  'render',
  'manifests',
  'deploy',
  'portForward',
  'resourceSelector',
  'verify',
  'customActions',
  'profiles',
] as const;

/** Schema of one skaffold `Config` document as nx-gitops validates it. */
export const skaffoldConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['apiVersion', 'kind'],
  additionalProperties: false,
  definitions: { tagPolicy, componentPolicy },
  properties: {
    ...Object.fromEntries(TOP_LEVEL_KEYS.map((key) => [key, {}])),
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    requires: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          path: { type: 'string' },
          configs: stringList,
          activeProfiles: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name'],
              properties: { name: { type: 'string' }, activatedBy: stringList },
            },
          },
        },
      },
    },
    build,
    manifests,
    deploy,
    resourceSelector,
    profiles: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          activation: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              properties: { env: { type: 'string' }, kubeContext: { type: 'string' }, command: { type: 'string' } },
            },
          },
          requiresAllActivations: { type: 'boolean' },
          patches: {
            type: 'array',
            items: {
              type: 'object',
              required: ['path'],
              properties: {
                op: { enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] },
                path: { type: 'string' },
                from: { type: 'string' },
                value: {},
              },
            },
          },
          build,
          manifests,
          deploy,
          resourceSelector,
        },
      },
    },
  },
} as const;
