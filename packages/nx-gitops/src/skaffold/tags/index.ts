/** Tag policies of skaffold (`build.tagPolicy`) for the native render engine, and what they depend on. */
export { computeImageTag, type ComputeImageTagInput } from './compute-image-tag';
export { customTemplateTag, customTemplateComponents, BUILT_IN_COMPONENTS, type CustomTemplateTagInput } from './custom-template';
export { dateTimeTag, formatGoTime, DEFAULT_DATE_TIME_FORMAT, type DateTimeTagInput } from './date-time';
export { describeTagInputs, type TagInputs } from './describe-tag-inputs';
export { listDockerDependencies, listArtifactDependencies, type DockerDependenciesInput, type ArtifactDependenciesInput } from './docker-dependencies';
export { envTemplateTag, type EnvTemplateTagInput } from './env-template';
export { gitCommitTag, normalizeGitCommitVariant, sanitizeTag, type GitCommitTagInput, type GitCommitVariant } from './git-commit';
export { createGitInfoCache, type GitInfoCache, type GitInfoCacheOptions, type GitRunner } from './git-info';
export { inputDigestTag, hashInputFile, hashInputFiles, type InputDigestTagInput } from './input-digest';
export { selectTagPolicy, TAG_POLICY_KINDS, type SelectedTagPolicy, type TagPolicyKind } from './select-tag-policy';
export { sha256Tag } from './sha256';
export { tagImage } from './tag-image';
