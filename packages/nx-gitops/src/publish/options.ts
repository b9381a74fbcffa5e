import { DEFAULT_MESSAGE_TEMPLATE } from './commit-message';
import type { GitIdentity } from './git-cache';
import type { PublishMode } from './plan';

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
  /** The longest one git network command (list, fetch, push) may take, in seconds; a stall of 30 s (or this, if less) also fails. */
  networkTimeoutSeconds?: number;
}

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
} as const satisfies PublishManifestOptions;

/** The identity commits carry when neither the options nor the workspace's git config name one. */
export const DEFAULT_AUTHOR: GitIdentity = { name: 'nx-gitops', email: 'nx-gitops@noreply.invalid' };

/** The environment variable that names the manifest repository when the option is not set. */
export const MANIFEST_REPOSITORY_ENV = 'NX_GITOPS_MANIFEST_REPOSITORY';
