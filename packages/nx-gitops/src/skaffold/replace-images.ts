import type { RenderedImage } from '../manifests/render-output';
import { type ManifestDocument, type ManifestObject, type ManifestValue, cloneManifest, isManifestObject } from '../manifests/yaml';
import { sanitizeImageName, tryParseImageReference, type ImageReference } from './image-reference';
import type { ResourceSelectorRule } from './types';

/** A Kubernetes API group and kind, as `apimachinery.GroupKind`: `{ group: 'apps', kind: 'Deployment' }`. */
export interface GroupKind {
  group: string;
  kind: string;
}

/**
 * Which kinds and fields skaffold may rewrite: its default allow/deny lists overlaid with `resourceSelector`
 * rules. Build it with {@link createResourceSelector}; paths are already normalised (`.*` suffixes stripped).
 */
export interface ResourceSelector {
  readonly allow: ReadonlyMap<string, ResourceSelectorRule>;
  readonly deny: ReadonlyMap<string, ResourceSelectorRule>;
}

/** Allow and deny rules from one source (a skaffold config's `resourceSelector`, or a rules file). */
export interface ResourceSelectorRules {
  allow?: readonly ResourceSelectorRule[];
  deny?: readonly ResourceSelectorRule[];
}

const ANY = ['.*'];
const workload = (groupKind: string): ResourceSelectorRule => ({ groupKind, image: ANY, labels: ANY, podSpec: ANY });
const customResource = (groupKind: string, image: string[] = ANY): ResourceSelectorRule => ({ groupKind, image, labels: ANY });
const confluentImages = ['.spec.image.application', '.spec.image.init'];

/** skaffold's default `TransformAllowlist` (pkg/skaffold/kubernetes/manifest/visitor.go). */
export const TRANSFORM_ALLOWLIST: readonly ResourceSelectorRule[] = [
  workload('Pod'),
  workload('Service'),
  workload('DaemonSet.apps'),
  workload('Deployment.apps'),
  workload('ReplicaSet.apps'),
  workload('StatefulSet.apps'),
  workload('CronJob.batch'),
  workload('Job.batch'),
  workload('DaemonSet.extensions'),
  workload('Deployment.extensions'),
  workload('ReplicaSet.extensions'),
  customResource('Service.serving.knative.dev'),
  customResource('Fleet.agones.dev'),
  customResource('GameServer.agones.dev'),
  customResource('Rollout.argoproj.io'),
  customResource('Workflow.argoproj.io'),
  customResource('CronWorkflow.argoproj.io'),
  customResource('WorkflowTemplate.argoproj.io'),
  customResource('ClusterWorkflowTemplate.argoproj.io'),
  customResource('Connect.platform.confluent.io', confluentImages),
  customResource('ControlCenter.platform.confluent.io', confluentImages),
  customResource('Kafka.platform.confluent.io', confluentImages),
  customResource('KsqlDB.platform.confluent.io', confluentImages),
  customResource('SchemaRegistry.platform.confluent.io', confluentImages),
  customResource('Zookeeper.platform.confluent.io', confluentImages),
  customResource('Job.run.googleapis.com'),
  customResource('WorkerPool.run.googleapis.com'),
  customResource('KafkaConnect.kafka.strimzi.io', ['.spec.image']),
  customResource('Kafka.kafka.strimzi.io', [
    '.spec.kafka.image',
    '.spec.zookeeper.image',
    '.spec.entityOperator.topicOperator.image',
    '.spec.entityOperator.userOperator.image',
    // Written with a trailing dot in skaffold, so it never matches a path; kept for parity.
    '.spec.kafkaExporter.image.',
  ]),
];

/** skaffold's default `TransformDenylist`: no labels in Job pod templates nor in StatefulSet volume claims. */
export const TRANSFORM_DENYLIST: readonly ResourceSelectorRule[] = [
  { groupKind: 'StatefulSet.apps', labels: ['.spec.volumeClaimTemplates.metadata.labels'] },
  { groupKind: 'Job.batch', labels: ['.spec.template.metadata.labels'] },
];

/** Config Connector kinds (`*.cnrm.cloud.google.com`) get any `image` field rewritten, like skaffold. */
const configConnectorGroup = /([A-Za-z]+\.)+cnrm\.cloud\.google\.com/;

/**
 * Builds the selector `render` uses, as skaffold's `ConsolidateTransformConfiguration`: the defaults, then
 * each source in order (config `resourceSelector` first, then a rules file). Within a source allow rules
 * apply before deny rules; an allow rule removes the kind from the deny list and a deny rule removes it
 * from the allow list, so a later source wins and deny beats allow within one source.
 */
