import { parseManifests, serializeManifests } from '../manifests/yaml';
import type { ResourceSelectorRule } from './types';
import {
  TRANSFORM_ALLOWLIST,
  TRANSFORM_DENYLIST,
  createResourceSelector,
  replaceImages,
  resourceSelectorFromLists,
  shouldTransformManifest,
  visitManifest,
  type BuiltImage,
} from './replace-images';

// Inputs and expected outputs carried over from skaffold's pkg/skaffold/kubernetes/manifest/images_test.go.

const digest = 'sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883';

function yaml(text: string) {
  return parseManifests(text, 'test.yaml');
}

function replace(text: string, builds: BuiltImage[], ...rules: Array<{ allow?: ResourceSelectorRule[]; deny?: ResourceSelectorRule[] }>) {
  return replaceImages({ documents: yaml(text), builds, selector: createResourceSelector(...rules) });
}

const bucket = (spec: string) => `
apiVersion: storage.cnrm.cloud.google.com/v1beta1
kind: StorageBucket
metadata:
  name: image-name
  labels:
    app.kubernetes.io/name: image-name
    this.should.not.change: image-name
    image: LABEL_IMAGE
spec:
${spec}
`;

const job = (labelImage: string, restartPolicy: string, specImage: string) => `
apiVersion: batch/v1
kind: Job
metadata:
  name: image-name
  labels:
    app.kubernetes.io/name: image-name
    this.should.not.change: image-name
    image: ${labelImage}
spec:
  template:
    spec:
      restartPolicy: ${restartPolicy}
  image: ${specImage}
`;

const imageNameBuild = [{ imageName: 'image-name', tag: 'gcr.io/k8s-skaffold/image-name:TAG' }];
const TAG = 'gcr.io/k8s-skaffold/image-name:TAG';

