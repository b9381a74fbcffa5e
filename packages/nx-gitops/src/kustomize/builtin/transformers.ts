import { GitopsError } from '../../lib/errors';
import { type ManifestObject, type ManifestValue, isManifestObject } from '../../manifests/yaml';
import { COMMON_ANNOTATION_SPECS, COMMON_LABEL_SPECS, type FieldSpec, IMAGE_SPECS, METADATA_LABEL_SPECS, REPLICA_SPECS, fieldSpecMatches, visitFieldPath } from './field-specs';
import { type Resource, describeId, gvkSelected, isClusterScoped } from './resource';

/** Sets `metadata.namespace` (and the namespace fields kustomize's default configuration lists), as the `namespace` field does. */
export function applyNamespace(resources: readonly Resource[], namespace: string): void {
  if (!namespace) return;
  for (const resource of resources) {
    if (Object.keys(resource.object).length === 0) continue;
    resource.storePreviousId();
    const gvk = resource.gvk;
    const object = resource.object;
    if (!isClusterScoped(gvk)) resource.metadata().namespace = namespace;
    if (gvk.kind === 'Namespace' && object.apiVersion === 'v1') resource.metadata().name = namespace;
    if (gvk.kind === 'APIService' && gvk.group === 'apiregistration.k8s.io') {
      visitFieldPath({ object, path: 'spec/service/namespace', create: true, createLeaf: () => namespace, visit: (container, key) => (container[key] = namespace) });
    }
    if (gvk.kind === 'CustomResourceDefinition' && gvk.group === 'apiextensions.k8s.io') {
      visitFieldPath({ object, path: 'spec/conversion/webhook/clientConfig/service/namespace', create: false, visit: (container, key) => (container[key] = namespace) });
    }
    if ((gvk.kind === 'RoleBinding' || gvk.kind === 'ClusterRoleBinding') && Array.isArray(object.subjects)) {
      for (const subject of object.subjects) if (isManifestObject(subject) && subject.name === 'default') subject.namespace = namespace;
    }
  }
  const seen = new Set<string>();
  for (const resource of resources) {
    const key = describeId(resource.id);
    if (seen.has(key)) throw new GitopsError(`namespace transformation produces ID conflict: ${key}.`, { hint: 'Two resources end up with the same id; rename one.' });
    seen.add(key);
  }
}

const PREFIX_SKIPPED: ReadonlyArray<{ group?: string; kind: string }> = [{ kind: 'CustomResourceDefinition' }, { group: 'apiregistration.k8s.io', kind: 'APIService' }, { kind: 'Namespace' }];

/** Adds `namePrefix` or `nameSuffix` to every name except CRDs, APIServices and Namespaces, recording the old ids. */
export function applyNameAffix(resources: readonly Resource[], affix: { prefix?: string; suffix?: string }): void {
  for (const resource of resources) {
    if (PREFIX_SKIPPED.some((skip) => gvkSelected(resource.originalId, skip))) continue;
    if (affix.prefix) {
      resource.prefixes.push(affix.prefix);
      resource.storePreviousId();
      resource.name = affix.prefix + resource.name;
    }
    if (affix.suffix) {
      resource.suffixes.push(affix.suffix);
      resource.storePreviousId();
      resource.name = resource.name + affix.suffix;
    }
  }
}

/** Writes each key of `pairs` into the string maps the field specs select (labels, selectors, annotations). */
function applyStringMap(resources: readonly Resource[], pairs: Record<string, string>, specs: readonly FieldSpec[]): void {
  if (Object.keys(pairs).length === 0) return;
  for (const resource of resources) {
    for (const fieldSpec of dedupeSpecs(specs)) {
      if (!fieldSpecMatches(fieldSpec, resource.object)) continue;
      visitFieldPath({
        object: resource.object,
        path: fieldSpec.path,
        create: fieldSpec.create ?? false,
        createLeaf: () => ({}),
        visit: (container, key) => {
          let map = container[key];
          if (map === null) return;
          if (!isManifestObject(map)) {
            throw new GitopsError(`${describeId(resource.id)}: ${fieldSpec.path} is not a mapping.`, { hint: 'kustomize writes labels and annotations into mappings only; fix the resource.' });
          }
          map = map as ManifestObject;
          for (const [name, value] of Object.entries(pairs)) map[name] = value;
        },
      });
    }
  }
}

