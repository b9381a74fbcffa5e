/** Options of `nx g nx-gitops:init` (mirrors schema.json). */
export interface InitGeneratorSchema {
  manifestRepository?: string;
  defaultEnvironment?: string;
  renderTargetName?: string;
  publishTargetName?: string;
  defaultRepo?: string;
  digestSource?: 'tag' | 'remote' | 'none';
  skipFormat?: boolean;
}
