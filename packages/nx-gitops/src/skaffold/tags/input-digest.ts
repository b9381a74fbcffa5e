import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitopsError } from '../../lib/errors';
import type { Artifact } from '../types';
import { artifactDockerfile, compareBytes, listArtifactDependencies, resolveDockerfilePath } from './docker-dependencies';

/**
 * One file's share of the inputDigest: hex(md5(path relative to `workspaceDir` ‖ contents when it is a
 * regular file)), so moving the whole context elsewhere keeps the digest. `undefined` for a missing file.
 */
export function hashInputFile(file: string, workspaceDir: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const md5 = createHash('md5');
  md5.update(path.relative(workspaceDir, file).split(path.sep).join('/'));
  if (stat.isFile()) md5.update(fs.readFileSync(file));
  return md5.digest('hex');
}

/**
 * skaffold's inputDigest over `files`: each file becomes hex(md5(path relative to `workspaceDir` ‖
 * contents if it is a regular file)), the list is sorted by `sortKey` (skaffold sorts the paths as it holds
 * them, relative to its working directory), missing files are skipped, and the result is
 * hex(sha256(JSON of the list + "\n")), with an empty list encoded as `null` like Go's nil slice.
 */
export function hashInputFiles({
  files,
  workspaceDir,
  sortKey = (file) => file,
}: {
  files: readonly string[];
  workspaceDir: string;
  sortKey?: (file: string) => string;
}): string {
  const ordered = [...files].sort((a, b) => compareBytes(sortKey(a), sortKey(b)));
  const hashes: string[] = [];
  for (const file of ordered) {
    const hash = hashInputFile(file, workspaceDir);
    if (hash !== undefined) hashes.push(hash);
  }
  const encoded = `${hashes.length === 0 ? 'null' : JSON.stringify(hashes)}\n`;
  return createHash('sha256').update(encoded).digest('hex');
}

/** Inputs of {@link inputDigestTag}. */
export interface InputDigestTagInput {
  /** The artifact (builder, Dockerfile, build args); default a docker artifact with `Dockerfile`. */
  artifact?: Artifact;
  /** Absolute build context. */
  workspaceDir: string;
  /** Directory skaffold runs in (the skaffold.yaml's); default `workspaceDir`. */
  configDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The inputDigest tag: a sha256 over the artifact's dependency files, hashed exactly as skaffold does so
 * that the same sources give the same tag under skaffold and nx-gitops. For Dockerfile builders skaffold
 * also appends the configured Dockerfile path as seen from its working directory; that quirk is kept.
 * Stricter than skaffold: a missing Dockerfile is an error instead of a digest over nothing.
 */
export function inputDigestTag(input: InputDigestTagInput): string {
  const { workspaceDir } = input;
  const configDir = input.configDir ?? workspaceDir;
  const files = listArtifactDependencies({ artifact: input.artifact, workspaceDir, configDir, env: input.env });
  const dockerfile = artifactDockerfile(input.artifact);
  if (dockerfile !== undefined) {
    const resolved = resolveDockerfilePath({ workspaceDir, dockerfile, configDir });
    if (!fs.existsSync(resolved)) {
      throw new GitopsError(`The Dockerfile ${resolved} of the inputDigest tag policy does not exist.`, {
        hint: 'Create it, or set build.artifacts[].docker.dockerfile (relative to the artifact context) in skaffold.yaml.',
      });
    }
    files.push(path.resolve(configDir, dockerfile));
  }
  return hashInputFiles({ files, workspaceDir, sortKey: (file) => path.relative(configDir, file).split(path.sep).join('/') });
}
