import { posix } from 'node:path';
import { GitopsError } from '../lib/errors';
import { withoutCredentials } from './commit-message';
import { branchNameProblem, resolveRepositoryPath, templateUses, type TemplateValues } from './templates';

/**
 * The source ("dry") commit a publish renders, as Argo CD's Source Hydrator and GitOps Promoter describe
 * it in `hydrator.metadata`: every field comes from the commit, none from the clock, so the files are the
 * same on every run from that commit.
 */
export interface SourceCommit {
  /** Full commit id. */
  sha: string;
  /** The source repository in https form (see {@link httpsRepositoryUrl}), `null` when it has no remote. */
  repoUrl: string | null;
  /** `Name <email>` of the commit's author. */
  author: string;
  /** The author date, RFC 3339 (`git log --format=%aI`). */
  date: string;
  /** The first line of the message (`%s`). */
  subject: string;
  /** The message without its subject (`%b`). */
  body: string;
}

/** A commit related to the source commit, as Argo CD records it (`references[].commit`). */
export interface ReferencedCommit {
  sha?: string;
  repoUrl?: string;
  author?: string;
  date?: string;
  subject?: string;
  body?: string;
}

/** One entry of `references` in `hydrator.metadata`. */
export interface RevisionReference {
  commit: ReferencedCommit;
}

/** The name of the metadata file Argo CD's hydrator writes and GitOps Promoter reads. */
export const HYDRATOR_METADATA_FILE = 'hydrator.metadata';

/** The notes ref Argo CD's hydrator writes and GitOps Promoter reads. */
export const HYDRATOR_NOTES_REF = 'refs/notes/hydrator.metadata';

/** The suffix of the branch a hydrator writes to, from which GitOps Promoter proposes changes to the active branch. */
export const NEXT_BRANCH_SUFFIX = '-next';

/** `.gitattributes` as Argo CD's hydrator writes it (with a final newline): the generated files are folded in reviews. */
export const GITATTRIBUTES_CONTENT = '**/README.md linguist-generated=true\n**/hydrator.metadata linguist-generated=true\n';

/**
 * The https form of a git remote, which is how Argo CD and GitOps Promoter name repositories:
 * `git@host:org/r.git` and `ssh://git@host:22/org/r.git` become `https://host/org/r.git`, `git://` and
 * `http://` become `https://`, credentials are dropped. A local path or `file://` URL has no https form
 * and is returned as it is.
 */
export function httpsRepositoryUrl(url: string): string {
  const scp = /^(?:[^@/:]+@)?([^/:]+):(?!\/\/)(.+)$/.exec(url);
  if (scp && !/^[a-z]:$/i.test(`${scp[1]}:`) && !url.startsWith('/')) return `https://${scp[1]}/${scp[2].replace(/^\/+/, '')}`;
  const match = /^(ssh|git\+ssh|ssh\+git|git|http|https):\/\/(?:[^@/]*@)?([^/:]+)(?::\d+)?(\/.*)?$/i.exec(url);
  if (!match) return withoutCredentials(url);
  return `https://${match[2]}${match[3] ?? ''}`;
}

const REFERENCE_SHA = /^[0-9a-f]{5,64}$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const MAIL_ADDRESS = /^[^<>\n]*<[^<>@\s]+@[^<>\s]+>$|^[^<>@\s]+@[^<>\s]+$/;

/**
 * Splits a commit body as Argo CD does: valid `Argocd-reference-commit-*` trailers (sha, repourl, author,
 * date, subject, body as a JSON string) become one referenced commit, every other line stays in the body
 * (an invalid trailer too). The body is returned without trailing blank lines.
 */