export function createResourceSelector(...sources: Array<ResourceSelectorRules | undefined>): ResourceSelector {
  const allow = new Map<string, ResourceSelectorRule>();
  const deny = new Map<string, ResourceSelectorRule>();
  for (const rule of TRANSFORM_ALLOWLIST) allow.set(groupKindKey(parseGroupKind(rule.groupKind)), normaliseRule(rule));
  for (const rule of TRANSFORM_DENYLIST) deny.set(groupKindKey(parseGroupKind(rule.groupKind)), normaliseRule(rule));
  for (const source of sources) {
    for (const rule of source?.allow ?? []) {
      const key = groupKindKey(parseGroupKind(rule.groupKind));
      allow.set(key, normaliseRule(rule));
      deny.delete(key);
    }
    for (const rule of source?.deny ?? []) {
      const key = groupKindKey(parseGroupKind(rule.groupKind));
      deny.set(key, normaliseRule(rule));
      allow.delete(key);
    }
  }
  return { allow, deny };
}

/**
 * A selector from explicit lists, without the defaults and without one list pruning the other
 * (skaffold's `NewResourceSelectorImages(allowlist, denylist)`). Later rules for a kind replace earlier ones.
 */
export function resourceSelectorFromLists({ allow = [], deny = [] }: ResourceSelectorRules): ResourceSelector {
  const toMap = (rules: readonly ResourceSelectorRule[]) =>
    new Map(rules.map((rule) => [groupKindKey(parseGroupKind(rule.groupKind)), normaliseRule(rule)] as const));
  return { allow: toMap(allow), deny: toMap(deny) };
}

/** `apimachinery.ParseGroupKind`: `Deployment.apps` → apps/Deployment, `Pod` → core Pod. */
export function parseGroupKind(groupKind: string): GroupKind {
  const dot = groupKind.indexOf('.');
  return dot === -1 ? { group: '', kind: groupKind } : { group: groupKind.slice(dot + 1), kind: groupKind.slice(0, dot) };
}

/** Map key of a GroupKind inside a {@link ResourceSelector}. */
export function groupKindKey({ group, kind }: GroupKind): string {
  return `${kind}.${group}`;
}

/** `ConvertJSONPathIndex`: paths other than `.*` lose every `.*` (written for list indexes). */
function normaliseRule(rule: ResourceSelectorRule): ResourceSelectorRule {
  const strip = (paths?: string[]) => (paths && paths.length > 0 ? paths.map((path) => (path === '.*' ? path : path.split('.*').join(''))) : undefined);
  return { groupKind: rule.groupKind, image: strip(rule.image), labels: strip(rule.labels), podSpec: strip(rule.podSpec) };
}

/** The group and kind of a manifest from `apiVersion` and `kind` (`FromAPIVersionAndKind`). */
export function groupKindOf(manifest: ManifestObject): GroupKind {
  const apiVersion = typeof manifest.apiVersion === 'string' ? manifest.apiVersion : '';
  const kind = typeof manifest.kind === 'string' ? manifest.kind : '';
  const slashes = apiVersion.split('/').length - 1;
  if (apiVersion === '' || apiVersion === '/' || slashes === 0) return { group: '', kind };
  if (slashes === 1) return { group: apiVersion.slice(0, apiVersion.indexOf('/')), kind };
  return { group: '', kind };
}

/** True when the manifest's kind is allowed (and not wholly denied), or is a Config Connector kind. */
export function shouldTransformManifest(manifest: ManifestObject, selector: ResourceSelector): boolean {
  if (typeof manifest.apiVersion !== 'string' || typeof manifest.kind !== 'string') return false;
  const groupKind = groupKindOf(manifest);
  return allowByGroupKind(selector, groupKind) || isConfigConnector(groupKind);
}

/** True when `group` is a Config Connector API group. */
export function isConfigConnector({ group }: GroupKind): boolean {
  return configConnectorGroup.test(group);
}

function allowByGroupKind(selector: ResourceSelector, groupKind: GroupKind): boolean {
  const key = groupKindKey(groupKind);
  if (!selector.allow.has(key)) return false;
  const denied = selector.deny.get(key);
  return !(denied?.labels?.includes('.*') || denied?.image?.includes('.*'));
}

/**
 * Called for each field; returns true to walk into the value (or past it), false when the field was handled.
 * `path` is the dot-separated field path from the manifest root, without list indexes (`.spec.containers.image`).
 */
export type FieldVisitor = (groupKind: GroupKind, path: string, object: ManifestObject, key: string, value: ManifestValue) => boolean;

/**
 * Walks a manifest like skaffold's `traverseManifestFields`: every field of an allowlisted (or Config Connector)
 * kind, recursively; only the top-level fields of any other kind.
 */
export function visitManifest(manifest: ManifestObject, visitor: FieldVisitor, selector: ResourceSelector): void {
  const groupKind = groupKindOf(manifest);
  let effective = visitor;
  if (shouldTransformManifest(manifest, selector)) {
    const recursive: FieldVisitor = (gk, path, object, key, value) => {
      if (visitor(gk, path, object, key, value)) visitFields(gk, path, value, recursive);
      return false;
    };
    effective = recursive;
  }
  visitFields(groupKind, '', manifest, effective);
}

