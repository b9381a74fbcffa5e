import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { GitopsError } from '../../lib/errors';
import { type ManifestObject, type ManifestValue, isManifestObject, parseManifests } from '../../manifests/yaml';
import { serializeKustomizeOutput } from './emit';
import { addContentHashes, runGenerators } from './generators';
import { type LoadedKustomization, KUSTOMIZE_ANNOTATION, UnsupportedKustomizeFeatureError, assertSupportedKustomization, findUnsupportedFeature, loadKustomization, refuseChangedFoldedScalar } from './kustomization';
import { fixNameReferences } from './name-reference';
import { applyJson6902Patches, applyPatches, applyStrategicMergePatches } from './patches';
import { Resource, describeId, sortLegacy } from './resource';
import { type ImageEntry, type LabelEntry, applyAnnotations, applyImages, applyLabels, applyNameAffix, applyNamespace, applyReplicas } from './transformers';

function stringMap(value: ManifestValue | undefined): Record<string, string> {
  return isManifestObject(value) ? (value as Record<string, string>) : {};
}

function strings(value: ManifestValue | undefined): string[] {
  return Array.isArray(value) ? (value as string[]) : [];
}

/** Refuses metadata kustomize would rewrite as text (non-string label or annotation values), which a parsed value cannot reproduce. */
function assertStringMetadata(object: ManifestObject, file: string): void {
  const metadata = object.metadata;
  if (!isManifestObject(metadata)) return;
  for (const field of ['labels', 'annotations']) {
    const map = metadata[field];
    if (isManifestObject(map) && Object.values(map).some((value) => typeof value !== 'string')) {
      throw new UnsupportedKustomizeFeatureError(`a non-string metadata.${field} value`, file, 'quote the value');
    }
  }
}

/** Parses a resource file into resources, expanding `kind: List` as kustomize does. */
export function readResources(text: string, file: string): Resource[] {
  const result: Resource[] = [];
  for (const document of parseManifests(text, file, { onFoldedScalar: refuseChangedFoldedScalar(file) })) {
    const kind = document.kind;
    if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(document.items)) {
      for (const item of document.items) if (isManifestObject(item)) result.push(new Resource(item));
      continue;
    }
    if (typeof kind !== 'string' || kind === '') {
      throw new GitopsError(`${file}: a resource has no kind.`, { hint: 'Every resource kustomize reads needs apiVersion, kind and metadata.name.' });
    }
    result.push(new Resource(document));
  }
  for (const resource of result) {
    assertStringMetadata(resource.object, file);
    const annotations = (resource.object.metadata as ManifestObject | undefined)?.annotations;
    const own = isManifestObject(annotations) ? Object.keys(annotations).find((key) => KUSTOMIZE_ANNOTATION.test(key)) : undefined;
    if (own) throw new UnsupportedKustomizeFeatureError(`kustomize's own annotation ${own} in a resource`, file);
  }
  return result;
}

function appendAll(into: Resource[], added: readonly Resource[], file: string): void {
  const ids = new Set(into.map((resource) => describeId(resource.id)));
  for (const resource of added) {
    const key = describeId(resource.id);
    if (ids.has(key)) {
      throw new GitopsError(`${file}: may not add resource with an already registered id: ${key}.`, { hint: 'Two resources of the build have the same kind, name and namespace; rename or remove one.' });
    }
    ids.add(key);
    into.push(resource);
  }
}

interface BuildState {
  /** Directories being built, to refuse cycles. */
  stack: string[];
}

function accumulateResources(k: LoadedKustomization, into: Resource[], state: BuildState): void {
  const entries = [...strings(k.spec.resources), ...strings(k.spec.bases)];
  for (const entry of entries) {
    const path = resolve(k.dir, entry);
    if (statSync(path).isDirectory()) {
      const sub = loadKustomization(path);
      if (sub.isComponent) {
        throw new GitopsError(`${k.file}: ${entry} is a Component; list it under components, not resources.`, { hint: 'Move the entry to components.' });
      }
      appendAll(into, buildTarget(sub, state), k.file);
    } else {
      appendAll(into, readResources(readFileSync(path, 'utf8'), path), k.file);
    }
  }
}

