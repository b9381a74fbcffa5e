import { logger, readNxJson, type Tree } from '@nx/devkit';
import { isLoopbackHost } from '../../publish/auth';
import { withoutCredentials } from '../../publish/commit-message';
import { DIFF_EXECUTOR, explicitTargets, pluginOptionsOf, PUBLISH_EXECUTOR, publishTargetNames, targetDefaultObject } from '../lib/workspace-usage';

/** A manifest repository named in the workspace, with where it is named and whether that place allows plain http. */
interface NamedRepository {
  where: string;
  url: string;
  allowInsecureTransport: boolean;
}

function repositoriesIn(where: string, options: Record<string, unknown>, inherited = false): NamedRepository[] {
  const allow = options.allowInsecureTransport === true || inherited;
  return typeof options.manifestRepository === 'string' ? [{ where, url: options.manifestRepository, allowInsecureTransport: allow }] : [];
}

function withConfigurations(where: string, options: Record<string, unknown>, configurations: Record<string, Record<string, unknown>> = {}): NamedRepository[] {
  const allow = options.allowInsecureTransport === true;
  return [
    ...repositoriesIn(where, options),
    ...Object.entries(configurations).flatMap(([name, values]) => repositoriesIn(`${where}, configuration "${name}"`, values ?? {}, allow)),
  ];
}

/** Every manifest repository nx.json and the project.json files name. */
function namedRepositories(tree: Tree): NamedRepository[] {
  const nxJson = readNxJson(tree);
  const named: NamedRepository[] = pluginOptionsOf(nxJson).flatMap((options) => repositoriesIn('nx.json plugin options', options as Record<string, unknown>));
  const defaultsKeys = [...publishTargetNames(tree), 'diff-manifest', PUBLISH_EXECUTOR, DIFF_EXECUTOR];
  for (const key of [...new Set(defaultsKeys)]) {
    const defaults = targetDefaultObject(nxJson?.targetDefaults?.[key]);
    if (defaults) named.push(...withConfigurations(`nx.json targetDefaults "${key}"`, defaults.options ?? {}, defaults.configurations));
  }
  for (const target of explicitTargets(tree, [PUBLISH_EXECUTOR, DIFF_EXECUTOR])) {
    named.push(...withConfigurations(`project "${target.project}" target "${target.target}"`, target.options, target.configurations));
  }
  return named;
}

/**
 * 0.2.0 scoped credentials: `NX_GITOPS_TOKEN` and credentials in the URL go only over https (or plain http to
 * a loopback host) unless `allowInsecureTransport` is set, and `GITHUB_TOKEN` only over https to github.com or
 * the host of `GITHUB_SERVER_URL`. Sending a token in clear text again would be unsafe, so this changes
 * nothing: it warns about every manifest repository that now gets no token, naming where it is set (its URL
 * without credentials).
 */
export default async function warnInsecureTokenTransport(tree: Tree): Promise<void> {
  for (const repository of namedRepositories(tree)) {
    let url: URL;
    try {
      url = new URL(repository.url);
    } catch {
      continue;
    }
    const shown = withoutCredentials(repository.url);
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !repository.allowInsecureTransport) {
      logger.warn(
        `nx-gitops: ${repository.where} names the manifest repository ${shown} over plain http: NX_GITOPS_TOKEN and credentials in the URL ` +
          'are no longer sent to it, so pushes there fail if it needs them. Use an https URL, or set "allowInsecureTransport": true on the ' +
          'publish-manifest (and diff-manifest) target if sending the token in clear text is acceptable.',
      );
    } else if (url.protocol === 'https:' && url.hostname.toLowerCase() !== 'github.com') {
      logger.info(
        `nx-gitops: ${repository.where} names the manifest repository ${shown}: GITHUB_TOKEN is now sent only to github.com or the host of ` +
          'GITHUB_SERVER_URL; if CI relied on GITHUB_TOKEN for this host, set NX_GITOPS_TOKEN instead.',
      );
    }
  }
}
