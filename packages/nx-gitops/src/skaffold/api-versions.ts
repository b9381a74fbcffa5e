/**
 * Every skaffold `apiVersion` the native engine reads, oldest first. A module of its own, without the YAML
 * parser or the schema validator, so the plugin's entry can export it eagerly: Nx reads every export of a
 * plugin when it loads one, and a lazy getter here loaded the whole config reader in each project-graph run.
 */
export const SUPPORTED_API_VERSIONS: readonly string[] = [
  ...Array.from({ length: 20 }, (_, i) => `skaffold/v2beta${i + 10}`),
  'skaffold/v3alpha1',
  'skaffold/v3',
  ...Array.from({ length: 14 }, (_, i) => `skaffold/v4beta${i + 1}`),
];
