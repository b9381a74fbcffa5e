import { GitopsError } from '../lib/errors';
import { parseManifests, serializeManifests } from '../manifests/yaml';
import { createResourceSelector, replaceImages, resourceSelectorFromLists } from './replace-images';
import { applyLabels, applyNamespace } from './transforms';

// Inputs and expected outputs carried over from skaffold's pkg/skaffold/kubernetes/manifest/labels_test.go
// and namespace_test.go.

function yaml(text: string) {
  return parseManifests(text, 'test.yaml');
}

const pod = (metadata: string, indent = '  ') => `
apiVersion: v1
kind: Pod
metadata:
${metadata}
spec:
  containers:
${indent}- image: gcr.io/k8s-skaffold/example
${indent}  name: example
`;

describe('applyLabels', () => {
  it.each<[string, string, Record<string, string>, string]>([
    ['TestSetLabels', pod('  name: getting-started'), { key1: 'value1', key2: 'value2' }, pod('  labels:\n    key1: value1\n    key2: value2\n  name: getting-started')],
    [
      'TestAddLabels: existing keys are kept',
      pod('  labels:\n    key0: value0\n  name: getting-started'),
      { key0: 'should-be-ignored', key1: 'value1', key2: 'value2' },
      pod('  labels:\n    key0: value0\n    key1: value1\n    key2: value2\n  name: getting-started'),
    ],
    ['TestSetNoLabel', pod('  name: getting-started'), {}, pod('  name: getting-started')],
    [
      'TestAlwaysSetRunIDLabel',
      pod('  labels:\n    skaffold.dev/run-id: foo\n  name: getting-started'),
      { 'skaffold.dev/run-id': 'bar' },
      pod('  labels:\n    skaffold.dev/run-id: bar\n  name: getting-started'),
    ],
    [
      'TestSetNoLabelWhenTypeUnexpected',
      'apiVersion: v1\nkind: Pod\nmetadata: 3\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  labels: 3\n  name: getting-started\n',
      { key0: 'value0' },
      'apiVersion: v1\nkind: Pod\nmetadata: 3\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  labels: 3\n  name: getting-started\n',
    ],
  ])('%s', (_name, input, labels, expected) => {
    expect(applyLabels(yaml(input), labels)).toEqual(yaml(expected));
  });

  it('TestSetLabelInCRDSchema: a custom path labels only the top-level metadata', () => {
    const crd = (labels: string) => `apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata:
${labels}  name: mykind.mygroup.org
spec:
  group: mygroup.org
  names:
    kind: MyKind
  validation:
    openAPIV3Schema:
      properties:
        apiVersion:
          type: string
        kind:
          type: string
        metadata:
          type: object`;
    const selector = resourceSelectorFromLists({
      allow: [{ groupKind: 'CustomResourceDefinition.apiextensions.k8s.io', image: ['.*'], labels: ['.metadata.labels'] }],
    });
    const result = applyLabels(yaml(crd('')), { key0: 'value0', key1: 'value1' }, { selector });
    expect(result).toEqual(yaml(crd('  labels:\n    key0: value0\n    key1: value1\n')));
  });

  it('labels pod templates, but not Job templates nor StatefulSet volume claims, and leaves other kinds alone', () => {
    const input = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata: {labels: {app: d}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    metadata: {labels: {app: j}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec:
  volumeClaimTemplates:
  - metadata: {name: data}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
`;
    expect(serializeManifests(applyLabels(yaml(input), { team: 'shop' }))).toBe(`apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    team: shop
  name: d
spec:
  template:
    metadata:
      labels:
        app: d
        team: shop
---
apiVersion: batch/v1
kind: Job
metadata:
  labels:
    team: shop
  name: j
spec:
  template:
    metadata:
      labels:
        app: j
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  labels:
    team: shop
  name: s
spec:
  volumeClaimTemplates:
    - metadata:
        name: data
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
`);
  });

  it('does not modify its input', () => {
    const documents = yaml(pod('  name: p'));
    const before = JSON.stringify(documents);
    applyLabels(documents, { a: 'b' });
    expect(JSON.stringify(documents)).toBe(before);
  });
});

describe('applyNamespace', () => {
  const named = (namespace: string, indent?: string) => pod(`  name: getting-started${namespace}`, indent);

  it.each<[string, string, string, string, string[]]>([
    ['single Pod manifest in the list', 'test', named(''), named('\n  namespace: test'), []],
    [
      'multiple manifest in the list with no namespace set',
      'test',
      `${pod('  name: foo')}---${pod('  name: bar')}`,
      `${pod('  name: foo\n  namespace: test')}---${pod('  name: bar\n  namespace: test')}`,
      [],
    ],
    ['single Pod manifest with nil namespace', 'test', named('\n  namespace:'), named('\n  namespace: test'), []],
    ['single Pod manifest with empty namespace', 'test', named('\n  namespace: ""'), named('\n  namespace: test'), []],
    ['empty manifest', 'test', '', '', []],
    ['unexpected metadata type', 'test', 'metadata: []', 'metadata: []', []],
    ['single Pod manifest in the list with same namespace as set', 'test', named('\n  namespace: test'), named('\n  namespace: test'), []],
    [
      'single Pod manifest in the list with same namespace set to other',
      'test',
      named('\n  namespace: other'),
      named('\n  namespace: other'),
      ['Pod "getting-started" already has namespace "other", which differs from the requested namespace "test"; it is kept.'],
    ],
    ['empty namespace', '', named(''), named('\n  namespace: default'), []],
    ['should not add namespace to any resource', 'test', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: getting-started\n', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: getting-started\n', []],
    ['manifests with namespace set and empty value in CLI', '', named('\n  namespace: my-namespace', '    '), named('\n  namespace: my-namespace'), []],
  ])('%s', (_name, namespace, input, expected, warnings) => {
    const result = applyNamespace(yaml(input), namespace);
    expect(result.documents).toEqual(yaml(expected));
    expect(result.warnings.map((warning) => warning.message)).toEqual(warnings);
  });

  it('reports the conflicting manifest in structured form', () => {
    const { warnings } = applyNamespace(yaml(pod('  name: p\n  namespace: other')), 'test');
    expect(warnings).toEqual([expect.objectContaining({ kind: 'Pod', name: 'p', existing: 'other', requested: 'test' })]);
  });

  it('adds metadata to an allowlisted manifest that has none', () => {
    expect(applyNamespace([{ apiVersion: 'v1', kind: 'Pod' }], 'ns').documents).toEqual([
      { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'ns' } },
    ]);
  });

  it('fails with a GitopsError when an allowlisted manifest has non-mapping metadata', () => {
    expect(() => applyNamespace([{ apiVersion: 'v1', kind: 'Pod', metadata: 'x' }], 'ns')).toThrow(GitopsError);
  });
});

describe('images, labels and namespace together, in skaffold render order', () => {
  // Expected bytes produced by skaffold's own BaseTransform (ReplaceImages, SetLabels, SetNamespace with the
  // default allow/deny lists) followed by its manifest writer, for the same input and options.
  const input = String.raw`apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
    targetPort: 8080
  selector:
    app: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: web
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - image: web:latest
        name: web
      - image: nginx@sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883
        name: proxy
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: tools
spec:
  template:
    metadata:
      labels:
        job: migrate
    spec:
      containers:
      - image: ko://example.com/Cmd/Migrate
        name: migrate
      restartPolicy: Never
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  image: web
  enabled: "true"
`;
  const expected = String.raw`apiVersion: v1
kind: Service
metadata:
  labels:
    team: shop
  name: web
  namespace: prod
spec:
  ports:
    - port: 80
      targetPort: 8080
  selector:
    app: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: web
    team: shop
  name: web
  namespace: prod
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        team: shop
    spec:
      containers:
        - image: registry.example.com/web:1a2b3c4
          name: web
        - image: nginx@sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883
          name: proxy
---
apiVersion: batch/v1
kind: Job
metadata:
  labels:
    team: shop
  name: migrate
  namespace: tools
spec:
  template:
    metadata:
      labels:
        job: migrate
    spec:
      containers:
        - image: registry.example.com/example_com_cmd_migrate:1a2b3c4
          name: migrate
      restartPolicy: Never
---
apiVersion: v1
data:
  enabled: "true"
  image: web
kind: ConfigMap
metadata:
  name: settings
`;

  it('matches skaffold byte for byte and reports the kept namespace', () => {
    const selector = createResourceSelector();
    const replaced = replaceImages({
      documents: parseManifests(input, 'kustomize build overlays/prod'),
      builds: [
        { imageName: 'web', tag: 'registry.example.com/web:1a2b3c4' },
        { imageName: 'example.com/Cmd/Migrate', tag: 'registry.example.com/example_com_cmd_migrate:1a2b3c4' },
      ],
      selector,
    });
    const labelled = applyLabels(replaced.documents, { team: 'shop' }, { selector });
    const { documents, warnings } = applyNamespace(labelled, 'prod', { selector });
    expect(serializeManifests(documents)).toBe(expected);
    expect(warnings.map(({ kind, name, existing }) => `${kind}/${name}/${existing}`)).toEqual(['Job/migrate/tools']);
    expect(replaced.images.map((image) => image.reference)).toEqual([
      'registry.example.com/example_com_cmd_migrate:1a2b3c4',
      'registry.example.com/web:1a2b3c4',
    ]);
  });
});
