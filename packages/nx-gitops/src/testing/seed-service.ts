/**
 * The seed write-up's `foo` service as test data: its skaffold.yaml (skaffold/v2beta10, develop by
 * default, a production profile swapping the tag prefix and the overlay), and a small kustomize layout.
 */
export function seedSkaffoldYaml(image = 'foo'): string {
  return `---
apiVersion: skaffold/v2beta10
kind: Config
build:
  tagPolicy:
    gitCommit:
      prefix: develop-
  artifacts:
  - image: ${image}
deploy:
  kustomize:
    paths:
    - kubernetes/overlays/develop
profiles:
- name: production
  build:
    tagPolicy:
      gitCommit:
        prefix: production-
  deploy:
    kustomize:
      paths:
      - kubernetes/overlays/production
`;
}

/** The seed service's files, relative to the service directory. */
export function seedServiceFiles(name = 'foo'): Record<string, string> {
  return {
    'skaffold.yaml': seedSkaffoldYaml(name),
    Dockerfile: 'FROM busybox:1.36\n',
    'kubernetes/base/kustomization.yaml': 'resources:\n- deployment.yaml\n',
    'kubernetes/base/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: ${name}
        image: ${name}
      - name: sidecar
        image: busybox:1.36
`,
    'kubernetes/overlays/develop/kustomization.yaml': 'resources:\n- ../../base\n',
    'kubernetes/overlays/production/kustomization.yaml': `resources:\n- ../../base\nreplicas:\n- name: ${name}\n  count: 3\n`,
  };
}