function dedupeSpecs(specs: readonly FieldSpec[]): FieldSpec[] {
  const seen = new Set<string>();
  return specs.filter((fieldSpec) => {
    const key = `${fieldSpec.path}|${fieldSpec.group ?? ''}|${fieldSpec.version ?? ''}|${fieldSpec.kind ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** One entry of `labels`. */
export interface LabelEntry {
  pairs: Record<string, string>;
  includeSelectors?: boolean;
  includeTemplates?: boolean;
}

/** Applies `labels` entries then `commonLabels`, with the field specs kustomize picks for each. */
export function applyLabels(resources: readonly Resource[], labels: readonly LabelEntry[], commonLabels: Record<string, string>): void {
  for (const label of labels) {
    let specs: readonly FieldSpec[];
    if (label.includeSelectors) specs = COMMON_LABEL_SPECS;
    else if (label.includeTemplates) specs = [...METADATA_LABEL_SPECS, { path: 'metadata/labels', create: true }];
    else specs = [{ path: 'metadata/labels', create: true }];
    applyStringMap(resources, label.pairs, specs);
  }
  applyStringMap(resources, commonLabels, COMMON_LABEL_SPECS);
}

/** Applies `commonAnnotations`. */
export function applyAnnotations(resources: readonly Resource[], annotations: Record<string, string>): void {
  applyStringMap(resources, annotations, COMMON_ANNOTATION_SPECS);
}

/** One entry of `images`. */
export interface ImageEntry {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** kustomize's image split: name, tag and digest of an image reference. */
export function splitImage(image: string): { name: string; tag: string; digest: string } {
  const slash = image.indexOf('/');
  const offset = slash > 0 ? slash : 0;
  const search = image.slice(offset);
  const at = search.indexOf('@');
  const colon = search.indexOf(':');
  if (colon < 0 && at < 0) return { name: image, tag: '', digest: '' };
  if (at >= 0 && (at < colon || colon < 0)) return { name: image.slice(0, at + offset), tag: '', digest: image.slice(at + offset + 1) };
  if (at >= 0 && colon >= 0) return { name: image.slice(0, colon + offset), tag: image.slice(colon + offset + 1, at + offset), digest: image.slice(at + offset + 1) };
  return { name: image.slice(0, colon + offset), tag: image.slice(colon + offset + 1), digest: '' };
}

function updateImage(value: string, entry: ImageEntry): string {
  let pattern: RegExp;
  try {
    pattern = new RegExp(`^${entry.name}(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`);
  } catch {
    return value;
  }
  if (!pattern.test(value)) return value;
  let { name, tag, digest } = splitImage(value);
  if (entry.newName) name = entry.newName;
  if (entry.newTag && entry.digest) {
    tag = entry.newTag;
    digest = entry.digest;
  } else if (entry.newTag) {
    tag = entry.newTag;
    digest = '';
  } else if (entry.digest) {
    tag = '';
    digest = entry.digest;
  }
  return `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

function updateContainers(list: ManifestValue | undefined, entry: ImageEntry): void {
  if (!Array.isArray(list)) return;
  for (const container of list) {
    if (isManifestObject(container) && typeof container.image === 'string') container.image = updateImage(container.image, entry);
  }
}

function walkContainers(node: ManifestValue, entry: ImageEntry): void {
  if (Array.isArray(node)) {
    for (const item of node) walkContainers(item, entry);
    return;
  }
  if (!isManifestObject(node)) return;
  for (const key of Object.keys(node)) {
    walkContainers(node[key], entry);
    if (key === 'containers' || key === 'initContainers') updateContainers(node[key], entry);
  }
}

/** Applies `images`: every `containers`/`initContainers` image anywhere (not in CRDs), then the default image fields. */
export function applyImages(resources: readonly Resource[], images: readonly ImageEntry[]): void {
  for (const entry of images) {
    for (const resource of resources) {
      if (resource.gvk.kind !== 'CustomResourceDefinition') walkContainers(resource.object, entry);
      for (const fieldSpec of IMAGE_SPECS) {
        visitFieldPath({
          object: resource.object,
          path: fieldSpec.path,
          create: false,
          visit: (container, key) => {
            const value = container[key];
            if (typeof value === 'string') container[key] = updateImage(value, entry);
          },
        });
      }
    }
  }
}

/** Applies `replicas`: sets `spec.replicas` of the workloads whose current or former name matches; fails when none does. */
export function applyReplicas(resources: readonly Resource[], replicas: ReadonlyArray<{ name: string; count: number }>): void {
  for (const replica of replicas) {
    let found = false;
    for (const fieldSpec of REPLICA_SPECS) {
      for (const resource of resources) {
        const ids = [...resource.prevIds, resource.id];
        if (!ids.some((id) => id.name === replica.name && gvkSelected(id, fieldSpec))) continue;
        found = true;
        if (!fieldSpecMatches(fieldSpec, resource.object)) continue;
        visitFieldPath({ object: resource.object, path: fieldSpec.path, create: true, createLeaf: () => replica.count, visit: (container, key) => (container[key] = replica.count) });
      }
    }
    if (!found) {
      throw new GitopsError(`replicas: no Deployment, ReplicationController, ReplicaSet or StatefulSet is named ${replica.name}.`, { hint: 'Fix the name in the replicas field.' });
    }
  }
}
