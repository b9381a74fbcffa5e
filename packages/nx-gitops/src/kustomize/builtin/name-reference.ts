import { GitopsError } from '../../lib/errors';
import { type ManifestObject, type ManifestValue, isManifestObject } from '../../manifests/yaml';
import { type FieldSpec, visitFieldPath } from './field-specs';
import { type Gvk, type Resource, type ResId, describeId, effectiveNamespace, gvkSelected, isClusterScoped } from './resource';

interface BackReference {
  target: Partial<Gvk>;
  referrers: FieldSpec[];
}

/** Pod-spec locations per workload kind, as kustomize's default name-reference configuration lists them. */
const POD_SPECS: ReadonlyArray<{ prefix: string; gvk: Partial<Gvk> }> = [
  { prefix: 'spec', gvk: { version: 'v1', kind: 'Pod' } },
  { prefix: 'template/spec', gvk: { kind: 'PodTemplate' } },
  { prefix: 'spec/template/spec', gvk: { kind: 'Deployment' } },
  { prefix: 'spec/template/spec', gvk: { kind: 'ReplicaSet' } },
  { prefix: 'spec/template/spec', gvk: { kind: 'DaemonSet' } },
  { prefix: 'spec/template/spec', gvk: { kind: 'StatefulSet' } },
  { prefix: 'spec/template/spec', gvk: { kind: 'Job' } },
  { prefix: 'spec/jobTemplate/spec/template/spec', gvk: { kind: 'CronJob' } },
];

function podPaths(suffixes: string[]): FieldSpec[] {
  return POD_SPECS.flatMap(({ prefix, gvk }) => suffixes.map((suffix) => ({ path: `${prefix}/${suffix}`, ...gvk })));
}

const SA_KINDS = ['StatefulSet', 'Deployment', 'ReplicationController', 'Job', 'DaemonSet'];

function workloadPaths(suffix: string): FieldSpec[] {
  return [{ path: `spec/${suffix}`, kind: 'Pod' }, ...SA_KINDS.map((kind) => ({ path: `spec/template/spec/${suffix}`, kind })), { path: `spec/jobTemplate/spec/template/spec/${suffix}`, kind: 'CronJob' }];
}

