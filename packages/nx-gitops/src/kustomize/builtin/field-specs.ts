import { type ManifestObject, type ManifestValue, isManifestObject } from '../../manifests/yaml';
import { type Gvk, parseApiVersion } from './resource';

/** Where a transformer writes: a slash-separated path (`spec/template/metadata/labels`), for which kinds, and whether to create it. */
export interface FieldSpec {
  path: string;
  group?: string;
  version?: string;
  kind?: string;
  create?: boolean;
}

function spec(path: string, create: boolean, gvk: Partial<Gvk> = {}): FieldSpec {
  return { path, create, ...gvk };
}

const TEMPLATE_KINDS: Array<Partial<Gvk>> = [{ version: 'v1', kind: 'ReplicationController' }, { kind: 'Deployment' }, { kind: 'ReplicaSet' }, { kind: 'DaemonSet' }, { group: 'apps', kind: 'StatefulSet' }];

/**
 * kustomize's default configuration (builtinpluginconsts, kustomize/v5.5.0): the fields `labels` with
 * `includeTemplates` writes, and that every label transformer writes.
 */
export const METADATA_LABEL_SPECS: readonly FieldSpec[] = [
  spec('metadata/labels', true),
  ...TEMPLATE_KINDS.map((gvk) => spec('spec/template/metadata/labels', true, gvk)),
  spec('spec/volumeClaimTemplates[]/metadata/labels', true, { group: 'apps', kind: 'StatefulSet' }),
  spec('spec/template/metadata/labels', true, { group: 'batch', kind: 'Job' }),
  spec('spec/jobTemplate/metadata/labels', true, { group: 'batch', kind: 'CronJob' }),
  spec('spec/jobTemplate/spec/template/metadata/labels', true, { group: 'batch', kind: 'CronJob' }),
];

const AFFINITY_PATHS = [
  'spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels',
  'spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels',
  'spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels',
  'spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels',
  'spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels',
];

/** The fields `commonLabels` (and `labels` with `includeSelectors`) writes: selectors too. */
export const COMMON_LABEL_SPECS: readonly FieldSpec[] = [
  spec('spec/selector', true, { version: 'v1', kind: 'Service' }),
  spec('spec/selector', true, { version: 'v1', kind: 'ReplicationController' }),
  spec('spec/selector/matchLabels', true, { kind: 'Deployment' }),
  ...AFFINITY_PATHS.map((path) => spec(path, false, { group: 'apps', kind: 'Deployment' })),
  spec('spec/selector/matchLabels', true, { kind: 'ReplicaSet' }),
  spec('spec/selector/matchLabels', true, { kind: 'DaemonSet' }),
  spec('spec/selector/matchLabels', true, { group: 'apps', kind: 'StatefulSet' }),
  ...AFFINITY_PATHS.map((path) => spec(path, false, { group: 'apps', kind: 'StatefulSet' })),
  spec('spec/selector/matchLabels', false, { group: 'batch', kind: 'Job' }),
  spec('spec/jobTemplate/spec/selector/matchLabels', false, { group: 'batch', kind: 'CronJob' }),
  spec('spec/selector/matchLabels', false, { group: 'policy', kind: 'PodDisruptionBudget' }),
  spec('spec/podSelector/matchLabels', false, { group: 'networking.k8s.io', kind: 'NetworkPolicy' }),
  spec('spec/ingress/from/podSelector/matchLabels', false, { group: 'networking.k8s.io', kind: 'NetworkPolicy' }),
  spec('spec/egress/to/podSelector/matchLabels', false, { group: 'networking.k8s.io', kind: 'NetworkPolicy' }),
  ...METADATA_LABEL_SPECS,
];

/** The fields `commonAnnotations` writes. */
export const COMMON_ANNOTATION_SPECS: readonly FieldSpec[] = [
  spec('metadata/annotations', true),
  spec('spec/template/metadata/annotations', true, { version: 'v1', kind: 'ReplicationController' }),
  spec('spec/template/metadata/annotations', true, { kind: 'Deployment' }),
  spec('spec/template/metadata/annotations', true, { kind: 'ReplicaSet' }),
  spec('spec/template/metadata/annotations', true, { kind: 'DaemonSet' }),
  spec('spec/template/metadata/annotations', true, { kind: 'StatefulSet' }),
  spec('spec/template/metadata/annotations', true, { group: 'batch', kind: 'Job' }),
  spec('spec/jobTemplate/metadata/annotations', true, { group: 'batch', kind: 'CronJob' }),
  spec('spec/jobTemplate/spec/template/metadata/annotations', true, { group: 'batch', kind: 'CronJob' }),
];

/** The image fields the `images` transformer rewrites beside every `containers`/`initContainers` list. */
export const IMAGE_SPECS: readonly FieldSpec[] = [spec('spec/containers[]/image', true), spec('spec/initContainers[]/image', true), spec('spec/template/spec/containers[]/image', true), spec('spec/template/spec/initContainers[]/image', true)];

/** The kinds whose `spec/replicas` the `replicas` field sets. */
export const REPLICA_SPECS: readonly FieldSpec[] = ['Deployment', 'ReplicationController', 'ReplicaSet', 'StatefulSet'].map((kind) => spec('spec/replicas', true, { kind }));

/** True when the spec's gvk selects the object (empty fields match anything). */
export function fieldSpecMatches(fieldSpec: FieldSpec, object: ManifestObject): boolean {
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const { group, version } = parseApiVersion(typeof object.apiVersion === 'string' ? object.apiVersion : '');
  return (!fieldSpec.kind || fieldSpec.kind === kind) && (!fieldSpec.group || fieldSpec.group === group) && (!fieldSpec.version || fieldSpec.version === version);
}

/** Splits a field-spec path on `/`, keeping `\/` as a slash inside a segment. */
export function splitFieldPath(path: string): string[] {
  return path.split(/(?<!\\)\//).map((segment) => segment.replace(/\\\//g, '/'));
}

/**
 * Visits the value at a field-spec path, as kustomize's fieldspec filter does: sequences on the way are
 * walked element by element, missing mappings are created when `create` is set (the leaf is created with
 * `createLeaf`), and nulls end the walk. `visit` gets the container and key of each reached value.
 */
export function visitFieldPath(options: {
  object: ManifestValue;
  path: string;
  create: boolean;
  createLeaf?: () => ManifestValue;
  visit: (container: ManifestObject, key: string) => void;
}): void {
  const walk = (node: ManifestValue | undefined, segments: string[]): void => {
    if (node === null || node === undefined) return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item, segments);
      return;
    }
    if (!isManifestObject(node)) return;
    const [head, ...rest] = segments;
    const isSeq = head.endsWith('[]');
    const key = isSeq ? head.slice(0, -2) : head;
    const creating = options.create && !isSeq && (rest.length > 0 || options.createLeaf !== undefined);
    if (node[key] === undefined) {
      if (!creating) return;
      node[key] = rest.length === 0 ? (options.createLeaf as () => ManifestValue)() : {};
    } else if (node[key] === null && creating) {
      node[key] = rest.length === 0 ? (options.createLeaf as () => ManifestValue)() : {};
    }
    if (rest.length === 0) {
      options.visit(node, key);
      return;
    }
    walk(node[key], rest);
  };
  walk(options.object, splitFieldPath(options.path));
}
