import { GitopsError } from '../../lib/errors';
import { normalizeRenderOptions } from './run-render';
import type { RenderExecutorOptions } from './schema';

const normalize = (options: RenderExecutorOptions, cacheable?: boolean) =>
  normalizeRenderOptions({ options: { environment: 'develop', ...options }, project: 'foo', projectRoot: 'services/foo', workspaceRoot: '/ws', env: {}, cacheable });

describe('render options for helm releases', () => {
  it('passes helmBinary and allowUnpinnedCharts through, default off', () => {
    expect(normalize({})).toMatchObject({ helmBinary: undefined, allowUnpinnedCharts: false });
    expect(normalize({ helmBinary: '/opt/helm/bin/helm', allowUnpinnedCharts: true }, false)).toMatchObject({ helmBinary: '/opt/helm/bin/helm', allowUnpinnedCharts: true });
  });

  it('refuses allowUnpinnedCharts on a cacheable render target, naming the fix', () => {
    let error: unknown;
    try {
      normalize({ allowUnpinnedCharts: true }, true);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GitopsError);
    expect((error as GitopsError).message).toMatch(/^foo\/develop: allowUnpinnedCharts renders remote helm charts whose content can change without a commit/);
    expect((error as GitopsError).hint).toMatch(/"cache": false/);
  });
});
