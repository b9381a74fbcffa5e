import type { ManifestDocument } from '../manifests/yaml';
import { orderLikeSkaffold } from './session';

const doc = (name: string): ManifestDocument => ({ kind: 'ConfigMap', metadata: { name } });
const names = (documents: ManifestDocument[]) => documents.map((document) => (document.metadata as { name: string }).name);

// skaffold's RenderMux adds each renderer's output to its config's list; a config's list is created by the
// first renderer that gives it a document (ManifestListByConfig.Add), and the lists are written in that order.
describe('orderLikeSkaffold', () => {
  it('keeps the renderers of each config together, the legacy helm output joining its config', () => {
    const results = [[doc('a-raw')], [doc('a-helm')], [doc('b-raw')], [], [doc('a-legacy')], [doc('b-legacy')]];
    expect(names(orderLikeSkaffold({ results, configOfSource: [0, 0, 1, 1, 0, 1] }))).toEqual(['a-raw', 'a-helm', 'a-legacy', 'b-raw', 'b-legacy']);
  });

  it('puts a config whose only output is legacy helm after the configs that rendered something else', () => {
    const results = [[], [doc('b-raw')], [doc('a-legacy')], []];
    expect(names(orderLikeSkaffold({ results, configOfSource: [0, 1, 0, 1] }))).toEqual(['b-raw', 'a-legacy']);
  });
});
