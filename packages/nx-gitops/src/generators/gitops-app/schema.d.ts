/** Options of `nx g nx-gitops:gitops-app` (mirrors schema.json). */
export interface GitopsAppGeneratorSchema {
  service: string;
  tool?: 'argocd' | 'flux' | 'promoter';
  environment?: string;
  environments?: string[] | string;
  manifestRepository?: string;
  namespace?: string;
  destinationServer?: string;
  argocdNamespace?: string;
  argocdProject?: string;
  fluxNamespace?: string;
  interval?: string;
  scm?: 'github' | 'gitlab' | 'gitea' | 'forgejo' | 'bitbucketCloud' | 'azureDevOps';
  gitlabProjectId?: number;
  scmProvider?: string;
  activePath?: string;
  promoterNamespace?: string;
  output?: string;
}
