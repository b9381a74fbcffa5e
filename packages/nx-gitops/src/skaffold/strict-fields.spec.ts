import { SUPPORTED_API_VERSIONS } from './config';
import { findFieldProblem, knownFieldVersions, nearestField } from './strict-fields';

describe('strict field tables', () => {
  it('cover exactly the apiVersions the native engine reads', () => {
    expect(knownFieldVersions()).toEqual(SUPPORTED_API_VERSIONS);
  });

  it('follow each version: render hooks exist from skaffold/v3alpha1, resourceSelector from v2beta28', () => {
    const hooks = { apiVersion: 'x', kind: 'Config', manifests: { hooks: { before: [] } } };
    expect(findFieldProblem(hooks, 'skaffold/v3alpha1')).toBeUndefined();
    const selector = { apiVersion: 'x', kind: 'Config', resourceSelector: { allow: [] } };
    expect(findFieldProblem(selector, 'skaffold/v2beta27')?.message).toBe('unknown field "resourceSelector" (it exists from skaffold/v2beta28 on)');
    expect(findFieldProblem(selector, 'skaffold/v2beta28')).toBeUndefined();
  });

  it('accept a v2 config whose sources moved to manifests only in the upgraded layout', () => {
    const upgraded = { apiVersion: 'x', kind: 'Config', manifests: { rawYaml: ['k8s/*.yaml'] }, profiles: [{ name: 'p', manifests: { kustomize: { paths: ['.'] } } }] };
    expect(findFieldProblem(upgraded, 'skaffold/v2beta29', 'upgraded')).toBeUndefined();
    expect(findFieldProblem(upgraded, 'skaffold/v2beta29')?.path).toEqual(['manifests']);
  });

  it.each([
    ['kustomise', 'kustomize'],
    ['biuld', 'build'],
    ['gitcommit', 'gitCommit'],
    ['rawyaml', 'rawYaml'],
    ['xyz', undefined],
    ['helmet', 'helm'],
    ['artifacts', undefined],
  ])('suggests for %s: %s', (field, expected) => {
    expect(nearestField(field, ['build', 'kustomize', 'gitCommit', 'rawYaml', 'helm', 'kpt'])).toBe(expected);
  });
});