function visitFields(groupKind: GroupKind, path: string, value: ManifestValue | undefined, visitor: FieldVisitor): void {
  if (Array.isArray(value)) {
    for (const item of value) visitFields(groupKind, path, item, visitor);
  } else if (isManifestObject(value)) {
    for (const key of Object.keys(value)) visitor(groupKind, `${path}.${key}`, value, key, value[key]);
  }
}

/** One built image, as skaffold's `graph.Artifact`. */
export interface BuiltImage {
  /** The artifact's image name as declared in skaffold.yaml: `foo`, `gcr.io/org/foo`. */
  imageName: string;
  /** The full reference to write into manifests: `registry.example.com/foo:1a2b3c4[@sha256:…]`. */
  tag: string;
}

/** Inputs of {@link replaceImages}. */
export interface ReplaceImagesOptions {
  documents: readonly ManifestDocument[];
  builds: readonly BuiltImage[];
  /** Which kinds and fields to rewrite; default: skaffold's defaults only. */
  selector?: ResourceSelector;
}

/** What {@link replaceImages} returns. */
export interface ReplaceImagesResult {
  /** New documents (inputs are not modified); empty documents are dropped as skaffold drops them. */
  documents: ManifestDocument[];
  /** Each distinct image written, sorted by name then reference, ready for `images.json`. */
  images: RenderedImage[];
}

const imageField = 'image';

/**
 * Rewrites image references in manifests like skaffold's `ManifestList.ReplaceImages` with the local-manifest
 * selector: in allowlisted kinds and fields, an image whose name (tag ignored) equals the sanitised
 * `imageName` of a build becomes that build's `tag`. References with a digest, unknown names and
 * unparsable values are left as written. Pure: no I/O.
 */
export function replaceImages({ documents, builds, selector = createResourceSelector() }: ReplaceImagesOptions): ReplaceImagesResult {
  const buildsByName = new Map<string, BuiltImage>();
  for (const build of builds) buildsByName.set(sanitizeImageName(build.imageName), build);
  const written = new Map<string, RenderedImage>();

  const replacer: FieldVisitor = (groupKind, path, object, key, value) => {
    if (!allowImageByPath(selector, groupKind, path, key)) return true;
    if (typeof value !== 'string') return true;
    const parsed = matchableReference(value, buildsByName);
    if (parsed === false) return false;
    const build = parsed && !parsed.digest ? buildsByName.get(parsed.baseName) : undefined;
    if (build) {
      object[key] = build.tag;
      written.set(`${build.imageName}\u0000${build.tag}`, renderedImage(build));
    }
    return false;
  };

  const result: ManifestDocument[] = [];
  for (const document of documents) {
    if (Object.keys(document).length === 0) continue;
    const copy = cloneManifest(document);
    visitManifest(copy, replacer, selector);
    result.push(copy);
  }
  const images = [...written.values()].sort((a, b) => compareText(a.name, b.name) || compareText(a.reference, b.reference));
  return { documents: result, images };
}

/** `ResourceSelectorImages.allowByNavpath`. */
function allowImageByPath(selector: ResourceSelector, groupKind: GroupKind, path: string, key: string): boolean {
  let matchedConfigConnectorImage = key === imageField && isConfigConnector(groupKind);
  const kindKey = groupKindKey(groupKind);
  const denied = selector.deny.get(kindKey);
  for (const denyPath of denied?.image ?? []) {
    if (denyPath === '.*' || denyPath === path) return false;
  }
  const allowed = selector.allow.get(kindKey);
  if (allowed) {
    matchedConfigConnectorImage = false;
    for (const allowPath of allowed.image ?? []) {
      if ((allowPath === '.*' && key === imageField) || allowPath === path) return true;
    }
  }
  return matchedConfigConnectorImage;
}

/**
 * Parses an image value the way skaffold's replacer does, including its two compatibility rules for
 * Helm-era templated images (`name:name` and `name/name:name` stand for the artifact `name`).
 * Returns false when the value is unparsable (skip it), undefined when nothing can match.
 */
function matchableReference(image: string, buildsByName: ReadonlyMap<string, BuiltImage>): Pick<ImageReference, 'baseName' | 'digest'> | undefined | false {
  const parsed = tryParseImageReference(image);
  if (!parsed) {
    const parts = image.split(':');
    if (parts.length === 2 && image.startsWith(parts[1])) {
      return buildsByName.has(parts[1]) ? { baseName: parts[1], digest: '' } : undefined;
    }
    return false;
  }
  if (parsed.domain !== '' && parsed.domain === parsed.repo && buildsByName.has(parsed.repo)) {
    return { baseName: parsed.repo, digest: parsed.digest };
  }
  return parsed;
}

/** How `images.json` describes an image written into a manifest: name, repository, tag, digest, reference. */
export function renderedImage(build: BuiltImage): RenderedImage {
  const parsed = tryParseImageReference(build.tag);
  return {
    name: build.imageName,
    repository: parsed ? parsed.baseName : build.tag,
    tag: parsed?.tag || null,
    digest: parsed?.digest || null,
    reference: build.tag,
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
