/** Options of `nx g nx-gitops:service` (mirrors schema.json). */
export interface ServiceGeneratorSchema {
  name: string;
  directory?: string;
  /** An array, or a comma-separated list when called programmatically. */
  environments?: string[] | string;
  image?: string;
  port?: number;
  skaffoldApiVersion?: string;
  /** `kustomize` (default): a base and overlays; `helm`: a local chart and a values file per environment. */
  template?: 'kustomize' | 'helm';
}
