import { GitopsError } from '../../../lib/errors';
import { pluginOptionsProblem } from '../../../plugin/normalize-options';
import type { NxGitopsPluginOptions } from '../../../plugin/options';
import { assertDnsLabel, assertNoUrlCredentials } from '../../lib/validate-names';
import type { InitGeneratorSchema } from '../schema';

/**
 * Validates the init options and returns the plugin options they set: only the keys that were given, so
 * an existing entry's other options survive.
 */
export function pluginOptionsFromInit(options: InitGeneratorSchema): NxGitopsPluginOptions {
  const result: NxGitopsPluginOptions = {};
  if (options.manifestRepository !== undefined) {
    const url = options.manifestRepository.trim();
    if (!url) throw new GitopsError('--manifestRepository is empty.', { hint: 'Pass the URL of the manifest repository, or leave the option out.' });
    assertNoUrlCredentials(url, '--manifestRepository');
    result.manifestRepository = url;
  }
  if (options.defaultEnvironment !== undefined) {
    assertDnsLabel({ value: options.defaultEnvironment, what: 'default environment', option: '--defaultEnvironment' });
    result.defaultEnvironment = options.defaultEnvironment;
  }
  for (const key of ['renderTargetName', 'publishTargetName'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    result[key] = value;
  }
  if (options.renderTargetName !== undefined && options.renderTargetName === options.publishTargetName) {
    throw new GitopsError(`The render and publish targets are both named "${options.renderTargetName}".`, {
      hint: 'Give --renderTargetName and --publishTargetName different values.',
    });
  }
  if (options.digestSource !== undefined) result.digestSource = options.digestSource;
  if (options.defaultRepo !== undefined) {
    const repo = options.defaultRepo.trim();
    if (!repo) throw new GitopsError('--defaultRepo is empty.', { hint: 'Pass a registry path such as ghcr.io/acme, or leave the option out.' });
    result.defaultRepo = repo;
  }
  const problem = pluginOptionsProblem(result);
  if (problem) {
    throw new GitopsError(`Invalid --${problem.option.split('.')[0]}: it ${problem.message}.`, { hint: `Choose another --${problem.option.split('.')[0]}.` });
  }
  return result;
}
