/** Options of the `nx-gitops:render` executor; mirrors schema.json. */
export interface RenderExecutorOptions {
  skaffoldConfig?: string;
  environment?: string;
  profiles?: string[];
  defaultRepo?: string;
  multiLevelRepo?: boolean;
  digestSource?: 'tag' | 'remote' | 'none';
  buildArtifacts?: string;
  /** Pre-built images (`NAME=TAG` or references), or `nx-release`: the image @nx/docker tagged in `nx release version`. */
  images?: string[] | 'nx-release';
  tag?: string;
  labels?: string[];
  namespace?: string;
  output?: string;
  engine?: 'native' | 'skaffold';
  skaffoldBinary?: string;
  kustomize?: 'auto' | 'builtin' | 'binary';
  kustomizeBinary?: string;
  insecureRegistries?: string[];
  helmBinary?: string;
  allowUnpinnedCharts?: boolean;
}
