/** Options of `nx g nx-gitops:ci-workflow` (mirrors schema.json). */
export interface CiWorkflowGeneratorSchema {
  path?: string;
  mainBranch?: string;
  nodeVersion?: string | number;
  productionEnvironment?: string;
  tokenSecret?: string;
  manifestRepository?: string;
}
