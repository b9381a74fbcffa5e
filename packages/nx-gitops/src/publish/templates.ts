import { GitopsError } from '../lib/errors';

/** Values a branch, path or message template may refer to as `{name}`. */
export type TemplateValues = Readonly<Record<string, string>>;

/**
 * Replaces every `{name}` in `template` with its value. An unknown placeholder is an error rather than
 * text left in place, so a typo cannot silently publish to a branch literally named `{projct}/...`.
 */
export function expandTemplate(options: { template: string; values: TemplateValues; option: string }): string {
  return options.template.replace(/\{([^{}]*)\}/g, (match, name: string) => {
    const value = options.values[name];
    if (value === undefined) {
      const known = Object.keys(options.values)
        .map((key) => `{${key}}`)
        .join(', ');
      throw new GitopsError(`Unknown placeholder ${match} in the "${options.option}" template "${options.template}".`, {
        hint: `Use only ${known} in the "${options.option}" option.`,
      });
    }
    return value;
  });
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

/** Expands the branch template and throws a {@link GitopsError} naming the `branch` option when the result is unsafe. */
export function resolveBranchName(options: { template: string; values: TemplateValues; option?: string }): string {
  const option = options.option ?? 'branch';
  const name = expandTemplate({ template: options.template, values: options.values, option });
  const problem = branchNameProblem(name);
  if (problem) {
    throw new GitopsError(`Refusing branch name "${name}" (from the "${option}" template "${options.template}"): ${problem}.`, {
      hint: `Set the "${option}" option to a valid git branch name such as "{project}/{environment}".`,
    });
  }
  return name;
}

/** Expands the path template and throws a {@link GitopsError} naming the `path` option when the result is unsafe. */
export function resolveRepositoryPath(options: { template: string; values: TemplateValues }): string {
  const path = expandTemplate({ template: options.template, values: options.values, option: 'path' });
  const problem = repositoryPathProblem(path);
  if (problem) {
    throw new GitopsError(`Refusing manifest path "${path}" (from the "path" template "${options.template}"): ${problem}.`, {
      hint: 'Set the "path" option to a relative path inside the branch, such as "manifest.yaml" or "{environment}/manifest.yaml".',
    });
  }
  return path;
}
