import { isManifestObject, marshalYaml, type ManifestDocument, type ManifestObject, type ManifestValue } from '../manifests/yaml';
import { tryParseImageReference } from '../skaffold/image-reference';
import { unifiedDiff } from './line-diff';

/** What identifies a Kubernetes object in a diff: its apiVersion, kind, namespace and name. */
export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  /** `''` for an object without a namespace (cluster-scoped, or left to the default). */
  namespace: string;
  name: string;
}

/** How one object differs between the branch and the render. */
export type ObjectChangeKind = 'added' | 'removed' | 'changed';

/** The keys of a Secret's `data` and `stringData` that differ; never their values. */
export interface SecretKeyChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

/** One object that was added, removed or changed. */
export interface ObjectChange extends ObjectIdentity {
  /** `apiVersion kind namespace/name`, unique within one manifest (a duplicate gets ` #2`, …). */
  key: string;
  change: ObjectChangeKind;
  /** For a changed object, the unified diff of its YAML, with Secret values masked. */
  diff?: string;
  /** For a Secret, which keys of `data`/`stringData` were added, removed or changed. */
  secretKeys?: SecretKeyChanges;
}

/** An image repository whose references differ between the branch and the render. */
export interface ImageChange {
  /** The repository, without tag or digest (`registry.example.com/foo`). */
  repository: string;
  /** Every `:tag@digest` of it on the branch, sorted (`[]` when the branch does not use it). */
  before: string[];
  /** Every `:tag@digest` of it in the render, sorted (`[]` when the render no longer uses it). */
  after: string[];
}

/** Counts of a diff, as the summary table shows them. */
export interface DiffCounts {
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
  imagesChanged: number;
}

/** The difference between the objects on a branch and those of a render. */
export interface ManifestDiff {
  /** Changed objects, sorted by key. */
  objects: ObjectChange[];
  images: ImageChange[];
  counts: DiffCounts;
}

/** What a masked Secret value reads in a diff. */
export const MASKED_VALUE = '(masked)';
/** What a masked Secret value reads on the side where it differs from the other. */
export const MASKED_CHANGED_VALUE = '(masked, changed)';

/** The annotation `kubectl apply` writes, which repeats the whole object (Secret values included). */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const SECRET_FIELDS = ['data', 'stringData'] as const;

function text(value: ManifestValue | undefined): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

/** The identity of a manifest document (missing fields read as `''`). */
export function objectIdentity(document: ManifestDocument): ObjectIdentity {
  const metadata = isManifestObject(document.metadata) ? document.metadata : {};
  return { apiVersion: text(document.apiVersion), kind: text(document.kind), namespace: text(metadata.namespace), name: text(metadata.name) };
}

/** `apiVersion kind namespace/name` (`apiVersion kind name` without a namespace). */
export function objectKey(identity: ObjectIdentity): string {
  return `${identity.apiVersion} ${identity.kind} ${identity.namespace ? `${identity.namespace}/` : ''}${identity.name}`;
}

/** True for a core `v1` Secret, whose `data` and `stringData` values are never shown. */
export function isSecret(document: ManifestDocument): boolean {
  return document.kind === 'Secret' && document.apiVersion === 'v1';
}

/** The documents keyed by {@link objectKey}; a key seen again gets ` #2`, ` #3`, … in document order. */
function keyed(documents: readonly ManifestDocument[]): Map<string, ManifestDocument> {
  const byKey = new Map<string, ManifestDocument>();
  for (const document of documents) {
    const base = objectKey(objectIdentity(document));
    let key = base;
    for (let count = 2; byKey.has(key); count++) key = `${base} #${count}`;
    byKey.set(key, document);
  }
  return byKey;
}

function secretMap(document: ManifestDocument | undefined, field: (typeof SECRET_FIELDS)[number]): ManifestObject {
  const value = document?.[field];
  return isManifestObject(value) ? value : {};
}

/** Which keys of a Secret's `data` and `stringData` differ between two versions (`stringData.x` is reported as such). */
export function secretKeyChanges(before: ManifestDocument | undefined, after: ManifestDocument | undefined): SecretKeyChanges {
  const changes: SecretKeyChanges = { added: [], removed: [], changed: [] };
  for (const field of SECRET_FIELDS) {
    const old = secretMap(before, field);
    const now = secretMap(after, field);
    for (const key of [...new Set([...Object.keys(old), ...Object.keys(now)])].sort()) {
      const name = field === 'data' ? key : `${field}.${key}`;
      if (!(key in old)) changes.added.push(name);
      else if (!(key in now)) changes.removed.push(name);
      else if (marshalYaml(old[key]) !== marshalYaml(now[key])) changes.changed.push(name);
    }
  }
  return changes;
}

/**
 * A copy of a Secret that shows its keys but none of its values: every value of `data` and `stringData`
 * reads {@link MASKED_VALUE}, or {@link MASKED_CHANGED_VALUE} where it differs from `previous` (the same
 * Secret on the branch, given when masking the render's side), so a diff shows which key changed and
 * nothing of what it holds.
 * A `data`/`stringData` that is not a mapping, and the last-applied-configuration annotation, are masked
 * whole. Other documents are returned as they are.
 */
