import { stringify } from 'yaml';
import { REPORT_MARKER } from '../../../diff/report';
import type { NormalizedCiWorkflowOptions } from './normalize-options';

/**
 * Picks the base of the production publish: the base given to a manual run, else the previous `v*` tag, else
 * the empty tree (every service is affected before the first release).
 */
const FIND_PREVIOUS_RELEASE = [
  'if [ -n "$BASE_INPUT" ]; then',
  '  base="$BASE_INPUT"',
  'else',
  "  base=$(git describe --tags --match 'v*' --abbrev=0 HEAD^ 2>/dev/null || git hash-object -t tree /dev/null)",
  'fi',
  'echo "base=$base" >> "$GITHUB_OUTPUT"',
  '',
].join('\n');

/**
 * Creates the pull request's report comment, or updates the one an earlier run wrote (found by the marker
 * the report starts with, among the comments of the workflow's own bot), so each push updates one comment.
 */
const STICKY_COMMENT = [
  'id=$(gh api "repos/$REPO/issues/$PR/comments" --paginate \\',
  `  --jq '.[] | select(.user.login == "github-actions[bot]" and (.body | startswith("${REPORT_MARKER}"))) | .id' | head -n 1)`,
  'if [ -n "$id" ]; then',
  '  gh api --method PATCH "repos/$REPO/issues/comments/$id" -F body=@dist/manifests/diff.md > /dev/null',
  'else',
  '  gh pr comment "$PR" --repo "$REPO" --body-file dist/manifests/diff.md',
  'fi',
  '',
].join('\n');

/**
 * The GitHub Actions workflow that publishes affected services. Pushes to the main branch publish the default
 * environment with the base `nrwl/nx-set-shas` finds (the last successful run). A `v*` tag or a manual run
 * publishes production for what changed since the previous `v*` tag (or a base given to the manual run): the
 * last successful run on the main branch is usually the tagged commit itself, which would make nothing
 * affected. The token reaches only the publish steps, never `npm ci`, and user input reaches the shell only
 * through environment variables. On a pull request into the main branch, a second job compares the render of
 * every affected service and environment with the manifest repository (read only) and keeps one comment on the
 * pull request up to date with the report; only that job may write to pull requests, with the workflow's token.
 */
export function buildCiWorkflow(options: NormalizedCiWorkflowOptions): string {
  const secretEnv: Record<string, string> = { NX_GITOPS_TOKEN: `\${{ secrets.${options.tokenSecret} }}` };
  if (options.manifestRepository) secretEnv.NX_GITOPS_MANIFEST_REPOSITORY = options.manifestRepository;
  const isMainPush = `github.event_name == 'push' && github.ref == 'refs/heads/${options.mainBranch}'`;
  const isRelease = `startsWith(github.ref, 'refs/tags/v') || github.event_name == 'workflow_dispatch'`;
  const workflow = {
    name: 'GitOps',
    on: {
      push: { branches: [options.mainBranch], tags: ['v*'] },
      pull_request: { branches: [options.mainBranch] },
      workflow_dispatch: {
        inputs: {
          base: {
            description: `Commit to compare with when publishing ${options.productionEnvironment} (default: the previous v* tag)`,
            required: false,
            type: 'string',
          },
        },
      },
    },
    permissions: { contents: 'read', actions: 'read' },
    // Publishes of one ref run one after another; the publisher also retries rejected pushes.
    concurrency: { group: 'gitops-${{ github.ref }}', 'cancel-in-progress': false },
    jobs: {
      'publish-manifests': {
        if: "github.event_name != 'pull_request'",
        'runs-on': 'ubuntu-latest',
        steps: [
          { name: 'Check out with full history', uses: 'actions/checkout@v4', with: { 'fetch-depth': 0 } },
          {
            name: 'Set the base and head of nx affected',
            if: isMainPush,
            uses: 'nrwl/nx-set-shas@v4',
            with: { 'main-branch-name': options.mainBranch },
          },
          { name: 'Set up Node.js', uses: 'actions/setup-node@v4', with: { 'node-version': options.nodeVersion, cache: 'npm' } },
          { name: 'Install', run: 'npm ci' },
          {
            name: 'Publish the default environment of affected services',
            if: isMainPush,
            run: `npx nx affected -t ${options.publishTargetName}`,
            env: secretEnv,
          },
          {
            name: 'Find the previous release',
            id: 'previous-release',
            if: isRelease,
            env: { BASE_INPUT: '${{ inputs.base }}' },
            run: FIND_PREVIOUS_RELEASE,
          },
          {
            name: `Publish ${options.productionEnvironment} for services changed since the previous release`,
            if: isRelease,
            run: `npx nx affected -t ${options.publishTargetName} -c ${options.productionEnvironment} --base="$BASE" --head=HEAD`,
            env: { BASE: '${{ steps.previous-release.outputs.base }}', ...secretEnv },
          },
        ],
      },
      'diff-manifests': {
        if: "github.event_name == 'pull_request'",
        'runs-on': 'ubuntu-latest',
        permissions: { contents: 'read', actions: 'read', 'pull-requests': 'write' },
        // A newer push to the pull request replaces the comparison still running.
        concurrency: { group: 'gitops-diff-${{ github.event.pull_request.number }}', 'cancel-in-progress': true },
        steps: [
          { name: 'Check out with full history', uses: 'actions/checkout@v4', with: { 'fetch-depth': 0 } },
          { name: 'Set the base and head of nx affected', uses: 'nrwl/nx-set-shas@v4', with: { 'main-branch-name': options.mainBranch } },
          { name: 'Set up Node.js', uses: 'actions/setup-node@v4', with: { 'node-version': options.nodeVersion, cache: 'npm' } },
          { name: 'Install', run: 'npm ci' },
          {
            name: 'Compare affected services with the manifest repository',
            run: `npx nx affected -t ${options.diffTargetName} --batch`,
            env: secretEnv,
          },
          {
            name: 'Comment the report on the pull request',
            if: "always() && hashFiles('dist/manifests/diff.md') != ''",
            env: { GH_TOKEN: '${{ github.token }}', PR: '${{ github.event.pull_request.number }}', REPO: '${{ github.repository }}' },
            run: STICKY_COMMENT,
          },
        ],
      },
    },
  };
  return stringify(workflow, { lineWidth: 0 });
}