/** kustomize's default name-reference configuration (builtinpluginconsts/namereference.go, kustomize/v5.5.0), as data. */
const BACK_REFERENCES: readonly BackReference[] = [
  ...['Deployment', 'ReplicationController', 'ReplicaSet', 'StatefulSet'].map((kind) => ({ target: { kind }, referrers: [{ path: 'spec/scaleTargetRef/name', kind: 'HorizontalPodAutoscaler' }] })),
  {
    target: { version: 'v1', kind: 'ConfigMap' },
    referrers: [
      ...podPaths(['volumes/configMap/name', 'containers/env/valueFrom/configMapKeyRef/name', 'initContainers/env/valueFrom/configMapKeyRef/name', 'containers/envFrom/configMapRef/name', 'initContainers/envFrom/configMapRef/name', 'volumes/projected/sources/configMap/name']),
      { path: 'spec/configSource/configMap', kind: 'Node' },
      { path: 'rules/resourceNames', kind: 'Role' },
      { path: 'rules/resourceNames', kind: 'ClusterRole' },
      { path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap', kind: 'Ingress' },
    ],
  },
  {
    target: { version: 'v1', kind: 'Secret' },
    referrers: [
      ...podPaths(['volumes/secret/secretName', 'containers/env/valueFrom/secretKeyRef/name', 'initContainers/env/valueFrom/secretKeyRef/name', 'containers/envFrom/secretRef/name', 'initContainers/envFrom/secretRef/name', 'imagePullSecrets/name', 'volumes/projected/sources/secret/name']),
      { path: 'spec/tls/secretName', kind: 'Ingress' },
      { path: 'metadata/annotations/ingress.kubernetes.io\\/auth-secret', kind: 'Ingress' },
      { path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret', kind: 'Ingress' },
      { path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret', kind: 'Ingress' },
      { path: 'imagePullSecrets/name', kind: 'ServiceAccount' },
      { path: 'parameters/secretName', kind: 'StorageClass' },
      { path: 'parameters/adminSecretName', kind: 'StorageClass' },
      { path: 'parameters/userSecretName', kind: 'StorageClass' },
      { path: 'parameters/secretRef', kind: 'StorageClass' },
      { path: 'rules/resourceNames', kind: 'Role' },
      { path: 'rules/resourceNames', kind: 'ClusterRole' },
      { path: 'spec/template/spec/containers/env/valueFrom/secretKeyRef/name', kind: 'Service', group: 'serving.knative.dev', version: 'v1' },
      { path: 'spec/azureFile/secretName', kind: 'PersistentVolume' },
    ],
  },
  {
    target: { version: 'v1', kind: 'Service' },
    referrers: [
      { path: 'spec/serviceName', kind: 'StatefulSet', group: 'apps' },
      { path: 'spec/rules/http/paths/backend/serviceName', kind: 'Ingress' },
      { path: 'spec/backend/serviceName', kind: 'Ingress' },
      { path: 'spec/rules/http/paths/backend/service/name', kind: 'Ingress' },
      { path: 'spec/defaultBackend/service/name', kind: 'Ingress' },
      { path: 'spec/service/name', kind: 'APIService', group: 'apiregistration.k8s.io' },
      { path: 'webhooks/clientConfig/service', kind: 'ValidatingWebhookConfiguration', group: 'admissionregistration.k8s.io' },
      { path: 'webhooks/clientConfig/service', kind: 'MutatingWebhookConfiguration', group: 'admissionregistration.k8s.io' },
    ],
  },
  { target: { kind: 'Role', group: 'rbac.authorization.k8s.io' }, referrers: [{ path: 'roleRef/name', kind: 'RoleBinding', group: 'rbac.authorization.k8s.io' }] },
  {
    target: { kind: 'ClusterRole', group: 'rbac.authorization.k8s.io' },
    referrers: [
      { path: 'roleRef/name', kind: 'RoleBinding', group: 'rbac.authorization.k8s.io' },
      { path: 'roleRef/name', kind: 'ClusterRoleBinding', group: 'rbac.authorization.k8s.io' },
    ],
  },
  {
    target: { version: 'v1', kind: 'ServiceAccount' },
    referrers: [
      { path: 'subjects', kind: 'RoleBinding', group: 'rbac.authorization.k8s.io' },
      { path: 'subjects', kind: 'ClusterRoleBinding', group: 'rbac.authorization.k8s.io' },
      ...workloadPaths('serviceAccountName'),
    ],
  },
  { target: { version: 'v1', kind: 'PersistentVolumeClaim' }, referrers: workloadPaths('volumes/persistentVolumeClaim/claimName') },
  {
    target: { version: 'v1', kind: 'PersistentVolume' },
    referrers: [
      { path: 'spec/volumeName', kind: 'PersistentVolumeClaim' },
      { path: 'rules/resourceNames', kind: 'ClusterRole' },
    ],
  },
  {
    target: { version: 'v1', group: 'storage.k8s.io', kind: 'StorageClass' },
    referrers: [
      { path: 'spec/storageClassName', kind: 'PersistentVolume' },
      { path: 'spec/storageClassName', kind: 'PersistentVolumeClaim' },
      { path: 'spec/volumeClaimTemplates/spec/storageClassName', kind: 'StatefulSet' },
    ],
  },
  { target: { version: 'v1', group: 'scheduling.k8s.io', kind: 'PriorityClass' }, referrers: workloadPaths('priorityClassName') },
  { target: { version: 'v1', group: 'networking.k8s.io/v1', kind: 'IngressClass' }, referrers: [{ path: 'spec/ingressClassName', kind: 'Ingress' }] },
  { target: { group: 'admissionregistration.k8s.io', kind: 'ValidatingAdmissionPolicy' }, referrers: [{ path: 'spec/policyName', kind: 'ValidatingAdmissionPolicyBinding', group: 'admissionregistration.k8s.io' }] },
];

function sameEndingSubSlice(a: readonly string[], b: readonly string[]): boolean {
  const [shortest, longest] = a.length > b.length ? [b, a] : [a, b];
  const diff = longest.length - shortest.length;
  if (shortest.length === 0) return diff === 0;
  for (let i = shortest.length - 1; i >= 0; i--) if (longest[i + diff] !== shortest[i]) return false;
  return true;
}

function affixesEqual(a: Resource, b: Resource, allowEmpty: boolean): boolean {
  if (allowEmpty) {
    const prefixOk = a.prefixes.length === 0 || b.prefixes.length === 0 || sameEndingSubSlice(a.prefixes, b.prefixes);
    const suffixOk = a.suffixes.length === 0 || b.suffixes.length === 0 || sameEndingSubSlice(a.suffixes, b.suffixes);
    return prefixOk && suffixOk;
  }
  return sameEndingSubSlice(a.prefixes, b.prefixes) && sameEndingSubSlice(a.suffixes, b.suffixes);
}

function nsEquals(a: ResId, b: ResId): boolean {
  return effectiveNamespace(a) === effectiveNamespace(b);
}

/** Resources a referrer may point at: all for a cluster-scoped referrer, else cluster-scoped ones and its namespace's. */
function candidatesFor(referrer: Resource, resources: readonly Resource[]): Resource[] {
  const referrerId = referrer.id;
  if (isClusterScoped(referrerId)) return [...resources];
  const bindingNamespaces = new Set<string>();
  if ((referrerId.kind === 'RoleBinding' || referrerId.kind === 'ClusterRoleBinding') && Array.isArray(referrer.object.subjects)) {
    for (const subject of referrer.object.subjects) {
      if (isManifestObject(subject) && subject.kind === 'ServiceAccount' && typeof subject.namespace === 'string') bindingNamespaces.add(subject.namespace);
    }
  }
  return resources.filter((target) => isClusterScoped(target.id) || nsEquals(target.id, referrerId) || bindingNamespaces.has(target.namespace));
}

function selectReferral(options: { oldName: string; candidates: Resource[]; referrer: Resource; target: Partial<Gvk>; fieldSpec: FieldSpec; compareNamespaces: boolean }): Resource | undefined {
  const { referrer, target, fieldSpec } = options;
  let candidates = options.candidates.filter((r) => r.prevIds.some((id) => id.name === options.oldName));
  candidates = candidates.filter((r) => r.prevIds.some((id) => gvkSelected(id, target)));
  if (fieldSpec.path.endsWith('roleRef/name')) {
    const roleRef = referrer.object.roleRef;
    if (isManifestObject(roleRef) && typeof roleRef.apiGroup === 'string' && typeof roleRef.kind === 'string') {
      const selector = { group: roleRef.apiGroup, kind: roleRef.kind };
      candidates = candidates.filter((r) => r.prevIds.some((id) => gvkSelected(id, selector)));
    }
  }
  const referrerId = referrer.id;
  if (!isClusterScoped(referrerId)) {
    candidates = candidates.filter((r) => isClusterScoped(r.id) || r.gvk.kind === 'ServiceAccount' || nsEquals(referrerId, r.id));
  }
  if (candidates.length === 1) return candidates[0];
  candidates = candidates.filter((r) => affixesEqual(r, referrer, true));
  if (candidates.length > 1) candidates = candidates.filter((r) => affixesEqual(r, referrer, false));
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) return undefined;
  const [first] = candidates;
  if (candidates.every((r) => r.name === first.name && (!options.compareNamespaces || r.namespace === first.namespace))) return first;
  throw new GitopsError(`found multiple possible referrals: ${candidates.map((r) => describeId(r.id)).join(', ')} (referred to by ${describeId(referrerId)} at ${fieldSpec.path}).`, {
    hint: 'Give the resources distinct names, or put them in different namespaces.',
  });
}

function filterByNamespace(candidates: Resource[], namespace: string): Resource[] {
  const original = candidates.filter((r) => !isClusterScoped(r.originalId) && effectiveNamespace(r.originalId) === namespace);
  if (original.length > 0) return original;
  return candidates.filter((r) => !isClusterScoped(r.id) && effectiveNamespace(r.id) === namespace);
}

function fixValue(options: { node: ManifestObject; key: string; referrer: Resource; candidates: Resource[]; target: Partial<Gvk>; fieldSpec: FieldSpec }): void {
  const { node, key } = options;
  const value = node[key];
  const setScalar = (oldName: string): string => {
    const referral = selectReferral({ ...options, oldName, compareNamespaces: false });
    return referral ? referral.name : oldName;
  };
  const setMapping = (mapping: ManifestObject): void => {
    if (typeof mapping.name !== 'string') {
      throw new GitopsError(`${describeId(options.referrer.id)}: ${options.fieldSpec.path} has no name field.`, { hint: 'Fix the reference; kustomize needs a name there.' });
    }
    const candidates = typeof mapping.namespace === 'string' ? filterByNamespace(options.candidates, mapping.namespace) : options.candidates;
    const referral = selectReferral({ ...options, candidates, oldName: mapping.name, compareNamespaces: true });
    if (!referral) return;
    if (referral.name === mapping.name && referral.namespace === '') return;
    mapping.name = referral.name;
    if (referral.namespace !== '') mapping.namespace = referral.namespace;
  };
  if (value === null || value === undefined) return;
  if (typeof value === 'string') node[key] = setScalar(value);
  else if (isManifestObject(value)) setMapping(value);
  else if (Array.isArray(value)) {
    value.forEach((item: ManifestValue, index) => {
      if (typeof item === 'string') value[index] = setScalar(item);
      else if (isManifestObject(item)) setMapping(item);
    });
  }
}

/**
 * Rewrites references to renamed resources (ConfigMaps and Secrets in pod specs, Services, ServiceAccounts
 * in RBAC subjects, roles in role bindings…) to their new names, as kustomize's name-reference
 * transformer does after a build, using the ids each resource had before it was renamed.
 */
export function fixNameReferences(resources: readonly Resource[]): void {
  const candidatesByReferrer = new Map<Resource, Resource[]>();
  for (const backReference of BACK_REFERENCES) {
    for (const fieldSpec of backReference.referrers) {
      for (const referrer of resources) {
        if (!gvkSelected(referrer.originalId, fieldSpec)) continue;
        let candidates = candidatesByReferrer.get(referrer);
        if (!candidates) candidatesByReferrer.set(referrer, (candidates = candidatesFor(referrer, resources)));
        const found = candidates;
        visitFieldPath({
          object: referrer.object,
          path: fieldSpec.path,
          create: false,
          visit: (node, key) => fixValue({ node, key, referrer, candidates: found, target: backReference.target, fieldSpec }),
        });
      }
    }
  }
}
