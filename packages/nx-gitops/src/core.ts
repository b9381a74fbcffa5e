/**
 * The core of nx-gitops, usable without Nx: load and render skaffold services, resolve image digests and
 * publish manifests to a manifest repository. Import it as `nx-gitops/src/core` (the package entry is the
 * Nx plugin, kept light so the project graph loads fast).
 */
export { GitopsError, describeError } from './lib/errors';
export { loadSkaffoldConfigs, parseSkaffoldConfigs, SUPPORTED_API_VERSIONS } from './skaffold/config';
export { applyProfilesToConfigs } from './skaffold/profiles';
export { renderManifests, parseImagesOption, readBuildArtifactsFile, type RenderRequest, type RenderResult, type DigestSource } from './skaffold/render';
export { computeImageTag, createGitInfoCache, tagImage, describeTagInputs } from './skaffold/tags';
export { substituteDefaultRepo } from './skaffold/default-repo';
export { parseImageReference } from './skaffold/image-reference';
export { replaceImages, createResourceSelector } from './skaffold/replace-images';
export { applyLabels, applyNamespace } from './skaffold/transforms';
export { parseManifests, serializeManifests } from './manifests/yaml';
export type { RenderedImage, RenderedImagesFile } from './manifests/render-output';
export { listKustomizationFiles } from './kustomize/dependencies';
export { buildKustomization, resolveKustomizeCommand } from './kustomize/build';
export { pinDigests, resolveImageDigest, resolveImageDigests } from './registry';
export { publishManifests } from './publish/publish-manifests';
export type { SkaffoldConfig, TagPolicy } from './skaffold/types';
