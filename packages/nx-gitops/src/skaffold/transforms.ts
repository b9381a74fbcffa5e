import { GitopsError } from '../lib/errors';
import { type ManifestDocument, type ManifestObject, type ManifestValue, cloneManifest, isManifestObject } from '../manifests/yaml';
import {
  type FieldVisitor,
  type GroupKind,
  type ResourceSelector,
  createResourceSelector,
  groupKindKey,
  isConfigConnector,
  shouldTransformManifest,
  visitManifest,
} from './replace-images';

/** Options shared by {@link applyLabels} and {@link applyNamespace}. */
export interface TransformOptions {
  /** Which kinds to touch; default: skaffold's defaults only. Pass the one given to `replaceImages`. */
  selector?: ResourceSelector;
}

const metadataField = 'metadata';
/** skaffold overwrites this one label even when it is already set. */
const runIdLabel = 'skaffold.dev/run-id';

/**
 * Adds labels like skaffold's `ManifestList.SetLabels` (what `skaffold render -l k=v` does): every `metadata`
 * map of allowlisted kinds, at any depth (so pod templates too), gets the labels it does not have yet;
 * existing keys are kept. Job `.spec.template.metadata` and StatefulSet `.spec.volumeClaimTemplates.metadata`
 * are skipped by the default denylist. Returns new documents; the inputs are not modified.
 */
export function applyLabels(
  documents: readonly ManifestDocument[],
  labels: Readonly<Record<string, string>>,
  { selector = createResourceSelector() }: TransformOptions = {},
): ManifestDocument[] {
  if (Object.keys(labels).length === 0) return documents.map((document) => cloneManifest(document));
  const setter: FieldVisitor = (groupKind, path, _object, key, value) => {
    const labelsField = labelsFieldFor(selector, groupKind, path, key);
    if (labelsField === undefined) return true;
    if (!isManifestObject(value)) return true;
    const existing = value[labelsField];
    if (existing === undefined) {
      setData(value, labelsField, { ...labels });
      return false;
    }
    if (!isManifestObject(existing)) return true;
    for (const [name, labelValue] of Object.entries(labels)) {
      if (!Object.prototype.hasOwnProperty.call(existing, name) || name === runIdLabel) {
        setData(existing, name, labelValue);
      }
    }
    return false;
  };
  return documents.map((document) => {
    const copy = cloneManifest(document);
    visitManifest(copy, setter, selector);
    return copy;
  });
}

/**
 * `ResourceSelectorLabels.allowByNavpath`: the name of the labels map to fill inside the field at `path`,
 * or undefined when the field is not a metadata map that may be labelled.
 */
function labelsFieldFor(selector: ResourceSelector, groupKind: GroupKind, path: string, key: string): string | undefined {
  if (isConfigConnector(groupKind)) return key === metadataField ? 'labels' : undefined;
  const kindKey = groupKindKey(groupKind);
  for (const denyPath of selector.deny.get(kindKey)?.labels ?? []) {
    if (denyPath === '.*') return undefined;
    const lastDot = denyPath.lastIndexOf('.');
    if (lastDot === -1) break;
    if (path === denyPath.slice(0, lastDot)) return undefined;
  }
  for (const allowPath of selector.allow.get(kindKey)?.labels ?? []) {
    if (allowPath === '.*') return key === metadataField ? 'labels' : undefined;
    const lastDot = allowPath.lastIndexOf('.');
    if (lastDot === -1) continue;
    if (path === allowPath.slice(0, lastDot)) return allowPath.slice(lastDot + 1);
  }
  return undefined;
}

/** A manifest whose own namespace was kept although another one was requested. */
export interface NamespaceConflict {
  kind: string;
  name: string;
  /** The namespace written in the manifest, which stays. */
  existing: string;
  /** The namespace that was asked for. */
  requested: string;
  /** A sentence for the log. */
  message: string;
}

/** What {@link applyNamespace} returns. */
export interface ApplyNamespaceResult {
  documents: ManifestDocument[];
  /** One entry per manifest that kept a different namespace, in document order. */
  warnings: NamespaceConflict[];
}

const defaultNamespace = 'default';

/**
 * Sets `metadata.namespace` like skaffold's `ManifestList.SetNamespace` (`skaffold render -n X`): only on
 * allowlisted kinds (a ConfigMap is left alone), when the namespace is missing, empty or already equal.
 * A different existing namespace is kept and reported in `warnings` (except when the requested one is
 * `default`, which skaffold does not report). An empty `namespace` means `default`.
 * Returns new documents; the inputs are not modified.
 */
export function applyNamespace(
  documents: readonly ManifestDocument[],
  namespace: string,
  { selector = createResourceSelector() }: TransformOptions = {},
): ApplyNamespaceResult {
  const requested = namespace === '' ? defaultNamespace : namespace;
  const warnings: NamespaceConflict[] = [];
  const result = documents.map((document) => {
    const copy = cloneManifest(document);
    if (!shouldTransformManifest(copy, selector)) return copy;
    const metadata = copy[metadataField];
    if (metadata === undefined) {
      copy[metadataField] = { namespace: requested };
      return copy;
    }
    if (!isManifestObject(metadata)) {
      throw new GitopsError(`Cannot set the namespace of a ${String(copy.kind)}: its metadata is not a mapping.`, {
        hint: 'Fix the metadata of that manifest in the kustomize overlay or manifest file.',
      });
    }
    const existing = metadata.namespace;
    if (!Object.prototype.hasOwnProperty.call(metadata, 'namespace') || isEmptyOrEqual(existing, requested)) {
      metadata.namespace = requested;
    } else if (requested !== defaultNamespace) {
      const kind = String(copy.kind);
      const name = typeof metadata.name === 'string' ? metadata.name : '';
      warnings.push({
        kind,
        name,
        existing: String(existing),
        requested,
        message: `${kind} "${name}" already has namespace "${String(existing)}", which differs from the requested namespace "${requested}"; it is kept.`,
      });
    }
    return copy;
  });
  return { documents: result, warnings };
}

function setData(target: ManifestObject, key: string, value: ManifestValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isEmptyOrEqual(value: unknown, namespace: string): boolean {
  if (value === null || value === undefined) return true;
  return typeof value === 'string' && (value === '' || value === namespace);
}
