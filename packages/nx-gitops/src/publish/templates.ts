import { GitopsError } from '../lib/errors';

/** Values a branch, path or message template may refer to as `{name}` or `%name%`. */
export type TemplateValues = Readonly<Record<string, string>>;

/**
 * A placeholder: `{name}`, or `%name%`, which Nx leaves alone on the command line (Nx interpolates any
 * `{…}` in a CLI override, so `--branch='{project}/…'` arrives as `[object Object]/…`).
 */
const PLACEHOLDER = /\{([^{}]*)\}|%([A-Za-z][A-Za-z0-9_]*)%/g;

/** What Nx makes of `{project}` in a command-line override. */
const NX_MANGLED_PROJECT = '[object Object]';

/**
 * Throws when `template` carries the text Nx leaves for `{project}` in a command-line override: the
 * template the user wrote is lost, and publishing it would write to a branch named `[object Object]…`.
 */
export function refuseNxMangledTemplate(options: { template: string; option: string }): void {
  if (!options.template.includes(NX_MANGLED_PROJECT)) return;
  throw new GitopsError(
    `The "${options.option}" template "${options.template}" contains "${NX_MANGLED_PROJECT}": Nx replaced {project} in a command-line value before nx-gitops saw it.`,
    { hint: `Write the placeholders of the "${options.option}" option as %project%, %environment%, … on the command line; Nx leaves those alone.` },
  );
}

/**
 * Replaces every `{name}` and `%name%` in `template` with its value. An unknown placeholder is an error
 * rather than text left in place, so a typo cannot silently publish to a branch literally named
 * `{projct}/...`; so is a template Nx has mangled (see {@link refuseNxMangledTemplate}).
 */
export function expandTemplate(options: { template: string; values: TemplateValues; option: string }): string {
  refuseNxMangledTemplate(options);
  return options.template.replace(PLACEHOLDER, (match, braced: string | undefined, percent: string | undefined) => {
    const name = braced ?? percent ?? '';
    const value = Object.prototype.hasOwnProperty.call(options.values, name) ? options.values[name] : undefined;
    if (value === undefined) {
      const known = Object.keys(options.values)
        .map((key) => `{${key}}`)
        .join(', ');
      throw new GitopsError(`Unknown placeholder ${match} in the "${options.option}" template "${options.template}".`, {
        hint: `Use only ${known} (or %name% for {name}) in the "${options.option}" option.`,
      });
    }
    return value;
  });
}

/** Whether `template` refers to the placeholder `name`, in either syntax. */
export function templateUses(template: string, name: string): boolean {
  return template.includes(`{${name}}`) || template.includes(`%${name}%`);
}

/** `template` with every placeholder replaced by a plain word, to check the shape the user wrote before any value goes in. */
function templateShape(template: string): string {
  return template.replace(PLACEHOLDER, 'x');
}

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Why `name` is not a safe branch name, or `null` when it is. Follows `git check-ref-format --branch`
 * and additionally refuses names git would read as an option (`-x`), so that a template can never
 * smuggle a flag into a git command line.
 */
export function branchNameProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.startsWith('-')) return 'it starts with "-" and would be read as an option';
  if (CONTROL_CHARACTERS.test(name)) return 'it contains a control character';
  if (/[ ~^:?*[\\]/.test(name)) return 'it contains one of: space ~ ^ : ? * [ \\';
  if (name.includes('..')) return 'it contains ".."';
  if (name.includes('@{')) return 'it contains "@{"';
  if (name === '@' || name === 'HEAD') return `"${name}" is reserved by git`;
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'it has an empty path component';
  if (name.endsWith('.')) return 'it ends with "."';
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return `its component "${component}" starts with "."`;
    if (component.endsWith('.lock')) return `its component "${component}" ends with ".lock"`;
  }
  return null;
}

/**
 * Why `path` is not a safe file path inside the manifest branch, or `null` when it is: it must be
 * relative, stay inside the tree (no `.` or `..` components), not touch `.git`, and hold no control
 * characters or backslashes.
 */
export function repositoryPathProblem(path: string): string | null {
  if (path.length === 0) return 'it is empty';
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return 'it is absolute';
  if (path.startsWith('-')) return 'it starts with "-" and would be read as an option';
  if (CONTROL_CHARACTERS.test(path)) return 'it contains a control character';
  if (path.includes('\\')) return 'it contains a backslash';
  for (const component of path.split('/')) {
    if (component === '') return 'it has an empty path component';
    if (component === '.' || component === '..') return `it contains a "${component}" component`;
    if (component.toLowerCase() === '.git') return 'it writes inside ".git"';
  }
  return null;
}

/**
 * Expands the branch template and throws a {@link GitopsError} naming the `branch` option when the
 * template itself (its placeholders set aside) or the branch name it gives is unsafe.
 */
export function resolveBranchName(options: { template: string; values: TemplateValues; option?: string }): string {
  const option = options.option ?? 'branch';
  refuseNxMangledTemplate({ template: options.template, option });
  const hint = `Set the "${option}" option to a valid git branch name such as "{project}/{environment}".`;
  const shapeProblem = branchNameProblem(templateShape(options.template));
  if (shapeProblem) throw new GitopsError(`Refusing the "${option}" template "${options.template}": ${shapeProblem}.`, { hint });
  const name = expandTemplate({ template: options.template, values: options.values, option });
  const problem = branchNameProblem(name);
  if (problem) {
    throw new GitopsError(`Refusing branch name "${name}" (from the "${option}" template "${options.template}"): ${problem}.`, { hint });
  }
  return name;
}

/**
 * Expands the path template and throws a {@link GitopsError} naming the option (`path`, or `activePath`
 * for a service's folder) when the template itself (its placeholders set aside) or the path it gives is unsafe.
 */
export function resolveRepositoryPath(options: { template: string; values: TemplateValues; option?: 'path' | 'activePath' }): string {
  const option = options.option ?? 'path';
  refuseNxMangledTemplate({ template: options.template, option });
  const hint =
    option === 'path'
      ? 'Set the "path" option to a relative path inside the branch, such as "manifest.yaml" or "{environment}/manifest.yaml".'
      : 'Set the "activePath" option to a relative folder naming the service, such as "{project}" or "apps/{project}".';
  const shapeProblem = repositoryPathProblem(templateShape(options.template));
  if (shapeProblem) throw new GitopsError(`Refusing the "${option}" template "${options.template}": ${shapeProblem}.`, { hint });
  const path = expandTemplate({ template: options.template, values: options.values, option });
  const problem = repositoryPathProblem(path);
  if (problem) {
    const what = option === 'path' ? 'manifest path' : 'service folder';
    throw new GitopsError(`Refusing ${what} "${path}" (from the "${option}" template "${options.template}"): ${problem}.`, { hint });
  }
  return path;
}
