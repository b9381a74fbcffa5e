import { readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parse } from 'yaml';
import { GitopsError } from '../../lib/errors';
import { ciWorkflowGenerator } from './generator';

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

interface Workflow {
  on: { push: { branches: string[]; tags: string[] }; workflow_dispatch: unknown };
  permissions: Record<string, string>;
  jobs: Record<string, { 'runs-on': string; steps: Step[] }>;
}

function readWorkflow(tree: Tree, path = '.github/workflows/gitops.yaml'): { workflow: Workflow; steps: Step[] } {
  const workflow = parse(tree.read(path, 'utf-8') ?? '') as Workflow;
  return { workflow, steps: workflow.jobs['publish-manifests'].steps };
}

describe('ci-workflow generator', () => {
  let tree: Tree;

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  it('checks out with full history, sets the shas, installs and publishes per trigger', async () => {
    await ciWorkflowGenerator(tree, {});
    const { workflow, steps } = readWorkflow(tree);
    expect(workflow.on.push).toEqual({ branches: ['main'], tags: ['v*'] });
    expect(workflow.on).toHaveProperty('workflow_dispatch');
    expect(workflow.permissions).toEqual({ contents: 'read', actions: 'read' });
    expect(steps.map((step) => step.uses ?? step.run?.split('\n')[0])).toEqual([
      'actions/checkout@v4',
      'nrwl/nx-set-shas@v4',
      'actions/setup-node@v4',
      'npm ci',
      'npx nx affected -t publish-manifest',
      'if [ -n "$BASE_INPUT" ]; then',
      'npx nx affected -t publish-manifest -c production --base="$BASE" --head=HEAD',
    ]);
    const [checkout, setShas, setupNode, install, publishDefault, previousRelease, publishProduction] = steps;
    expect(checkout.with).toEqual({ 'fetch-depth': 0 });
    expect(setShas.with).toEqual({ 'main-branch-name': 'main' });
    expect(setupNode.with).toEqual({ 'node-version': '20', cache: 'npm' });
    expect(install.env).toBeUndefined();

    const onMainPush = "github.event_name == 'push' && github.ref == 'refs/heads/main'";
    const onRelease = "startsWith(github.ref, 'refs/tags/v') || github.event_name == 'workflow_dispatch'";
    expect([setShas.if, publishDefault.if, previousRelease.if, publishProduction.if]).toEqual([onMainPush, onMainPush, onRelease, onRelease]);
    expect(publishDefault.env).toEqual({ NX_GITOPS_TOKEN: '${{ secrets.NX_GITOPS_TOKEN }}' });
    expect(publishProduction.env).toEqual({ BASE: '${{ steps.previous-release.outputs.base }}', NX_GITOPS_TOKEN: '${{ secrets.NX_GITOPS_TOKEN }}' });
    expect(previousRelease.env).toEqual({ BASE_INPUT: '${{ inputs.base }}' });
    expect(previousRelease.run).toContain("git describe --tags --match 'v*' --abbrev=0 HEAD^");
  });

  it('honours every option', async () => {
    updateNxJson(tree, { ...(readNxJson(tree) ?? {}), plugins: [{ plugin: 'nx-gitops', options: { publishTargetName: 'publish' } }] });
    await ciWorkflowGenerator(tree, {
      path: '.github/workflows/deploy.yml',
      mainBranch: 'trunk',
      nodeVersion: 22,
      productionEnvironment: 'prod',
      tokenSecret: 'MANIFEST_TOKEN',
      manifestRepository: 'https://github.com/acme/manifests.git',
    });
    const { workflow, steps } = readWorkflow(tree, '.github/workflows/deploy.yml');
    expect(workflow.on.push.branches).toEqual(['trunk']);
    expect(steps[1].with).toEqual({ 'main-branch-name': 'trunk' });
    expect(steps[2].with?.['node-version']).toBe('22');
    expect(steps[4]).toMatchObject({
      if: "github.event_name == 'push' && github.ref == 'refs/heads/trunk'",
      run: 'npx nx affected -t publish',
      env: { NX_GITOPS_TOKEN: '${{ secrets.MANIFEST_TOKEN }}', NX_GITOPS_MANIFEST_REPOSITORY: 'https://github.com/acme/manifests.git' },
    });
    expect(steps[6].run).toBe('npx nx affected -t publish -c prod --base="$BASE" --head=HEAD');
    expect(steps[6].env).toMatchObject({ NX_GITOPS_TOKEN: '${{ secrets.MANIFEST_TOKEN }}' });
  });

  it('on a pull request, compares affected services with the manifest repository and keeps one comment up to date', async () => {
    updateNxJson(tree, { ...(readNxJson(tree) ?? {}), plugins: [{ plugin: 'nx-gitops', options: { diffTargetName: 'preview' } }] });
    await ciWorkflowGenerator(tree, { mainBranch: 'trunk' });
    const workflow = parse(tree.read('.github/workflows/gitops.yaml', 'utf-8') ?? '') as Workflow & {
      on: { pull_request: unknown };
      jobs: Record<string, { if?: string; permissions?: Record<string, string> }>;
    };
    expect(workflow.on.pull_request).toEqual({ branches: ['trunk'] });
    expect(workflow.jobs['publish-manifests'].if).toBe("github.event_name != 'pull_request'");
    const job = workflow.jobs['diff-manifests'];
    expect(job.if).toBe("github.event_name == 'pull_request'");
    // Only this job writes to pull requests; nothing in the workflow may write contents.
    expect(job.permissions).toEqual({ contents: 'read', actions: 'read', 'pull-requests': 'write' });
    expect(workflow.permissions).toEqual({ contents: 'read', actions: 'read' });
    expect(job.steps.map((step) => step.uses ?? step.run?.split('\n')[0])).toEqual([
      'actions/checkout@v4',
      'nrwl/nx-set-shas@v4',
      'actions/setup-node@v4',
      'npm ci',
      'npx nx affected -t preview --batch',
      'id=$(gh api "repos/$REPO/issues/$PR/comments" --paginate \\',
    ]);
    const [, setShas, , install, diff, comment] = job.steps;
    expect(setShas.with).toEqual({ 'main-branch-name': 'trunk' });
    expect(install.env).toBeUndefined();
    expect(diff.env).toEqual({ NX_GITOPS_TOKEN: '${{ secrets.NX_GITOPS_TOKEN }}' });
    // The comment step gets the workflow's own token, never the manifest repository's.
    expect(comment.env).toEqual({ GH_TOKEN: '${{ github.token }}', PR: '${{ github.event.pull_request.number }}', REPO: '${{ github.repository }}' });
    expect(comment.if).toBe("always() && hashFiles('dist/manifests/diff.md') != ''");
    expect(comment.run).toContain('startswith("<!-- nx-gitops:diff-manifest -->")');
    expect(comment.run).toContain('gh api --method PATCH "repos/$REPO/issues/comments/$id" -F body=@dist/manifests/diff.md');
    expect(comment.run).toContain('gh pr comment "$PR" --repo "$REPO" --body-file dist/manifests/diff.md');
  });

  it('refuses to overwrite', async () => {
    tree.write('.github/workflows/gitops.yaml', 'mine');
    await expect(ciWorkflowGenerator(tree, {})).rejects.toThrow(/already exists/);
    expect(tree.read('.github/workflows/gitops.yaml', 'utf-8')).toBe('mine');
  });

  it.each([
    [{ path: 'ci/gitops.yaml' }, /not a workflow file/],
    [{ path: '.github/workflows/gitops.json' }, /not a workflow file/],
    [{ mainBranch: 'main branch' }, /--mainBranch/],
    [{ mainBranch: 'a..b' }, /--mainBranch/],
    [{ nodeVersion: '20; rm -rf /' }, /--nodeVersion/],
    [{ productionEnvironment: 'Prod' }, /environment name "Prod"/],
    [{ tokenSecret: 'GITHUB_TOKEN' }, /--tokenSecret/],
    [{ tokenSecret: 'my-token' }, /--tokenSecret/],
    [{ manifestRepository: 'https://bot:ghp_abc@github.com/acme/m.git' }, /credentials/],
  ])('refuses %j with a GitopsError and writes nothing', async (options, message) => {
    const before = tree.listChanges().length;
    await expect(ciWorkflowGenerator(tree, options)).rejects.toThrow(message);
    await expect(ciWorkflowGenerator(tree, options)).rejects.toBeInstanceOf(GitopsError);
    expect(tree.listChanges()).toHaveLength(before);
  });
});
