/** Options of the `nx-gitops:publish-manifest` executor; mirrors schema.json. */
export interface PublishManifestExecutorSchema {
  environment?: string;
  manifestRepository?: string;
  branch?: string;
  path?: string;
  baseBranch?: string;
  message?: string;
  authorName?: string;
  authorEmail?: string;
  mode?: 'merge' | 'replace';
  dryRun?: boolean;
  maxAttempts?: number;
  allowDirty?: boolean;
}
