import { type ManifestObject, type ManifestValue, cloneManifest, isManifestObject } from '../../manifests/yaml';

/** A group, version and kind; empty strings where the resource has none. */
export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** A resource's identity as kustomize keys it: gvk, name and namespace (empty when unset). */
export interface ResId extends Gvk {
  name: string;
  namespace: string;
}

/** The kinds kustomize's built-in OpenAPI data marks as cluster-scoped, by `group/kind` (`/kind` for the core group). */
const CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
  'scheduling.k8s.io/PriorityClass',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'apiregistration.k8s.io/APIService',
  'networking.k8s.io/IngressClass',
  'node.k8s.io/RuntimeClass',
  'policy/PodSecurityPolicy',
  'certificates.k8s.io/CertificateSigningRequest',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
]);

/** Splits `apiVersion` into group and version as kustomize does (`v1` is the core group). */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** True when kustomize treats the kind as cluster-scoped (never given a namespace). */
export function isClusterScoped(gvk: Gvk): boolean {
  return CLUSTER_SCOPED.has(`${gvk.group}/${gvk.kind}`);
}

/** kustomize's `EffectiveNamespace`: cluster-scoped ids share a sentinel, an empty namespace means `default`. */
export function effectiveNamespace(id: ResId): string {
  if (isClusterScoped(id)) return '_non_namespaceable_';
  return id.namespace === '' ? 'default' : id.namespace;
}

/** kustomize's `Gvk.IsSelected`: empty selector fields match anything. */
export function gvkSelected(gvk: Gvk, selector: Partial<Gvk>): boolean {
  return (!selector.group || selector.group === gvk.group) && (!selector.version || selector.version === gvk.version) && (!selector.kind || selector.kind === gvk.kind);
}

/** The id written in error messages, as kustomize spells it (`Deployment.v1.apps/web.prod`). */
export function describeId(id: ResId): string {
  return `${id.kind || '[noKind]'}.${id.version || '[noVer]'}.${id.group || '[noGrp]'}/${id.name || '[noName]'}.${id.namespace || '[noNs]'}`;
}

function stringAt(object: ManifestValue | undefined, ...path: string[]): string {
  let value = object;
  for (const key of path) value = isManifestObject(value) ? value[key] : undefined;
  return typeof value === 'string' ? value : '';
}

/**
 * One resource in a build: its object plus what kustomize keeps in build annotations while it works — the
 * ids it had before renames, the prefixes and suffixes it received, and generator facts.
 */
export class Resource {
  /** Ids before each rename (namespace, prefix, suffix, hash), oldest first; the current id is not included. */
  prevIds: ResId[] = [];
  /** Prefixes applied to the name, innermost first. */
  prefixes: string[] = [];
  /** Suffixes applied to the name, innermost first. */
  suffixes: string[] = [];
  /** Set on generated ConfigMaps and Secrets: whether a content hash is appended, and the merge behaviour. */
  generated?: { hash: boolean; behavior: 'create' | 'merge' | 'replace' };

  constructor(public object: ManifestObject) {}

  /** A deep copy that carries the build annotations too. */
  clone(): Resource {
    const copy = new Resource(cloneManifest(this.object));
    copy.prevIds = this.prevIds.map((id) => ({ ...id }));
    copy.prefixes = [...this.prefixes];
    copy.suffixes = [...this.suffixes];
    copy.generated = this.generated && { ...this.generated };
    return copy;
  }

  /** The last gvk and id computed, with the fields they came from; builds ask for ids very often. */
  private identityCache?: { apiVersion: string; kind: string; name: string; namespace: string; gvk: Gvk; id: ResId };

  /** The gvk and id of the object as it is now: reused while its apiVersion, kind, name and namespace are unchanged. */
  private identity(): { gvk: Gvk; id: ResId } {
    const apiVersion = stringAt(this.object, 'apiVersion');
    const kind = stringAt(this.object, 'kind');
    const name = stringAt(this.object, 'metadata', 'name');
    const namespace = stringAt(this.object, 'metadata', 'namespace');
    const cached = this.identityCache;
    if (cached && cached.apiVersion === apiVersion && cached.kind === kind && cached.name === name && cached.namespace === namespace) return cached;
    // Frozen, since every caller shares them: a caller that wants another id spreads it into a new object.
    const gvk: Gvk = Object.freeze({ ...parseApiVersion(apiVersion), kind });
    const id: ResId = Object.freeze({ ...gvk, name, namespace });
    this.identityCache = { apiVersion, kind, name, namespace, gvk, id };
    return this.identityCache;
  }

  get gvk(): Gvk {
    return this.identity().gvk;
  }

  get name(): string {
    return stringAt(this.object, 'metadata', 'name');
  }

  set name(name: string) {
    this.metadata().name = name;
  }

  get namespace(): string {
    return stringAt(this.object, 'metadata', 'namespace');
  }

  /** The current id. */
  get id(): ResId {
    return this.identity().id;
  }

  /** The id before any rename: kustomize's `OrgId`. */
  get originalId(): ResId {
    return this.prevIds[0] ?? this.id;
  }

  /** The `metadata` mapping, created when missing. */
  metadata(): ManifestObject {
    if (!isManifestObject(this.object.metadata)) this.object.metadata = {};
    return this.object.metadata as ManifestObject;
  }

  /** Records the current id before a rename, as kustomize's `StorePreviousId` does. */
  storePreviousId(): void {
    const id = this.id;
    this.prevIds.push({ ...id, namespace: effectiveNamespace(id) });
  }
}

const ORDER_FIRST = [
  'Namespace',
  'ResourceQuota',
  'StorageClass',
  'CustomResourceDefinition',
  'ServiceAccount',
  'PodSecurityPolicy',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Endpoints',
  'Service',
  'LimitRange',
  'PriorityClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
];
const ORDER_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];
const typeOrder = new Map<string, number>([...ORDER_FIRST.map((kind, index): [string, number] => [kind, index - ORDER_FIRST.length]), ...ORDER_LAST.map((kind, index): [string, number] => [kind, index + 1])]);

function gvkSortString(gvk: Gvk): string {
  return [gvk.group || '~G', gvk.version || '~V', gvk.kind || '~K'].join('_');
}

function gvkString(gvk: Gvk): string {
  return [gvk.kind || '[noKind]', gvk.version || '[noVer]', gvk.group || '[noGrp]'].join('.');
}

function goLess(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) < 0;
}

function legacyLess(a: ResId, b: ResId): boolean {
  const sameGvk = a.group === b.group && a.version === b.version && a.kind === b.kind;
  if (!sameGvk) {
    const ia = typeOrder.get(a.kind) ?? 0;
    const ib = typeOrder.get(b.kind) ?? 0;
    if (ia !== ib) return ia < ib;
    if (a.kind === 'Namespace' && b.kind === 'Namespace' && (a.group === '' || b.group === '')) return goLess(gvkSortString(b), gvkSortString(a));
    return goLess(gvkSortString(a), gvkSortString(b));
  }
  const key = (id: ResId) => [gvkString(id), id.namespace || '~X', id.name || '~N'].join('|');
  return goLess(key(a), key(b));
}

/** Sorts resources in kustomize's legacy order (`kustomize build` without `sortOptions`). */
export function sortLegacy(resources: readonly Resource[]): Resource[] {
  const ids = new Map(resources.map((resource) => [resource, resource.id]));
  return [...resources].sort((x, y) => {
    const a = ids.get(x) as ResId;
    const b = ids.get(y) as ResId;
    if (legacyLess(a, b)) return -1;
    if (legacyLess(b, a)) return 1;
    return 0;
  });
}