function accumulateTarget(k: LoadedKustomization, resources: Resource[], state: BuildState): void {
  if (state.stack.includes(k.dir)) {
    throw new GitopsError(`Cycle in kustomizations: ${[...state.stack, k.dir].join(' -> ')}.`, { hint: 'Remove the entry that points back at a kustomization being built.' });
  }
  assertSupportedKustomization(k);
  state.stack.push(k.dir);
  accumulateResources(k, resources, state);
  runGenerators(k, resources);
  for (const entry of strings(k.spec.components)) {
    const component = loadKustomization(resolve(k.dir, entry));
    if (!component.isComponent) {
      throw new GitopsError(`${k.file}: ${entry} is not a Component (kind: Component).`, { hint: 'List kustomizations under resources, components under components.' });
    }
    accumulateTarget(component, resources, state);
  }
  runTransformers(k, resources);
  state.stack.pop();
}

function buildTarget(k: LoadedKustomization, state: BuildState): Resource[] {
  const resources: Resource[] = [];
  accumulateTarget(k, resources, state);
  return resources;
}

function runTransformers(k: LoadedKustomization, resources: Resource[]): void {
  const { spec } = k;
  applyStrategicMergePatches(k, resources);
  applyPatches(k, resources);
  applyNamespace(resources, typeof spec.namespace === 'string' ? spec.namespace : '');
  if (typeof spec.namePrefix === 'string' && spec.namePrefix) applyNameAffix(resources, { prefix: spec.namePrefix });
  if (typeof spec.nameSuffix === 'string' && spec.nameSuffix) applyNameAffix(resources, { suffix: spec.nameSuffix });
  const labels = (Array.isArray(spec.labels) ? spec.labels : []).map((entry) => {
    const label = entry as ManifestObject;
    return { pairs: stringMap(label.pairs), includeSelectors: label.includeSelectors === true, includeTemplates: label.includeTemplates === true } satisfies LabelEntry;
  });
  const commonLabels = stringMap(spec.commonLabels);
  for (const label of labels) {
    const clash = Object.keys(label.pairs).find((key) => key in commonLabels);
    if (clash) throw new GitopsError(`${k.file}: label name '${clash}' exists in both commonLabels and labels.`, { hint: 'Keep the label in one of the two fields.' });
  }
  applyLabels(resources, labels, commonLabels);
  applyAnnotations(resources, stringMap(spec.commonAnnotations));
  applyJson6902Patches(k, resources);
  applyReplicas(resources, (Array.isArray(spec.replicas) ? spec.replicas : []) as unknown as Array<{ name: string; count: number }>);
  applyImages(resources, (Array.isArray(spec.images) ? spec.images : []) as unknown as ImageEntry[]);
}

/** kustomize prints no `metadata.annotations` that is empty or null (it rewrites them without its build annotations); labels stay. */
function dropEmptyAnnotations(object: ManifestObject): void {
  const metadata = object.metadata;
  if (!isManifestObject(metadata) || !('annotations' in metadata)) return;
  const annotations = metadata.annotations;
  if (annotations === null || (isManifestObject(annotations) && Object.keys(annotations).length === 0)) delete metadata.annotations;
}

/**
 * Builds the kustomization in `dir` in-process and returns exactly the YAML `kustomize build` prints.
 * Refuses, with {@link UnsupportedKustomizeFeatureError} naming the field and file, anything outside
 * what the built-in engine covers (see {@link findUnsupportedFeature}); fails like kustomize on
 * conflicting ids, missing files and ambiguous references.
 */
export function buildKustomizationInProcess(dir: string): string {
  const unsupported = findUnsupportedFeature(dir);
  if (unsupported) throw unsupported;
  const resources = buildTarget(loadKustomization(dir), { stack: [] });
  addContentHashes(resources);
  fixNameReferences(resources);
  for (const resource of resources) dropEmptyAnnotations(resource.object);
  return serializeKustomizeOutput(sortLegacy(resources).map((resource) => resource.object));
}