describe('replaceImages', () => {
  it('TestReplaceImages: matches by name, ignores tags, keeps digests, unknown and invalid images', () => {
    const input = `
apiVersion: v1
kind: Pod
metadata:
  name: getting-started
spec:
  containers:
  - image: gcr.io/k8s-skaffold/example
    name: not-tagged
  - image: gcr.io/k8s-skaffold/example:latest
    name: latest
  - image: gcr.io/k8s-skaffold/example:v1
    name: ignored-tag
  - image: skaffold/other
    name: other
  - image: gcr.io/k8s-skaffold/example@${digest}
    name: digest
  - image: skaffold/usedbyfqn:TAG
  - image: ko://github.com/GoogleContainerTools/skaffold/cmd/skaffold
  - image: not valid
  - image: unknown
`;
    const builds = [
      { imageName: 'gcr.io/k8s-skaffold/example', tag: 'gcr.io/k8s-skaffold/example:TAG' },
      { imageName: 'skaffold/other', tag: 'skaffold/other:OTHER_TAG' },
      { imageName: 'skaffold/unused', tag: 'skaffold/unused:TAG' },
      { imageName: 'skaffold/usedbyfqn', tag: 'skaffold/usedbyfqn:TAG' },
      {
        imageName: 'github.com/GoogleContainerTools/skaffold/cmd/skaffold',
        tag: 'gcr.io/k8s-skaffold/github.com/googlecontainertools/skaffold/cmd/skaffold:TAG',
      },
    ];
    const expected = `
apiVersion: v1
kind: Pod
metadata:
  name: getting-started
spec:
  containers:
  - image: gcr.io/k8s-skaffold/example:TAG
    name: not-tagged
  - image: gcr.io/k8s-skaffold/example:TAG
    name: latest
  - image: gcr.io/k8s-skaffold/example:TAG
    name: ignored-tag
  - image: skaffold/other:OTHER_TAG
    name: other
  - image: gcr.io/k8s-skaffold/example@${digest}
    name: digest
  - image: skaffold/usedbyfqn:TAG
  - image: gcr.io/k8s-skaffold/github.com/googlecontainertools/skaffold/cmd/skaffold:TAG
  - image: not valid
  - image: unknown
`;
    const result = replace(input, builds);
    expect(result.documents).toEqual(yaml(expected));
    expect(result.images).toEqual([
      {
        name: 'gcr.io/k8s-skaffold/example',
        repository: 'gcr.io/k8s-skaffold/example',
        tag: 'TAG',
        digest: null,
        reference: 'gcr.io/k8s-skaffold/example:TAG',
      },
      {
        name: 'github.com/GoogleContainerTools/skaffold/cmd/skaffold',
        repository: 'gcr.io/k8s-skaffold/github.com/googlecontainertools/skaffold/cmd/skaffold',
        tag: 'TAG',
        digest: null,
        reference: 'gcr.io/k8s-skaffold/github.com/googlecontainertools/skaffold/cmd/skaffold:TAG',
      },
      { name: 'skaffold/other', repository: 'skaffold/other', tag: 'OTHER_TAG', digest: null, reference: 'skaffold/other:OTHER_TAG' },
      { name: 'skaffold/usedbyfqn', repository: 'skaffold/usedbyfqn', tag: 'TAG', digest: null, reference: 'skaffold/usedbyfqn:TAG' },
    ]);
  });

  it.each<[string, string, string, Array<{ allow?: ResourceSelectorRule[]; deny?: ResourceSelectorRule[] }>]>([
    [
      'TestReplaceImagesOnConfigConnectorResources',
      bucket('  location: EU\n  image: this-should-not-change').replace('LABEL_IMAGE', 'image-name'),
      bucket('  location: EU\n  image: this-should-not-change').replace('LABEL_IMAGE', TAG),
      [],
    ],
    [
      'TestReplaceImagesOnConfigConnectorResourcesUsingNonDefaultField',
      bucket('  template:\n    spec:\n      restartPolicy: image-name\n  image: this-should-not-change').replace('LABEL_IMAGE', 'image-name'),
      bucket(`  template:\n    spec:\n      restartPolicy: ${TAG}\n  image: this-should-not-change`).replace('LABEL_IMAGE', 'image-name'),
      [{ allow: [{ groupKind: 'StorageBucket.storage.cnrm.cloud.google.com', image: ['.spec.template.spec.restartPolicy'] }] }],
    ],
    [
      'TestReplaceImagesOnConfigConnectorResourcesUsingWildcardAndNonDefaultField',
      bucket('  template:\n    spec:\n      restartPolicy: image-name\n  image: this-should-not-change').replace('LABEL_IMAGE', 'image-name'),
      bucket(`  template:\n    spec:\n      restartPolicy: ${TAG}\n  image: this-should-not-change`).replace('LABEL_IMAGE', TAG),
      [{ allow: [{ groupKind: 'StorageBucket.storage.cnrm.cloud.google.com', image: ['.*', '.spec.template.spec.restartPolicy'] }] }],
    ],
    [
      'TestReplaceImagesOnConfigConnectorDeniedResources',
      bucket('  location: EU\n  image: image-name').replace('LABEL_IMAGE', 'image-name'),
      bucket(`  location: EU\n  image: ${TAG}`).replace('LABEL_IMAGE', 'image-name'),
      [{ deny: [{ groupKind: 'StorageBucket.storage.cnrm.cloud.google.com', image: ['.metadata.labels.image'] }] }],
    ],
    [
      'TestReplaceImagesOnConfigConnectorAllDeniedResources',
      bucket('  location: EU\n  image: image-name').replace('LABEL_IMAGE', 'image-name'),
      bucket('  location: EU\n  image: image-name').replace('LABEL_IMAGE', 'image-name'),
      [{ deny: [{ groupKind: 'StorageBucket.storage.cnrm.cloud.google.com', image: ['.*'] }] }],
    ],
    [
      'TestReplaceImagesOnPredefinedAllowedResourcesUsingNonDefaultField',
      job('image-name', 'image-name', 'this-should-not-change'),
      job('image-name', TAG, 'this-should-not-change'),
      [{ allow: [{ groupKind: 'Job.batch', image: ['.spec.template.spec.restartPolicy'] }] }],
    ],
    ['TestReplaceImagesOnPredefinedAllowedResources', job('image-name', 'image-name', 'this-should-not-change'), job(TAG, 'image-name', 'this-should-not-change'), []],
    [
      'TestReplaceImagesOnPredefinedDeniedResources',
      job('image-name', 'image-name', 'image-name'),
      job('image-name', 'image-name', TAG),
      [{ deny: [{ groupKind: 'Job.batch', image: ['.metadata.labels.image'] }] }],
    ],
  ])('%s', (_name, input, expected, [extra]) => {
    // As the Go test: the default lists with one entry added or replaced, no pruning between them.
    const selector = resourceSelectorFromLists({
      allow: [...TRANSFORM_ALLOWLIST, ...(extra?.allow ?? [])],
      deny: [...TRANSFORM_DENYLIST, ...(extra?.deny ?? [])],
    });
    expect(replaceImages({ documents: yaml(input), builds: imageNameBuild, selector }).documents).toEqual(yaml(expected));
  });

  it('TestReplaceEmptyManifest: empty documents are dropped', () => {
    const result = replaceImages({ documents: [{}, {}], builds: [] });
    expect(serializeManifests(result.documents)).toBe('\n');
  });

  it('TestReplaceNonStringImageField: a non-string image is left as written', () => {
    const input = 'apiVersion: v1\nimage:\n- value1\n- value2\n';
    expect(replace(input, []).documents).toEqual(yaml(input));
  });

  it('does not walk kinds outside the allowlist', () => {
    const input = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  image: image-name\n';
    expect(replace(input, imageNameBuild).documents).toEqual(yaml(input));
    expect(replace(input, imageNameBuild).images).toEqual([]);
  });

  it('rewrites the Confluent and Strimzi paths only', () => {
    const input = `
apiVersion: platform.confluent.io/v1beta1
kind: Connect
spec:
  image:
    application: image-name
    init: image-name:1
  other:
    image: image-name
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnect
spec:
  image: image-name
  template:
    image: image-name
`;
    const expected = `
apiVersion: platform.confluent.io/v1beta1
kind: Connect
spec:
  image:
    application: ${TAG}
    init: ${TAG}
  other:
    image: image-name
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnect
spec:
  image: ${TAG}
  template:
    image: image-name
`;
    expect(replace(input, imageNameBuild).documents).toEqual(yaml(expected));
  });

  it('a deny rule beats an allow rule for the same kind in one source, and a later source wins', () => {
    const input = 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - image: image-name\n';
    const denyDeployments = { allow: [{ groupKind: 'Deployment.apps', image: ['.*'] }], deny: [{ groupKind: 'Deployment.apps', image: ['.*'] }] };
    expect(replace(input, imageNameBuild, denyDeployments).images).toEqual([]);
    const allowAgain = { allow: [{ groupKind: 'Deployment.apps', image: ['.*'] }] };
    expect(replace(input, imageNameBuild, denyDeployments, allowAgain).images).toHaveLength(1);
  });

  it('strips ".*" list markers from custom paths', () => {
    const input = 'apiVersion: example.com/v1\nkind: Thing\nspec:\n  workers:\n  - runner: image-name\n';
    const rules = { allow: [{ groupKind: 'Thing.example.com', image: ['.spec.workers.*.runner'] }] };
    expect(replace(input, imageNameBuild, rules).documents[0]).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'Thing',
      spec: { workers: [{ runner: TAG }] },
    });
  });

  it('keeps Helm-era templated names working like skaffold (name:name and name/name:name)', () => {
    const input = 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: app/app:app\n  - image: other/other:other\n';
    const result = replace(input, [{ imageName: 'app', tag: 'reg/app:1' }]);
    expect(result.documents[0]).toEqual({ apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ image: 'reg/app:1' }, { image: 'other/other:other' }] } });
  });

  it('does not modify its input and records digests in images', () => {
    const documents = yaml('apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: app\n');
    const before = JSON.stringify(documents);
    const result = replaceImages({ documents, builds: [{ imageName: 'app', tag: `reg.example.com/app:v1@${digest}` }] });
    expect(JSON.stringify(documents)).toBe(before);
    expect(result.images).toEqual([{ name: 'app', repository: 'reg.example.com/app', tag: 'v1', digest, reference: `reg.example.com/app:v1@${digest}` }]);
  });
});

