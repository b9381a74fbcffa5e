/** Options of `nx g nx-gitops:gitops-app` (mirrors schema.json). */
export interface GitopsAppGeneratorSchema {
  service: string;
  tool?: 'argocd' | 'flux';
  environment?: string;
  manifestRepository?: string;
  namespace?: string;
  destinationServer?: string;
  argocdNamespace?: string;
  argocdProject?: string;
  fluxNamespace?: string;
  interval?: string;
  output?: string;
}
