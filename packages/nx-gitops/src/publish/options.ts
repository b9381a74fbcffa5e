import { DEFAULT_MESSAGE_TEMPLATE } from './commit-message';
import type { GitIdentity } from './git-cache';
import type { PublishMode } from './plan';
import type { SignOption } from './signing';

/** `none`: publish to the branch itself. `next`: publish to `<branch>-next`, which GitOps Promoter promotes into `<branch>`. */
export type PromotionMode = 'none' | 'next';

/** `render`: the `message` template. `argocd`: the shape of Argo CD's default hydrator commit message. */
export type MessageStyle = 'render' | 'argocd';

/** Options of one publish, as the `publish-manifest` executor takes them (its schema.json is the reference). */
export interface PublishManifestOptions {
  /** The environment to publish; defaults to the Nx configuration name. */
  environment?: string;
  /** The manifest repository; defaults to the `NX_GITOPS_MANIFEST_REPOSITORY` environment variable. */
  manifestRepository?: string;
  /** Branch template with `{project}` and `{environment}` (or `%project%` and `%environment%`). */
  branch?: string;
  /** Path template of the manifest inside the branch. */
  path?: string;
  /** Branch a missing branch starts from; without it a new branch starts with a root commit. */
  baseBranch?: string;
  /** Commit message template; trailers are always appended. */
  message?: string;
  authorName?: string;
  authorEmail?: string;
  mode?: PublishMode;
  dryRun?: boolean;
  maxAttempts?: number;
  /** Publish even when files the render read differ from `HEAD`, or an image carries a `-dirty` tag. */
  allowDirty?: boolean;
  /** Publish a render that holds no Kubernetes object. */
  allowEmpty?: boolean;
  /** Send `NX_GITOPS_TOKEN` (or credentials in the URL) over plain http to a host that is not loopback. */
  allowInsecureTransport?: boolean;
  /** Write `hydrator.metadata`, `.gitattributes` and `README.md` as Argo CD's Source Hydrator does (GitOps Promoter reads them). */
  hydratorMetadata?: boolean;
  /** `next`: publish to `<branch>-next` (created from `<branch>`), and note unchanged environments in `refs/notes/hydrator.metadata`. */
  promotion?: PromotionMode;
  /**
   * GitOps Promoter's monorepo layout: the service's folder (template with `{project}`) on a branch shared by
   * the environment's services; `path` lies inside it, and promotion `next` publishes to `<branch>-next/<folder>`.
   */
  activePath?: string;
  /** The commit message's shape; defaults to `argocd` with promotion `next` (or a `-next` branch), else `render`. */
  messageStyle?: MessageStyle;
  /** The longest one git network command (list, fetch, push) may take, in seconds; a stall of 30 s (or this, if less) also fails. */
  networkTimeoutSeconds?: number;
  /** Push to a pull-request branch created from the target branch and open a pull request into it, instead of pushing to the branch. */
  pullRequest?: boolean;
  /** Template of the pull-request branch: `{branch}`, `{project}`, `{environment}`, and `{shortSourceCommit}` or `{sourceCommit}`. */
  pullRequestBranch?: string;
  /** The forge that opens the pull request; derived from the repository URL when not set. */
  forge?: Forge;
  /** Base URL of the forge's API (GitHub: `https://api.github.com`, `https://<host>/api/v3`). */
  forgeApiUrl?: string;
  /** Sign every commit with git (`commit-tree -S`): `ssh` or `gpg` key; `none` (the default) signs nothing. */
  sign?: SignOption;
  /** The signing key (ssh: key file path or `key::<public key>`; gpg: key id); defaults to git's `user.signingkey`. */
  signingKey?: string;
}

/** Where the manifest repository lives, for pull-request mode: GitHub through its REST API, GitLab through push options. */
export type Forge = 'github' | 'gitlab';

/** The defaults schema.json declares, applied again here for callers that bypass Nx. */
export const PUBLISH_DEFAULTS = {
  branch: '{project}/{environment}',
  path: 'manifest.yaml',
  message: DEFAULT_MESSAGE_TEMPLATE,
  mode: 'merge',
  dryRun: false,
  maxAttempts: 5,
  allowDirty: false,
  allowEmpty: false,
  allowInsecureTransport: false,
  networkTimeoutSeconds: 180,
  hydratorMetadata: true,
  promotion: 'none',
  pullRequest: false,
  pullRequestBranch: '{branch}-pr/{shortSourceCommit}',
  sign: 'none',
} as const satisfies PublishManifestOptions;

/** The identity commits carry when neither the options nor the workspace's git config name one. */
export const DEFAULT_AUTHOR: GitIdentity = { name: 'nx-gitops', email: 'nx-gitops@noreply.invalid' };

/** The environment variable that names the manifest repository when the option is not set. */
export const MANIFEST_REPOSITORY_ENV = 'NX_GITOPS_MANIFEST_REPOSITORY';