export function splitReferenceTrailers(body: string): { body: string; references: RevisionReference[] } {
  const commit: ReferencedCommit = {};
  const kept: string[] = [];
  for (const line of body.split('\n')) {
    const match = /^Argocd-reference-commit-([a-z]+): (.*)$/.exec(line);
    const value = match?.[2] ?? '';
    let taken = true;
    switch (match?.[1]) {
      case 'sha':
        if (REFERENCE_SHA.test(value)) commit.sha = value;
        else taken = false;
        break;
      case 'repourl':
        commit.repoUrl = value;
        break;
      case 'author':
        if (MAIL_ADDRESS.test(value)) commit.author = value;
        else taken = false;
        break;
      case 'date':
        if (RFC3339.test(value)) commit.date = value;
        else taken = false;
        break;
      case 'subject':
        commit.subject = value;
        break;
      case 'body':
        try {
          const parsed: unknown = JSON.parse(value);
          if (typeof parsed === 'string') commit.body = parsed;
          else taken = false;
        } catch {
          taken = false;
        }
        break;
      default:
        taken = false;
    }
    if (!taken) kept.push(line);
  }
  return { body: kept.join('\n').trimEnd(), references: Object.keys(commit).length > 0 ? [{ commit }] : [] };
}

/**
 * The content of `hydrator.metadata`: JSON with two-space indent and a final newline, fields in the order
 * Argo CD writes them (`repoURL`, `drySha`, `commands`, `author`, `date`, `subject`, `body`, `references`),
 * empty ones left out as Argo CD's `omitempty` does.
 */
export function hydratorMetadata(options: { source: SourceCommit; commands?: readonly string[] }): string {
  const { source } = options;
  const { body, references } = splitReferenceTrailers(source.body);
  const fields: Record<string, unknown> = {
    repoURL: source.repoUrl || undefined,
    drySha: source.sha,
    commands: options.commands && options.commands.length > 0 ? [...options.commands] : undefined,
    author: source.author || undefined,
    date: source.date || undefined,
    subject: source.subject || undefined,
    body: body || undefined,
    references: references.length > 0 ? references : undefined,
  };
  return `${JSON.stringify(fields, null, 2)}\n`;
}

