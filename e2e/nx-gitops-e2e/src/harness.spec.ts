import { fixtureEnv, imagesIn } from './harness';

describe('imagesIn', () => {
  it('reads every image of a multi-document manifest, quoted or not', () => {
    const manifest = [
      'kind: Deployment',
      'spec:',
      '  template:',
      '    spec:',
      '      initContainers:',
      '        - name: init',
      '          image: "busybox:1.36"',
      '      containers:',
      '        - image: api:develop-1a2b3c4',
      '          name: api',
      '---',
      'kind: CronJob',
      'spec:',
      '  jobTemplate:',
      "    image: 'registry.example.com/job@sha256:abc'",
      'data:',
      '  note: "image: not-an-image"',
      '',
    ].join('\n');

    expect(imagesIn(manifest)).toEqual(['busybox:1.36', 'api:develop-1a2b3c4', 'registry.example.com/job@sha256:abc']);
  });
});

describe('fixtureEnv', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('drops what an enclosing npm or Nx run, git hook or CI token would leak into the fixture', () => {
    Object.assign(process.env, {
      NX_WORKSPACE_ROOT_PATH: '/elsewhere',
      NX_GITOPS_MANIFEST_REPOSITORY: '/elsewhere/manifests.git',
      npm_config_local_prefix: '/elsewhere',
      npm_package_name: 'outer',
      npm_config_cache: '/cache/npm',
      GIT_DIR: '/elsewhere/.git',
      GITHUB_TOKEN: 'not-for-fixtures',
    });

    const env = fixtureEnv({ EXTRA: '1' });

    for (const name of ['NX_WORKSPACE_ROOT_PATH', 'NX_GITOPS_MANIFEST_REPOSITORY', 'npm_config_local_prefix', 'npm_package_name', 'GIT_DIR', 'GITHUB_TOKEN']) {
      expect(env).not.toHaveProperty(name);
    }
    expect(env).toMatchObject({ npm_config_cache: '/cache/npm', NX_DAEMON: 'false', CI: 'true', EXTRA: '1' });
    expect(env.GIT_AUTHOR_EMAIL).toBe(env.GIT_COMMITTER_EMAIL);
  });
});
