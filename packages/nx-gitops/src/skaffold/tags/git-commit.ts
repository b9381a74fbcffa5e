import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitopsError } from '../../lib/errors';
import type { GitCommitTagger } from '../types';
import type { GitInfoCache } from './git-info';

/** The gitCommit variants, keyed by their lower-case spelling (skaffold matches them case-insensitively). */
const variants = {
  '': 'Tags',
  tags: 'Tags',
  commitsha: 'CommitSha',
  abbrevcommitsha: 'AbbrevCommitSha',
  treesha: 'TreeSha',
  abbrevtreesha: 'AbbrevTreeSha',
  branches: 'Branches',
} as const;

/** A gitCommit variant in its canonical spelling. */
export type GitCommitVariant = (typeof variants)[keyof typeof variants];

/** Canonical variant for a configured one; throws a {@link GitopsError} for an unknown name. */
export function normalizeGitCommitVariant(variant: string | undefined): GitCommitVariant {
  const found = variants[(variant ?? '').toLowerCase() as keyof typeof variants];
  if (!found) {
    throw new GitopsError(`"${variant}" is not a valid git tagger variant.`, {
      hint: 'Set build.tagPolicy.gitCommit.variant in skaffold.yaml to Tags, CommitSha, AbbrevCommitSha, TreeSha, AbbrevTreeSha or Branches.',
    });
  }
  return found;
}

/**
 * Makes a git ref usable as an image tag the way skaffold does: characters outside `[A-Za-z0-9-._]` become
 * `_`, each leading `-` or `.` becomes `_`, and the result is cut to 128 characters.
 */
export function sanitizeTag(tag: string): string {
  const replaced = tag.replace(/[^a-zA-Z0-9\-._]/g, '_');
  const leading = /^[-.]*/.exec(replaced)?.[0].length ?? 0;
  const sanitized = '_'.repeat(leading) + replaced.slice(leading);
  return sanitized.length > 128 ? sanitized.slice(0, 128) : sanitized;
}

/** Inputs of {@link gitCommitTag}. */
export interface GitCommitTagInput {
  tagger: GitCommitTagger;
  /** Absolute artifact context; git runs as if from here and the dirty check is scoped to it. */
  workspaceDir: string;
  git: GitInfoCache;
}

/**
 * The tag the gitCommit policy gives: `prefix + sanitized ref`, plus `-dirty` when the workspace has
 * uncommitted changes (unless `ignoreChanges`). Stricter than skaffold: no repository, no commit, or a
 * Branches tag on a detached HEAD throws instead of producing an empty or fallback tag.
 */
export async function gitCommitTag({ tagger, workspaceDir, git }: GitCommitTagInput): Promise<string> {
  const variant = normalizeGitCommitVariant(tagger.variant);
  const toplevel = await git.toplevel(workspaceDir);
  // git reports the top level with symlinks resolved, so the workspace must be resolved too.
  const relDir = path.relative(toplevel, fs.realpathSync(workspaceDir)).split(path.sep).join('/');
  const ref = await gitRef(variant, { toplevel, relDir, workspaceDir, git });
  const tag = (tagger.prefix ?? '') + sanitizeTag(ref);
  if (!tagger.ignoreChanges && (await git.isDirty(toplevel, relDir))) return `${tag}-dirty`;
  return tag;
}

async function gitRef(
  variant: GitCommitVariant,
  where: { toplevel: string; relDir: string; workspaceDir: string; git: GitInfoCache },
): Promise<string> {
  const { toplevel, relDir, git } = where;
  switch (variant) {
    case 'Tags':
      return git.describeTags(toplevel);
    case 'CommitSha':
      return git.headCommit(toplevel);
    case 'AbbrevCommitSha':
      return git.abbrevCommit(toplevel);
    case 'TreeSha':
      return git.treeSha(toplevel, relDir, false);
    case 'AbbrevTreeSha':
      return git.treeSha(toplevel, relDir, true);
    case 'Branches': {
      const branch = await git.currentBranch(toplevel);
      // skaffold falls back to the abbreviated commit when git cannot name the branch.
      if (branch === undefined) return git.abbrevCommit(toplevel);
      if (branch === '') {
        throw new GitopsError(`The gitCommit variant Branches needs a checked-out branch, but HEAD is detached in ${where.workspaceDir}.`, {
          hint: 'Check out a branch before rendering (CI systems often check out a detached commit), or choose another gitCommit variant in skaffold.yaml.',
        });
      }
      return branch;
    }
  }
}
