import { parseManifests } from '../manifests/yaml';
import { diffLines, unifiedDiff } from './line-diff';
import { diffManifestObjects, hasChanges, maskSecret, MASKED_CHANGED_VALUE } from './object-diff';

const yaml = (text: string) => parseManifests(text, 'test.yaml');

const deployment = (tag: string, replicas = 1) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: ${replicas}
  template:
    spec:
      initContainers:
        - name: migrate
          image: registry.example.com/migrate:v1
      containers:
        - name: web
          image: registry.example.com/web:${tag}
`;
const service = `
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
    - port: 80
`;
const configMap = (value: string) => `
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: ${value}
`;

describe('diffLines / unifiedDiff', () => {
  it.each([
    [[], [], ''],
    [['a', 'b', 'c'], ['a', 'b', 'c'], '   '],
    [['a', 'b', 'c'], ['a', 'x', 'c'], ' -+ '],
    [['a'], [], '-'],
    [[], ['a', 'b'], '++'],
    [['a', 'b', 'c', 'd'], ['b', 'c', 'd', 'e'], '-   +'],
  ])('%j → %j is the shortest script', (before, after, ops) => {
    const edits = diffLines(before, after);
    expect(edits.map((edit) => edit.op).join('')).toBe(ops);
    expect(edits.filter((edit) => edit.op !== '+').map((edit) => edit.line)).toEqual(before);
    expect(edits.filter((edit) => edit.op !== '-').map((edit) => edit.line)).toEqual(after);
  });

  it('writes hunks with context and merges changes that are close', () => {
    const before = Array.from({ length: 20 }, (_, index) => `line ${index + 1}`);
    const after = [...before];
    after[4] = 'five';
    after[6] = 'seven';
    after[17] = 'eighteen';
    const diff = unifiedDiff({ before: `${before.join('\n')}\n`, after: `${after.join('\n')}\n`, beforeLabel: 'a', afterLabel: 'b', context: 2 });
    expect(diff).toBe(
      [
        '--- a',
        '+++ b',
        '@@ -3,7 +3,7 @@',
        ' line 3',
        ' line 4',
        '-line 5',
        '+five',
        ' line 6',
        '-line 7',
        '+seven',
        ' line 8',
        ' line 9',
        '@@ -16,5 +16,5 @@',
        ' line 16',
        ' line 17',
        '-line 18',
        '+eighteen',
        ' line 19',
        ' line 20',
        '',
      ].join('\n'),
    );
    expect(unifiedDiff({ before: 'same\n', after: 'same\n', beforeLabel: 'a', afterLabel: 'b' })).toBe('');
  });
});

describe('diffManifestObjects', () => {
  it('lists added, removed and changed objects, with a unified diff of each changed one', () => {
    const diff = diffManifestObjects({
      before: yaml(`${deployment('v1')}---${configMap('old')}`),
      after: yaml(`${deployment('v2', 3)}---${service}`),
    });
    expect(diff.counts).toEqual({ added: 1, changed: 1, removed: 1, unchanged: 0, imagesChanged: 1 });
    expect(diff.objects.map((object) => [object.change, object.key])).toEqual([
      ['changed', 'apps/v1 Deployment shop/web'],
      ['removed', 'v1 ConfigMap settings'],
      ['added', 'v1 Service shop/web'],
    ]);
    const changed = diff.objects[0];
    expect(changed).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' });
    expect(changed.diff).toContain('--- branch: apps/v1 Deployment shop/web\n+++ render: apps/v1 Deployment shop/web\n');
    expect(changed.diff).toContain('-  replicas: 1\n+  replicas: 3\n');
    expect(changed.diff).toContain('-        - image: registry.example.com/web:v1\n+        - image: registry.example.com/web:v2\n');
    expect(diff.objects[1].diff).toBeUndefined();
    expect(diff.images).toEqual([{ repository: 'registry.example.com/web', before: [':v1'], after: [':v2'] }]);
    expect(hasChanges(diff)).toBe(true);
  });

  it('sees no change when only the order of documents and of mapping keys differs', () => {
    const reordered = `
kind: ConfigMap
data:
  mode: old
