import type { ErrorObject } from 'ajv';
import { validateSkaffoldConfigTypes } from '../generated/skaffold-types-validator';
import { artifactImageProblem } from './image-reference';
import { findFieldProblem, type ConfigLayout, type FieldPath, type FieldProblem } from './strict-fields';

/** The first reason a config document is rejected: where (a path in it) and what. */
export type ConfigProblem = FieldProblem;

function describeSchemaError(error: ErrorObject): string {
  const where = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : 'the document';
  if (error.keyword === 'additionalProperties') {
    return `unknown field "${(error.params as { additionalProperty: string }).additionalProperty}" in ${where}`;
  }
  if (error.keyword === 'required') {
    return `${where} is missing the required field "${(error.params as { missingProperty: string }).missingProperty}"`;
  }
  if (error.keyword === 'enum') {
    return `${where} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
}

function schemaErrorPath(error: ErrorObject): Array<string | number> {
  const segments: Array<string | number> = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  if (error.keyword === 'additionalProperties') {
    segments.push((error.params as { additionalProperty: string }).additionalProperty);
  }
  return segments;
}

/**
 * The types of the fields nx-gitops interprets (tag policies, artifacts, manifest paths, profiles), by the
 * validator of `skaffoldConfigSchema` (`config-schema.ts`) compiled at build time.
 */
function findTypeProblem(document: unknown): ConfigProblem | undefined {
  if (validateSkaffoldConfigTypes(document)) return undefined;
  const error = (validateSkaffoldConfigTypes.errors ?? [])[0];
  return {
    path: schemaErrorPath(error),
    atKey: error.keyword === 'additionalProperties',
    message: describeSchemaError(error),
    hint: 'See the skaffold.yaml reference for this apiVersion.',
  };
}

function artifactsOf(section: unknown): unknown[] {
  const build = (section as { build?: { artifacts?: unknown } } | undefined)?.build;
  return Array.isArray(build?.artifacts) ? build.artifacts : [];
}

/** Every artifact image of a config and of its profiles, with its path. */
function artifactImages(document: Record<string, unknown>): Array<{ image: string; path: FieldPath }> {
  const images: Array<{ image: string; path: FieldPath }> = [];
  const collect = (section: unknown, prefix: FieldPath) => {
    artifactsOf(section).forEach((artifact, index) => {
      const image = (artifact as { image?: unknown } | null)?.image;
      if (typeof image === 'string') images.push({ image, path: [...prefix, 'build', 'artifacts', index, 'image'] });
    });
  };
  collect(document, []);
  const profiles = Array.isArray(document.profiles) ? document.profiles : [];
  profiles.forEach((profile, index) => collect(profile, ['profiles', index]));
  return images;
}

/** An artifact image that is not a repository name (invalid, uppercase, or with a tag or digest). */
function findImageProblem(document: Record<string, unknown>): ConfigProblem | undefined {
  for (const { image, path } of artifactImages(document)) {
    const problem = artifactImageProblem(image);
    if (problem !== undefined) {
      return {
        path,
        atKey: false,
        message: `invalid image "${image}" in ${path.join('.')}: ${problem}`,
        hint: 'An artifact image is a repository name, [host[:port]/]path in lowercase, without tag or digest (e.g. "registry.example.com/team/foo"); fix build.artifacts[].image.',
      };
    }
  }
  return undefined;
}

/**
 * The first reason skaffold (or nx-gitops, where it is stricter) rejects a config document of a supported
 * `apiVersion`: a field its version does not have or a value of the wrong shape, a wrong type in a field
 * nx-gitops interprets, or an artifact image that is not a repository name. `layout: 'upgraded'` checks a
 * config after the v2 manifest sources moved to `manifests`, as profiles' patches see it.
 */
export function findConfigProblem(document: Record<string, unknown>, options: { apiVersion: string; layout?: ConfigLayout }): ConfigProblem | undefined {
  return findFieldProblem(document, options.apiVersion, options.layout) ?? findTypeProblem(document) ?? findImageProblem(document);
}
