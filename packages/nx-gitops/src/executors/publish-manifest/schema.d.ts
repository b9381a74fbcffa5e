import type { PublishManifestOptions } from '../../publish/options';

/** Options of the `nx-gitops:publish-manifest` executor; mirrors schema.json (the core defines them once). */
export type PublishManifestExecutorSchema = PublishManifestOptions;
