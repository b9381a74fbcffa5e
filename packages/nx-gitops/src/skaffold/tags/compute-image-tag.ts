import { GitopsError } from '../../lib/errors';
import type { Artifact, TagPolicy } from '../types';
import { customTemplateTag } from './custom-template';
import { dateTimeTag } from './date-time';
import { envTemplateTag } from './env-template';
import { gitCommitTag } from './git-commit';
import type { GitInfoCache } from './git-info';
import { inputDigestTag } from './input-digest';
import { selectTagPolicy } from './select-tag-policy';
import { sha256Tag } from './sha256';
import { tagImage } from './tag-image';

/** Everything a tag policy may read, passed explicitly so that a render is reproducible and testable. */
export interface ComputeImageTagInput {
  /** The artifact's image name as written in skaffold.yaml (`build.artifacts[].image`). */
  imageName: string;
  /** `build.tagPolicy`; `undefined` means `gitCommit: {}`. */
  policy?: TagPolicy;
  /** Absolute artifact context directory. */
  workspaceDir: string;
  /** Environment for envTemplate, docker build args and `Local` time; defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Clock for dateTime; defaults to the real one. */
  now?: () => Date;
  /** Per-render git cache from `createGitInfoCache()`, shared by every artifact of the render. */
  git: GitInfoCache;
  /** The artifact, for inputDigest (builder type, Dockerfile, build args). Default: a docker artifact with `Dockerfile`. */
  artifact?: Artifact;
  /** Directory skaffold runs in (the skaffold.yaml's directory), for inputDigest; defaults to `workspaceDir`. */
  configDir?: string;
}

/**
 * The tag skaffold's tag policy gives this artifact (only the part after `:`). An empty string means "use
 * the image name as written" (sha256 on an already tagged image). Stricter than skaffold: any tagger error,
 * and a tag that does not make a valid image reference, throws a {@link GitopsError} instead of falling
 * back to `:latest`.
 */
export async function computeImageTag(input: ComputeImageTagInput): Promise<string> {
  const env = input.env ?? process.env;
  const now = input.now ?? (() => new Date());
  const selected = selectTagPolicy(input.policy);

  const tagFor = async (policy: TagPolicy | undefined, nested: boolean): Promise<string> => {
    const chosen = selectTagPolicy(policy);
    switch (chosen.kind) {
      case 'envTemplate':
        return envTemplateTag({ template: chosen.config.template ?? '', imageName: input.imageName, env });
      case 'sha256':
        return sha256Tag(input.imageName);
      case 'gitCommit':
        return gitCommitTag({ tagger: chosen.config, workspaceDir: input.workspaceDir, git: input.git });
      case 'dateTime':
        return dateTimeTag({ tagger: chosen.config, now, env });
      case 'inputDigest':
        return inputDigestTag({
          artifact: input.artifact,
          workspaceDir: input.workspaceDir,
          configDir: input.configDir,
          env,
        });
      case 'customTemplate':
        if (nested) {
          throw new GitopsError('nested customTemplate components are not supported.', {
            hint: 'Fix build.tagPolicy.customTemplate.components in skaffold.yaml.',
          });
        }
        return customTemplateTag({ tagger: chosen.config, componentTag: (component) => tagFor(component, true) });
    }
  };

  let tag: string;
  try {
    tag = await tagFor(input.policy, false);
  } catch (cause) {
    if (!(cause instanceof GitopsError)) throw cause;
    throw new GitopsError(`Cannot compute the ${selected.kind} tag of image "${input.imageName}": ${cause.message}`, {
      hint: cause.hint,
      cause,
    });
  }
  tagImage(input.imageName, tag);
  return tag;
}