export function maskSecret(document: ManifestDocument, previous?: ManifestDocument): ManifestDocument {
  if (!isSecret(document)) return document;
  const masked: ManifestDocument = { ...document };
  for (const field of SECRET_FIELDS) {
    const value = document[field];
    if (value === undefined || value === null) continue;
    if (!isManifestObject(value)) {
      masked[field] = previous && marshalYaml(value) !== marshalYaml(previous[field] ?? null) ? MASKED_CHANGED_VALUE : MASKED_VALUE;
      continue;
    }
    const previousValues = secretMap(previous, field);
    masked[field] = Object.fromEntries(
      Object.keys(value).map((key) => {
        const changed = previous !== undefined && key in previousValues && marshalYaml(previousValues[key]) !== marshalYaml(value[key]);
        return [key, changed ? MASKED_CHANGED_VALUE : MASKED_VALUE];
      }),
    );
  }
  const metadata = document.metadata;
  if (isManifestObject(metadata) && isManifestObject(metadata.annotations) && LAST_APPLIED in metadata.annotations) {
    masked.metadata = { ...metadata, annotations: { ...metadata.annotations, [LAST_APPLIED]: MASKED_VALUE } };
  }
  return masked;
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** Every image a document's containers name (any `containers`, `initContainers` or `ephemeralContainers` list, at any depth). */
export function imagesOf(document: ManifestDocument): string[] {
  if (isSecret(document)) return [];
  const found: string[] = [];
  const visit = (value: ManifestValue, key: string | undefined) => {
    if (Array.isArray(value)) {
      for (const item of value) {
        if (key !== undefined && CONTAINER_LISTS.has(key) && isManifestObject(item) && typeof item.image === 'string') found.push(item.image);
        visit(item, undefined);
      }
    } else if (isManifestObject(value)) {
      for (const [child, entry] of Object.entries(value)) visit(entry, child);
    }
  };
  visit(document, undefined);
  return found;
}

/** Images grouped by repository: repository → the set of `:tag@digest` suffixes it appears with. */
function imagesByRepository(documents: readonly ManifestDocument[]): Map<string, Set<string>> {
  const byRepository = new Map<string, Set<string>>();
  for (const image of documents.flatMap(imagesOf)) {
    const parsed = tryParseImageReference(image);
    const repository = parsed?.baseName ?? image;
    const version = parsed ? `${parsed.tag ? `:${parsed.tag}` : ''}${parsed.digest ? `@${parsed.digest}` : ''}` : '';
    byRepository.set(repository, (byRepository.get(repository) ?? new Set()).add(version));
  }
  return byRepository;
}

/** The image repositories whose tags or digests differ between two sets of documents, sorted. */
export function diffImages(before: readonly ManifestDocument[], after: readonly ManifestDocument[]): ImageChange[] {
  const old = imagesByRepository(before);
  const now = imagesByRepository(after);
  const changes: ImageChange[] = [];
  for (const repository of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const was = [...(old.get(repository) ?? [])].sort();
    const is = [...(now.get(repository) ?? [])].sort();
    if (was.join('\n') !== is.join('\n') || was.length !== is.length) changes.push({ repository, before: was, after: is });
  }
  return changes;
}

/**
 * Compares the objects on a branch (`before`; `null` when the branch or the file does not exist: every
 * object is added) with those of a render (`after`). Objects are matched by apiVersion, kind, namespace and
 * name, so the order of documents and of mapping keys does not matter; a changed object comes with a
 * unified diff of its YAML (`context` lines around each change, default 3) in which Secret values are masked.
 */
export function diffManifestObjects(options: {
  before: readonly ManifestDocument[] | null;
  after: readonly ManifestDocument[];
  context?: number;
  /** Labels of the two sides in the unified diffs' headers (default `branch` and `render`). */
  beforeLabel?: string;
  afterLabel?: string;
}): ManifestDiff {
  const before = keyed(options.before ?? []);
  const after = keyed(options.after);
  const objects: ObjectChange[] = [];
  let unchanged = 0;
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const old = before.get(key);
    const now = after.get(key);
    const identity = objectIdentity((now ?? old)!);
    const secret = isSecret((now ?? old)!);
    const secretKeys = secret ? { secretKeys: secretKeyChanges(old, now) } : {};
    if (!old) {
      objects.push({ ...identity, key, change: 'added', ...secretKeys });
    } else if (!now) {
      objects.push({ ...identity, key, change: 'removed', ...secretKeys });
    } else if (marshalYaml(old) === marshalYaml(now)) {
      unchanged++;
    } else {
      const diff = unifiedDiff({
        before: marshalYaml(maskSecret(old)),
        after: marshalYaml(maskSecret(now, old)),
        beforeLabel: `${options.beforeLabel ?? 'branch'}: ${key}`,
        afterLabel: `${options.afterLabel ?? 'render'}: ${key}`,
        context: options.context,
      });
      objects.push({ ...identity, key, change: 'changed', diff, ...secretKeys });
    }
  }
  const images = diffImages(options.before ?? [], options.after);
  const count = (change: ObjectChangeKind) => objects.filter((object) => object.change === change).length;
  return {
    objects,
    images,
    counts: { added: count('added'), changed: count('changed'), removed: count('removed'), unchanged, imagesChanged: images.length },
  };
}

/** True when a diff has any added, removed or changed object. */
export function hasChanges(diff: Pick<ManifestDiff, 'counts'>): boolean {
  return diff.counts.added + diff.counts.changed + diff.counts.removed > 0;
}