// pkg/skaffold/kubernetes/manifest/visitor_test.go
describe('shouldTransformManifest (TestShouldTransformManifest)', () => {
  it.each<[Record<string, string>, boolean]>([
    [{}, false],
    [{ xxx: 'v1', yyy: 'Pod' }, false],
    [{ apiVersion: 'v1', kind: 'Pod' }, true],
    [{ apiVersion: 'apps/v1', kind: 'DaemonSet' }, true],
    [{ apiVersion: 'apps/v1', kind: 'Deployment' }, true],
    [{ apiVersion: 'apps/v1', kind: 'StatefulSet' }, true],
    [{ apiVersion: 'apps/v1', kind: 'ReplicaSet' }, true],
    [{ apiVersion: 'extensions/v1beta1', kind: 'Deployment' }, true],
    [{ apiVersion: 'extensions/v1beta1', kind: 'DaemonSet' }, true],
    [{ apiVersion: 'extensions/v1beta1', kind: 'ReplicaSet' }, true],
    [{ apiVersion: 'batch/v1', kind: 'CronJob' }, true],
    [{ apiVersion: 'batch/v1', kind: 'Job' }, true],
    [{ apiVersion: 'serving.knative.dev/v1', kind: 'Service' }, true],
    [{ apiVersion: 'agones.dev/v1', kind: 'Fleet' }, true],
    [{ apiVersion: 'agones.dev/v1', kind: 'GameServer' }, true],
    [{ apiVersion: 'argoproj.io/v1', kind: 'Rollout' }, true],
    [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow' }, true],
    [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'CronWorkflow' }, true],
    [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTemplate' }, true],
    [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'ClusterWorkflowTemplate' }, true],
    [{ apiVersion: 'foo.cnrm.cloud.google.com/v1', kind: 'Service' }, true],
    [{ apiVersion: 'foo.bar.cnrm.cloud.google.com/v1', kind: 'Service' }, true],
    [{ apiVersion: 'foo/v1', kind: 'Blah' }, false],
    [{ apiVersion: 'foo.bar.cnrm.cloud.google.com/v1', kind: 'Other' }, true],
  ])('%j → %s', (manifest, expected) => {
    expect(shouldTransformManifest(manifest, createResourceSelector())).toBe(expected);
  });
});