metadata:
  name: settings
apiVersion: v1
`;
    const diff = diffManifestObjects({ before: yaml(`${deployment('v1')}---${service}---${configMap('old')}`), after: yaml(`${reordered}---${service}---${deployment('v1')}`) });
    expect(diff.objects).toEqual([]);
    expect(diff.images).toEqual([]);
    expect(diff.counts).toEqual({ added: 0, changed: 0, removed: 0, unchanged: 3, imagesChanged: 0 });
    expect(hasChanges(diff)).toBe(false);
  });

  it('treats a missing branch as everything added, with every image new', () => {
    const diff = diffManifestObjects({ before: null, after: yaml(`${deployment('v1')}---${service}`) });
    expect(diff.objects.map((object) => object.change)).toEqual(['added', 'added']);
    expect(diff.images).toEqual([
      { repository: 'registry.example.com/migrate', before: [], after: [':v1'] },
      { repository: 'registry.example.com/web', before: [], after: [':v1'] },
    ]);
  });

  it('reports digests and keeps objects of the same identity apart', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const diff = diffManifestObjects({ before: yaml(`${configMap('a')}---${configMap('a')}`), after: yaml(`${configMap('a')}---${deployment(`v1@${digest}`)}`) });
    expect(diff.objects.map((object) => [object.change, object.key])).toEqual([
      ['added', 'apps/v1 Deployment shop/web'],
      ['removed', 'v1 ConfigMap settings #2'],
    ]);
    expect(diff.images).toContainEqual({ repository: 'registry.example.com/web', before: [], after: [`:v1@${digest}`] });
  });

  describe('Secrets', () => {
    const secret = (password: string, extra = '') => `
apiVersion: v1
kind: Secret
metadata:
  name: db
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"password":"${password}"}}'
type: Opaque
data:
  password: ${password}
  user: YWRtaW4=
${extra}`;

    it('shows which keys changed and never a value', () => {
      const diff = diffManifestObjects({
        before: yaml(secret('czNjcmV0LW9sZA==', 'stringData:\n  token: old-token-value\n')),
        after: yaml(secret('czNjcmV0LW5ldw==', 'stringData:\n  apiKey: new-api-key-value\n')),
      });
      const [object] = diff.objects;
      expect(object.change).toBe('changed');
      expect(object.secretKeys).toEqual({ added: ['stringData.apiKey'], removed: ['stringData.token'], changed: ['password'] });
      expect(object.diff).toContain(`-  password: (masked)\n+  password: ${MASKED_CHANGED_VALUE}\n   user: (masked)\n`);
      expect(object.diff).toContain('-  token: (masked)');
      expect(object.diff).toContain('+  apiKey: (masked)');
      expect(object.diff).toContain('    kubectl.kubernetes.io/last-applied-configuration: (masked)\n');
      const everything = JSON.stringify(diff);
      for (const value of ['czNjcmV0LW9sZA==', 'czNjcmV0LW5ldw==', 'YWRtaW4=', 'old-token-value', 'new-api-key-value']) expect(everything).not.toContain(value);
    });

    it('masks added and removed Secrets too, and a data field that is not a mapping', () => {
      const diff = diffManifestObjects({ before: null, after: yaml(secret('c2VjcmV0')) });
      expect(diff.objects[0]).toMatchObject({ change: 'added', secretKeys: { added: ['password', 'user'], removed: [], changed: [] } });
      expect(JSON.stringify(diff)).not.toContain('c2VjcmV0');
      const odd = yaml('apiVersion: v1\nkind: Secret\nmetadata:\n  name: odd\ndata: not-a-map\n')[0];
      expect(maskSecret(odd).data).toBe('(masked)');
      const config = yaml(configMap('visible'))[0];
      expect(maskSecret(config)).toBe(config);
    });

    it('sees an unchanged Secret as unchanged', () => {
      const diff = diffManifestObjects({ before: yaml(secret('c2VjcmV0')), after: yaml(secret('c2VjcmV0')) });
      expect(diff.counts.unchanged).toBe(1);
      expect(diff.objects).toEqual([]);
    });
  });
});
