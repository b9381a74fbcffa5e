import type { TagPolicy } from '../types';

/** The tag policy kinds, in the order skaffold checks them when several are set. */
export const TAG_POLICY_KINDS = ['envTemplate', 'sha256', 'gitCommit', 'dateTime', 'inputDigest', 'customTemplate'] as const;

/** One tag policy kind. */
export type TagPolicyKind = (typeof TAG_POLICY_KINDS)[number];

/** A policy narrowed to the one kind that applies. */
export type SelectedTagPolicy =
  | { kind: 'envTemplate'; config: NonNullable<TagPolicy['envTemplate']> }
  | { kind: 'sha256'; config: NonNullable<TagPolicy['sha256']> }
  | { kind: 'gitCommit'; config: NonNullable<TagPolicy['gitCommit']> }
  | { kind: 'dateTime'; config: NonNullable<TagPolicy['dateTime']> }
  | { kind: 'inputDigest'; config: NonNullable<TagPolicy['inputDigest']> }
  | { kind: 'customTemplate'; config: NonNullable<TagPolicy['customTemplate']> };

/**
 * The policy skaffold applies: the first kind set in the order envTemplate, sha256, gitCommit, dateTime,
 * inputDigest, customTemplate; none set (or no policy) means `gitCommit: {}`. A `null` value (`sha256:` with
 * nothing after it in YAML) counts as unset, as it leaves skaffold's pointer nil.
 */
export function selectTagPolicy(policy: TagPolicy | undefined): SelectedTagPolicy {
  for (const kind of TAG_POLICY_KINDS) {
    const config = policy?.[kind];
    if (config !== undefined && config !== null) return { kind, config } as SelectedTagPolicy;
  }
  return { kind: 'gitCommit', config: {} };
}
