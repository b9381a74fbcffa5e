/**
 * The parts of a skaffold configuration nx-gitops reads, in the v3+ shape (`manifests.*`). Configs written
 * for `skaffold/v2beta*` are upgraded into this shape when loaded (see `config.ts`). Unknown fields are kept
 * so profile patches can address them.
 */

/** `build.tagPolicy.gitCommit`. */
export interface GitCommitTagger {
  /** `Tags` (default), `CommitSha`, `AbbrevCommitSha`, `TreeSha`, `AbbrevTreeSha`, `Branches`; case-insensitive. */
  variant?: string;
  prefix?: string;
  ignoreChanges?: boolean;
}

/** `build.tagPolicy.envTemplate`. */
export interface EnvTemplateTagger {
  template: string;
}

/** `build.tagPolicy.dateTime`. */
export interface DateTimeTagger {
  /** A Go time layout; default `2006-01-02_15-04-05.999_MST`. */
  format?: string;
  /** An IANA time zone name, `Local` (default) or `UTC`. */
  timezone?: string;
}

/** One named component of a `customTemplate` tag policy. */
export interface TaggerComponent extends TagPolicy {
  name: string;
}

/** `build.tagPolicy.customTemplate`. */
export interface CustomTemplateTagger {
  template: string;
  components?: TaggerComponent[];
}

/** `build.tagPolicy`: one of these is set; none means `gitCommit: {}`. */
export interface TagPolicy {
  gitCommit?: GitCommitTagger;
  sha256?: Record<string, never>;
  envTemplate?: EnvTemplateTagger;
  dateTime?: DateTimeTagger;
  inputDigest?: Record<string, never>;
  customTemplate?: CustomTemplateTagger;
}

/** `build.artifacts[]`. Only the fields nx-gitops reads are typed. */
export interface Artifact {
  image: string;
  /** Directory of the build context, relative to the config file's directory. Default `.`. */
  context?: string;
  docker?: { dockerfile?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** `manifests.kustomize`. */
export interface KustomizeManifests {
  paths?: string[];
  buildArgs?: string[];
}

/** A `requires[]` entry. Only local `path` is supported. */
export interface ConfigDependency {
  path?: string;
  configs?: string[];
  git?: unknown;
  googleCloudStorage?: unknown;
  googleCloudBuildRepoV2?: unknown;
  activeProfiles?: Array<{ name: string; activatedBy?: string[] }>;
}

/** One rule of `resourceSelector.allow` / `deny`. */
export interface ResourceSelectorRule {
  groupKind: string;
  image?: string[];
  labels?: string[];
  podSpec?: string[];
}

/** A `profiles[]` entry. */
export interface Profile {
  name: string;
  activation?: Array<{ env?: string; kubeContext?: string; command?: string }>;
  requiresAllActivations?: boolean;
  patches?: Array<{ op?: string; path: string; value?: unknown; from?: string }>;
  build?: SkaffoldConfig['build'];
  manifests?: SkaffoldConfig['manifests'];
  [key: string]: unknown;
}

/** One skaffold configuration document, normalised to the v3+ layout. */
export interface SkaffoldConfig {
  apiVersion: string;
  kind: 'Config';
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  requires?: ConfigDependency[];
  build?: {
    artifacts?: Artifact[];
    tagPolicy?: TagPolicy;
    [key: string]: unknown;
  };
  manifests?: {
    rawYaml?: string[];
    kustomize?: KustomizeManifests;
    [key: string]: unknown;
  };
  resourceSelector?: { allow?: ResourceSelectorRule[]; deny?: ResourceSelectorRule[] };
  profiles?: Profile[];
  [key: string]: unknown;
}
