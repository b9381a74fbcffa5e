import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GitopsError } from '../lib/errors';
import { renderManifests, type RenderResult } from './render';
import { createGitInfoCache } from './tags';

const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n  - name: app\n    image: app\n';

describe('renderManifests (native engine)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-gitops-render-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(path: string, content: string | Buffer) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }

  function render(profiles: string[] = []): Promise<RenderResult> {
    return renderManifests({ configFile: join(dir, 'skaffold.yaml'), profiles, env: {}, digestSource: 'none', git: createGitInfoCache() });
  }

  async function renderError(profiles: string[] = []): Promise<GitopsError> {
    try {
      await render(profiles);
    } catch (error) {
      return error as GitopsError;
    }
    throw new Error('expected the render to fail');
  }

  const v4 = 'apiVersion: skaffold/v4beta13\nkind: Config\n';

  describe('refuses sources it does not render, naming the field and engine "skaffold"', () => {
    it.each([
      ['a packaged helm release', `${v4}manifests:\n  helm:\n    releases:\n    - name: app\n      chartPath: charts/app\n      packaged: {version: 1.0.0}\n`, 'manifests.helm.releases[0] ("app").packaged is not rendered by the native engine'],
      [
        'useHelmSecrets in the legacy deploy.helm of a v4 config',
        `${v4}deploy:\n  helm:\n    releases:\n    - name: app\n      chartPath: charts/app\n      useHelmSecrets: true\n`,
        'deploy.helm.releases[0] ("app").useHelmSecrets is not rendered by the native engine',
      ],
      [
        'an unpinned remote chart of a v2 config',
        'apiVersion: skaffold/v2beta29\nkind: Config\ndeploy:\n  helm:\n    releases:\n    - name: app\n      remoteChart: app\n      repo: https://charts.example.com\n',
        'deploy.helm.releases[0] ("app").version is not rendered by the native engine: the remote chart "app" without a pinned version',
      ],
      ['manifests.kpt', `${v4}manifests:\n  kpt: [pkg]\n`, 'manifests.kpt is not rendered by the native engine: kpt packages'],
      ['deploy.kpt of a v2 config', 'apiVersion: skaffold/v2beta29\nkind: Config\ndeploy:\n  kpt:\n    dir: pkg\n', 'deploy.kpt is not rendered by the native engine: the kpt deployer of a skaffold/v2 config'],
      ['manifests.transform', `${v4}manifests:\n  rawYaml: [k8s/*.yaml]\n  transform:\n  - name: set-labels\n    configMap: ["app:web"]\n`, 'manifests.transform is not rendered by the native engine: KRM transformer functions'],
      ['manifests.validate', `${v4}manifests:\n  rawYaml: [k8s/*.yaml]\n  validate:\n  - name: kubeval\n`, 'manifests.validate is not rendered by the native engine: KRM validator functions'],
      ['manifests.remoteManifests', `${v4}manifests:\n  remoteManifests:\n  - manifest: deployment/app\n`, 'manifests.remoteManifests is not rendered by the native engine: manifests read from a cluster'],
      ['a remote rawYaml entry', `${v4}manifests:\n  rawYaml: [k8s/*.yaml, "https://example.com/app.yaml"]\n`, 'manifests.rawYaml entry "https://example.com/app.yaml" is not rendered by the native engine: a remote manifest'],
      ['a gs:// rawYaml entry of a v2 config', 'apiVersion: skaffold/v2beta29\nkind: Config\ndeploy:\n  kubectl:\n    manifests: ["gs://bucket/app.yaml"]\n', 'deploy.kubectl.manifests entry "gs://bucket/app.yaml" is not rendered by the native engine'],
      ['a remote kustomization', `${v4}manifests:\n  kustomize:\n    paths: ["https://github.com/example/app//deploy?ref=v1"]\n`, 'manifests.kustomize.paths entry "https://github.com/example/app//deploy?ref=v1" is not rendered by the native engine: a remote kustomization'],
      ['render hooks', `${v4}manifests:\n  rawYaml: [k8s/*.yaml]\n  hooks:\n    after:\n    - host:\n        command: [sed, s/a/b/]\n        withChange: true\n`, 'manifests.hooks is not rendered by the native engine: render hooks'],
      ['deploy.kubectl.remoteManifests of a v3 config', 'apiVersion: skaffold/v3\nkind: Config\nmanifests:\n  rawYaml: [k8s/*.yaml]\ndeploy:\n  kubectl:\n    remoteManifests: [deployment/app]\n', 'deploy.kubectl.remoteManifests is not rendered by the native engine: manifests read from a cluster at render time'],
      ['deploy.kubectl.remoteManifests of a v4 config', `${v4}manifests:\n  rawYaml: [k8s/*.yaml]\ndeploy:\n  kubectl:\n    remoteManifests: [deployment/app]\n`, 'deploy.kubectl.remoteManifests is not rendered by the native engine: manifests read from a cluster, which skaffold ignores here since skaffold/v4beta1'],
    ])('%s', async (_name, config, message) => {
      write('skaffold.yaml', config);
      write('k8s/pod.yaml', pod);
      const error = await renderError();
      expect(error).toBeInstanceOf(GitopsError);
      expect(error.message).toContain(`${join(dir, 'skaffold.yaml')}: ${message}`);
      expect(error.hint).toMatch(/engine: "skaffold"|Vendor the manifests|Remove deploy\.kubectl\.remoteManifests|allowUnpinnedCharts/);
    });

    it('points v3 remote manifests at manifests.rawYaml, where v3 lists local files', async () => {
      write('skaffold.yaml', 'apiVersion: skaffold/v3\nkind: Config\ndeploy:\n  kubectl:\n    remoteManifests: [deployment/app]\n');
      expect((await renderError()).hint).toBe('Vendor the manifests into the repository and list them under manifests.rawYaml, or render with the option engine: "skaffold".');
    });

    it('names the profile that brought the source in', async () => {
      write('skaffold.yaml', `${v4}manifests:\n  rawYaml: [k8s/*.yaml]\nprofiles:\n- name: prod\n  manifests:\n    helm:\n      releases: [{name: app, chartPath: charts/app, packaged: {}}]\n`);
      write('k8s/pod.yaml', pod);
      await expect(render()).resolves.toMatchObject({ manifest: expect.stringContaining('kind: Pod') });
      const error = await renderError(['prod']);
      expect(error.message).toBe(
        `${join(dir, 'skaffold.yaml')} (profiles prod): manifests.helm.releases[0] ("app").packaged is not rendered by the native engine: a chart packaged into an archive before it is installed, a step of skaffold deploy.`,
      );
      expect(error.hint).toBe('Remove packaged (render needs the chart, not the archive), or render with the option engine: "skaffold".');
    });
  });

  it('renders configs whose other sections do not change the render', async () => {
    write(
      'skaffold.yaml',
      `${v4}build:\n  artifacts:\n  - image: app\nmanifests:\n  rawYaml: [k8s/*.yaml]\n  hooks: {}\n  transform: []\ndeploy:\n  docker:\n    images: [app]\n  kpt:\n    dir: out\n  kubectl:\n    flags: {apply: [--server-side]}\ntest:\n- image: app\n  structureTests: [./t.yaml]\nportForward:\n- resourceType: service\n  resourceName: app\n  port: 80\nverify:\n- name: smoke\n  container: {name: smoke, image: busybox}\n`,
    );
    write('k8s/pod.yaml', pod);
    const result = await render();
    expect(result.manifest).toBe('apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - image: app\n      name: app\n');
  });

  it.each([
    ['one config', `${v4}build:\n  artifacts:\n  - image: app\n  - image: app\n    context: other\n`, (file: string) => `duplicate image "app" in ${file}: artifact image names must be unique across all configs.`],
    ['a config and one it requires', `${v4}requires:\n- path: lib\nbuild:\n  artifacts:\n  - image: app\n`, (file: string) => `duplicate image "app" in ${join(dir, 'lib/skaffold.yaml')} and ${file}: artifact image names must be unique across all configs.`],
  ])('fails when two artifacts of %s build the same image, as skaffold does', async (_name, config, message) => {
    write('skaffold.yaml', config);
    write('lib/skaffold.yaml', `${v4}build:\n  artifacts:\n  - image: app\nmanifests:\n  rawYaml: [k8s/*.yaml]\n`);
    write('k8s/pod.yaml', pod);
    expect((await renderError()).message).toBe(message(join(dir, 'skaffold.yaml')));
  });

  it('fails on a rawYaml file that is not UTF-8, naming the file and line', async () => {
    write('skaffold.yaml', `${v4}manifests:\n  rawYaml: [k8s/*.yaml]\n`);
    write('k8s/a.yaml', pod);
    write('k8s/b.yaml', Buffer.concat([Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  greeting: "gr'), Buffer.from([0xfc]), Buffer.from('n"\n')]));
    const error = await renderError();
    expect(error.message).toBe(
      `${join(dir, 'k8s/b.yaml')}:6:16: not UTF-8 (byte 0xfc); manifests must be UTF-8 (listed in manifests.rawYaml of ${join(dir, 'skaffold.yaml')}).`,
    );
    expect(error.hint).toMatch(/Re-encode the file as UTF-8/);
  });

  it('keeps a UTF-8 rawYaml file as written, multi-byte characters and a literal U+FFFD included (the bytes EF BF BD)', async () => {
    write('skaffold.yaml', `${v4}manifests:\n  rawYaml: [k8s/*.yaml]\n`);
    write('k8s/c.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  greeting: "grün – \uFFFD"\n');
    expect((await render()).manifest).toContain('greeting: grün – \uFFFD\n');
  });

  describe('rawYaml paths as skaffold expands them', () => {
    const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

    it('"**/*.yaml" (skaffold examples/profiles) does not emit the skaffold.yaml itself, and "k8s/*" skips a README', async () => {
      write('skaffold.yaml', `${v4}manifests:\n  rawYaml: ["**/*.yaml", "k8s/*"]\n`);
      write('k8s/app.yaml', configMap('app'));
      write('k8s/README.md', '# not a manifest\n');
      write('k8s/nested/deep.yaml', configMap('deep'));
      const { manifest } = await render();
      expect(manifest).not.toContain('skaffold/v4beta13');
      expect(manifest).not.toContain('not a manifest');
      expect(manifest.match(/kind: ConfigMap/g)).toHaveLength(2);
    });

    it('expands env templates in rawYaml paths', async () => {
      write('skaffold.yaml', `${v4}manifests:\n  rawYaml: ["k8s/{{.TARGET}}/*.yaml"]\n`);
      write('k8s/prod/app.yaml', configMap('prod'));
      write('k8s/dev/app.yaml', configMap('dev'));
      const { manifest } = await renderManifests({ configFile: join(dir, 'skaffold.yaml'), profiles: [], env: { TARGET: 'prod' }, digestSource: 'none', git: createGitInfoCache() });
      expect(manifest).toContain('name: prod');
      expect(manifest).not.toContain('name: dev');
    });

    it('fails on a rawYaml entry that names a directory, as skaffold does', async () => {
      write('skaffold.yaml', `${v4}manifests:\n  rawYaml: [k8s]\n`);
      write('k8s/app.yaml', configMap('app'));
      const error = await renderError();
      expect(error.message).toMatch(/manifests\.rawYaml names the directory .*k8s/);
      expect(error.hint).toMatch(/k8s\/\*/);
    });
  });

  describe('a config that declares no manifests', () => {
    it('gets skaffold\'s default k8s/*.yaml when it is the only config, with a warning naming it', async () => {
      write('skaffold.yaml', `${v4}metadata:\n  name: app\nbuild:\n  artifacts:\n  - image: app\n`);
      write('k8s/pod.yaml', pod);
      const result = await render();
      expect(result.manifest).toContain('kind: Pod');
      expect(result.warnings).toContain(
        `${join(dir, 'skaffold.yaml')} (config "app") declares no manifests, so skaffold's default manifests.rawYaml ["k8s/*.yaml"] is rendered: 1 file matched.`,
      );
    });

    it('explains an empty render when nothing matches the default', async () => {
      write('skaffold.yaml', `${v4}build:\n  artifacts:\n  - image: app\n`);
      const result = await render();
      expect(result.manifest.trim()).toBe('');
      expect(result.warnings).toContain(
        `${join(dir, 'skaffold.yaml')} declares no manifests, so skaffold's default manifests.rawYaml ["k8s/*.yaml"] is rendered: no file matches it, so the render is empty.`,
      );
    });

    it('gets no default with a docker deployer, as in skaffold', async () => {
      write('skaffold.yaml', `${v4}deploy:\n  docker:\n    images: [app]\n`);
      write('k8s/pod.yaml', pod);
      const result = await render();
      expect(result.manifest.trim()).toBe('');
      expect(result.warnings[0]).toBe(`${join(dir, 'skaffold.yaml')} declares no manifests (deploy.docker needs none), so it adds nothing to the render.`);
    });

    it('adds nothing when it is one of several configs, with a warning naming it', async () => {
      write('skaffold.yaml', `${v4}metadata:\n  name: app\nrequires:\n- path: lib\nmanifests:\n  rawYaml: [k8s/*.yaml]\n`);
      write('lib/skaffold.yaml', `${v4}metadata:\n  name: lib\nbuild:\n  artifacts:\n  - image: lib\n`);
      write('lib/k8s/lib.yaml', pod.replace('name: app\n', 'name: lib\n'));
      write('k8s/pod.yaml', pod);
      const result = await render();
      expect(result.manifest).not.toContain('name: lib');
      expect(result.warnings).toEqual([
        `${join(dir, 'lib/skaffold.yaml')} (config "lib") declares no manifests, so it adds nothing to the render (skaffold sets no default manifests when there are several configs).`,
        'digestSource is "none": images are left as the manifests write them.',
      ]);
    });
  });
});
