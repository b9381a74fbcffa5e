/**
 * The JSON schema (draft-07) of the types of the fields nx-gitops interprets in `skaffold.yaml`. Which
 * fields exist at all, in every section and for each apiVersion, is checked by `strict-fields.ts` from
 * skaffold's own schemas; this schema adds what nx-gitops needs beyond shapes (strings, booleans, enums).
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

/** Schema of one skaffold `Config` document as nx-gitops validates it. */
export const skaffoldConfigSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['apiVersion', 'kind'],
  definitions: { tagPolicy, componentPolicy },
  properties: {
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