describe('visitManifest (TestVisit)', () => {
  function visitedKeys(text: string, pivotKey?: string, replaceWith?: string) {
    const visited: string[] = [];
    const documents = yaml(text);
    for (const document of documents) {
      visitManifest(
        document,
        (_groupKind, _path, object, key) => {
          visited.push(key);
          if (key !== pivotKey) return true;
          if (replaceWith !== undefined) object[key] = replaceWith;
          return false;
        },
        createResourceSelector(),
      );
    }
    return { visited: visited.sort(), documents };
  }

  it.each<[string, string, string[], string | undefined]>([
    ['correct with one level', 'test: foo\n---\ntest: bar', ['test', 'test'], undefined],
    ['skip nested map', 'nested:\n  prop: x\ntest: foo', ['nested', 'test'], undefined],
    [
      'skip nested map in Role',
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: myrole\nrules:\n- apiGroups: [""]\n  verbs: [list]',
      ['apiVersion', 'kind', 'metadata', 'rules'],
      undefined,
    ],
    ['nested map in Pod', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: mpod\nspec:\n  restartPolicy: Always', ['apiVersion', 'kind', 'metadata', 'name', 'restartPolicy', 'spec'], undefined],
    ['skip recursion at key', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: mpod\nspec:\n  restartPolicy: Always', ['apiVersion', 'kind', 'metadata', 'restartPolicy', 'spec'], 'metadata'],
    [
      'nested array and map in Pod',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: mpod\nspec:\n  containers:\n  - env:\n      name: k\n      value: v\n    name: c1\n  - name: c2\n  restartPolicy: Always',
      ['apiVersion', 'containers', 'env', 'kind', 'metadata', 'name', 'name', 'name', 'name', 'restartPolicy', 'spec', 'value'],
      undefined,
    ],
    [
      'deprecated daemonset.extensions',
      'apiVersion: extensions/v1beta1\nkind: DaemonSet\nmetadata:\n  name: app\nspec:\n  replicas: 0',
      ['apiVersion', 'kind', 'metadata', 'name', 'replicas', 'spec'],
      undefined,
    ],
    [
      'skip CRD fields',
      'apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata:\n  name: mykind.mygroup.org\nspec:\n  group: mygroup.org\n  names:\n    kind: MyKind',
      ['apiVersion', 'kind', 'metadata', 'spec'],
      undefined,
    ],
  ])('%s', (_name, text, expected, pivotKey) => {
    expect(visitedKeys(text, pivotKey).visited).toEqual([...expected].sort());
  });

  it('replace key: every "name" field of an allowlisted kind, only top-level elsewhere', () => {
    const { documents } = visitedKeys('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    name: x\n  name: app\nspec:\n  replicas: 0\n---\nname: foo', 'name', 'repl');
    expect(documents).toEqual(
      yaml('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    name: repl\n  name: repl\nspec:\n  replicas: 0\n---\nname: repl'),
    );
  });
});