/** The README a hydrated folder carries: where its manifests came from and how to render them again. */
export function hydratorReadme(options: { source: SourceCommit; commands?: readonly string[] }): string {
  const { source } = options;
  const repository = source.repoUrl ?? 'the source repository';
  const lines = [
    '# Manifest hydration',
    '',
    `These manifests were rendered by nx-gitops from ${repository} at commit ${source.sha}; do not edit them here.`,
    '',
  ];
  if (options.commands && options.commands.length > 0) {
    lines.push('To render them again:', '', '```shell', `git clone ${repository}`, '# cd into the cloned directory', `git checkout ${source.sha}`, ...options.commands, '```', '');
  } else {
    lines.push("Each folder's README.md names the command that rendered it.", '');
  }
  const { references } = splitReferenceTrailers(source.body);
  const listed = references.filter((reference) => reference.commit.sha);
  if (listed.length > 0) {
    lines.push('## References', '');
    for (const { commit } of listed) {
      const author = commit.author ? ` (${commit.author})` : '';
      lines.push(`* [${commit.sha!.slice(0, 7)}](${commit.repoUrl ?? ''}): ${commit.subject ?? ''}${author}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** A file nx-gitops generates in the branch (not rendered): its path and content. */
export interface GeneratedFile {
  path: string;
  content: string;
}

/**
 * The hydrator files of one publish, sorted by path: at the root `.gitattributes`, `README.md` and
 * `hydrator.metadata` (the branch's latest source commit); when the manifest goes into a folder
 * (`manifestDir`), that folder's `README.md` and `hydrator.metadata` with `commands`, as Argo CD writes
 * them per hydrated path. At the root, `commands` are in the README only when the manifest is there too.
 */
export function hydratorFiles(options: { source: SourceCommit; manifestDir: string; command: string }): GeneratedFile[] {
  const { source, manifestDir } = options;
  const commands = [options.command];
  const files: GeneratedFile[] = [
    { path: '.gitattributes', content: GITATTRIBUTES_CONTENT },
    { path: 'README.md', content: hydratorReadme({ source, commands: manifestDir === '' ? commands : undefined }) },
    { path: HYDRATOR_METADATA_FILE, content: hydratorMetadata({ source }) },
  ];
  if (manifestDir !== '') {
    files.push(
      { path: posix.join(manifestDir, 'README.md'), content: hydratorReadme({ source, commands }) },
      { path: posix.join(manifestDir, HYDRATOR_METADATA_FILE), content: hydratorMetadata({ source, commands }) },
    );
  }
  return files;
}

/** The active branch of a hydrator's `-next` branch (`foo/production` for `foo/production-next`), else `null`. */
export function activeBranchOf(branch: string): string | null {
  if (!branch.endsWith(NEXT_BRANCH_SUFFIX) || branch.length === NEXT_BRANCH_SUFFIX.length) return null;
  const active = branch.slice(0, -NEXT_BRANCH_SUFFIX.length);
  return active.endsWith('/') ? null : active;
}

/**
 * The branch GitOps Promoter proposes changes from into `activeBranch`: `<active>-next`, or, in its monorepo
 * layout (`activePath`: one branch per environment holding every service in its own folder),
 * `<active>-next/<activePath>`, joined as Promoter joins them (Go's `path.Join`, which `posix.join` matches
 * for a clean relative folder).
 */
export function proposedBranchOf(options: { activeBranch: string; activePath?: string | null }): string {
  const next = `${options.activeBranch}${NEXT_BRANCH_SUFFIX}`;
  return options.activePath ? posix.join(next, options.activePath) : next;
}

/**
 * The service's folder in GitOps Promoter's monorepo layout, from the `activePath` template: a clean
 * relative folder naming the project (two services never share a folder, as Promoter requires of the
 * strategies on one branch), on a branch shared by the environment's services (a `branch` template
 * without `{project}`), whose proposed branch is a valid branch name.
 */
export function resolveActivePath(options: { template: string; branchTemplate: string; values: TemplateValues }): string {
  const { template, branchTemplate } = options;
  if (!templateUses(template, 'project')) {
    throw new GitopsError(`Refusing the "activePath" template "${template}": it does not name the project, so services would share a folder.`, {
      hint: 'Put {project} in the "activePath" option, e.g. "{project}" or "apps/{project}".',
    });
  }
  if (templateUses(branchTemplate, 'project')) {
    throw new GitopsError(
      `Refusing "activePath" with the "branch" template "${branchTemplate}": the monorepo layout keeps one branch per environment for every service, and this branch names the project.`,
      { hint: 'Set the "branch" option to a template without {project}, e.g. "environment/{environment}", or remove the "activePath" option.' },
    );
  }
  const folder = resolveRepositoryPath({ template, values: options.values, option: 'activePath' });
  // Promoter's proposed branch ends in the folder: it must be a valid branch name too.
  const problem = branchNameProblem(proposedBranchOf({ activeBranch: 'branch', activePath: folder }));
  if (problem) {
    throw new GitopsError(`Refusing the service folder "${folder}" (from the "activePath" template "${template}"): as the end of a branch name, ${problem}.`, {
      hint: 'Set the "activePath" option to folder names git accepts in a branch name (no leading dot, no ".lock" ending).',
    });
  }
  return folder;
}

/**
 * Where a service's manifest lies on its branch: the `path` template's file, inside the service's folder when
 * `activePath` is set (GitOps Promoter's monorepo layout, see {@link resolveActivePath}); `folder` is `null`
 * otherwise. publish-manifest writes there and diff-manifest reads there.
 */
export function resolveManifestPath(options: { pathTemplate: string; activePathTemplate?: string; branchTemplate: string; values: TemplateValues }): {
  folder: string | null;
  path: string;
} {
  const { values } = options;
  const folder = options.activePathTemplate ? resolveActivePath({ template: options.activePathTemplate, branchTemplate: options.branchTemplate, values }) : null;
  const inFolder = resolveRepositoryPath({ template: options.pathTemplate, values });
  return { folder, path: folder === null ? inFolder : posix.join(folder, inFolder) };
}

/** The git note Argo CD's hydrator attaches to a hydrated commit: `{"drySha":"<full sha>"}`. */
export function formatHydratorNote(drySha: string): string {
  return `${JSON.stringify({ drySha })}\n`;
}
