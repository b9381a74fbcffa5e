// The plugin options' JSON schema, a constant of its own module: the ahead-of-time validator is generated from it.
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** A target name usable in `nx run <project>:<target>:<configuration>`: no colon, dot or white space. */
const TARGET_NAME = '^[A-Za-z0-9][A-Za-z0-9_-]*$';

/**
 * The JSON schema of the plugin's options in `nx.json`. Its validator is compiled ahead of time
 * (`npm run generate`, `src/generated/plugin-options-validator.ts`): Nx validates the options on every command.
 */
export const pluginOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    renderTargetName: { type: 'string', pattern: TARGET_NAME },
    publishTargetName: { type: 'string', pattern: TARGET_NAME },
    diffTargetName: { type: 'string', pattern: TARGET_NAME },
    defaultEnvironment: { type: 'string', pattern: DNS_LABEL, maxLength: 63 },
    environments: {
      type: 'object',
      // Any name Nx accepts as a configuration; the executors refuse one that would leave dist/manifests.
      propertyNames: { minLength: 1 },
      additionalProperties: { type: 'array', items: { type: 'string', minLength: 1 } },
      minProperties: 1,
    },
    manifestRepository: { type: 'string', minLength: 1 },
    branch: { type: 'string', minLength: 1 },
    path: { type: 'string', minLength: 1 },
    activePath: { type: 'string', minLength: 1 },
    defaultRepo: { type: 'string' },
    digestSource: { enum: ['tag', 'remote', 'none'] },
    propagateProfiles: { type: 'boolean' },
  },
} as const;
