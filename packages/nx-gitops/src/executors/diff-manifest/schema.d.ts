/** Options of the `nx-gitops:diff-manifest` executor (mirrors schema.json). */
export interface DiffManifestExecutorSchema {
  /** The environment to compare (dist/manifests/<project>/<environment>/); defaults to the configuration name. */
  environment?: string;
  /** The manifest repository; defaults to the `NX_GITOPS_MANIFEST_REPOSITORY` environment variable. */
  manifestRepository?: string;
  /** Branch template, as publish-manifest's. */
  branch?: string;
  /** Path template of the manifest inside the branch, as publish-manifest's. */
  path?: string;
  /** GitOps Promoter's monorepo layout, as publish-manifest's: the service's folder on a branch every service shares; `path` is inside it. */
  activePath?: string;
  /** Fail the task when the render differs from the branch, as `git diff --exit-code`. */
  exitCode?: boolean;
  /** Lines of context around each change in the unified diffs. */
  contextLines?: number;
  /** Longest run report `dist/manifests/diff.md`, in characters. */
  maxReportLength?: number;
  /** Send `NX_GITOPS_TOKEN` (or credentials in the URL) over plain http to a host that is not loopback. */
  allowInsecureTransport?: boolean;
}
