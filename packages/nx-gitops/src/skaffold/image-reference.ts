import { GitopsError } from '../lib/errors';

/**
 * A parsed image reference, with the same fields and the same values as skaffold's `docker.ImageReference`.
 * No registry normalisation happens: `nginx` stays `nginx`, it does not become `docker.io/library/nginx`.
 */
export interface ImageReference {
  /** The name without tag or digest, lowercased: `gcr.io/k8s-skaffold/example`. */
  baseName: string;
  /** The first path component when it reads as a host (`gcr.io`, `localhost:5000`, and also `foo` in `foo/bar`); `''` otherwise. */
  domain: string;
  /** The name after the domain: `k8s-skaffold/example`. */
  path: string;
  /** `baseName` up to its last `/`; `''` for a one-component name. */
  repo: string;
  /** The last component of `baseName`; `''` for a one-component name. */
  name: string;
  /** The tag as written (its case kept), `''` when absent. */
  tag: string;
  /** `algorithm:hex`, `''` when absent. */
  digest: string;
  /** True when a digest is present or the tag is set and is not `latest`. */
  fullyQualified: boolean;
}

// The grammar of github.com/distribution/reference (regexp.go), assembled the same way so that the
// submatches agree with Go's leftmost-first RE2 matches.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const ipv6Address = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainName}|${ipv6Address})`;
const optionalPort = '(?::[0-9]+)?';
/** `reference.DomainRegexp`, unanchored source. Also used by the default-repo algorithm. */
export const DOMAIN_PATTERN = `${host}${optionalPort}`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePattern = `(?:${DOMAIN_PATTERN}/)?${remoteName}`;
const referenceSource = `^(${namePattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`;

const referenceRegexp = new RegExp(referenceSource);
const caseInsensitiveReferenceRegexp = new RegExp(referenceSource, 'i');
const anchoredNameRegexp = new RegExp(`^(?:(${DOMAIN_PATTERN})/)?(${remoteName})$`);

/** go-digest's loose digest grammar, used only to choose between two error messages. */
const looseDigestRegexp = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** Hex length of each digest algorithm go-digest knows. */
const digestHexLength = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

/** Repository names longer than this are rejected, as `reference.RepositoryNameTotalLengthMax`. */
const maxRepositoryNameLength = 255;

/** Prefixes skaffold strips before parsing (ko import paths: `ko://github.com/org/cmd`). */
const allowedImagePrefixes = ['ko://'];

/**
 * Removes the `ko://` prefix and lowercases the name part of an image, keeping the case of the tag
 * (tags may contain uppercase letters), like skaffold's `docker.SanitizeImageName`.
 */
export function sanitizeImageName(image: string): string {
  let sanitized = image;
  for (const prefix of allowedImagePrefixes) {
    if (sanitized.startsWith(prefix)) sanitized = sanitized.slice(prefix.length);
  }
  const match = caseInsensitiveReferenceRegexp.exec(sanitized);
  if (match && match[1]) {
    sanitized = sanitized.replace(match[1], match[1].toLowerCase());
  }
  return sanitized;
}

/**
 * Parses an image reference the way skaffold's `docker.ParseReference` does: sanitise, then apply the
 * distribution/reference grammar (domain, path, tag, digest) without any docker.io normalisation.
 * Throws a {@link GitopsError} naming the image when it is not a valid reference.
 */
export function parseImageReference(image: string): ImageReference {
  const sanitized = sanitizeImageName(image);
  const problem = referenceProblem(sanitized);
  if (problem !== undefined) {
    throw new GitopsError(`Invalid image reference "${image}": ${problem}.`, {
      hint: 'An image reference reads [host[:port]/]path[:tag][@sha256:<64 hex>], with a lowercase path; fix it where it is written (build.artifacts[].image in skaffold.yaml, the manifest, or the images option).',
    });
  }
  const match = referenceRegexp.exec(sanitized) as RegExpExecArray;
  const baseName = match[1];
  const nameMatch = anchoredNameRegexp.exec(baseName);
  const domain = nameMatch?.[1] ?? '';
  const path = nameMatch ? nameMatch[2] : baseName;
  const tag = match[2] ?? '';
  const digest = match[3] ?? '';
  const parts = baseName.split('/');
  return {
    baseName,
    domain,
    path,
    repo: parts.length > 1 ? parts.slice(0, -1).join('/') : '',
    name: parts.length > 1 ? parts[parts.length - 1] : '',
    tag,
    digest,
    fullyQualified: digest !== '' || (tag !== '' && tag !== 'latest'),
  };
}

/** Like {@link parseImageReference}, but returns `undefined` instead of throwing. */
export function tryParseImageReference(image: string): ImageReference | undefined {
  return referenceProblem(sanitizeImageName(image)) === undefined ? parseImageReference(image) : undefined;
}

/**
 * Why an artifact's `image` cannot be built and tagged, or undefined: it must be a repository name without
 * tag or digest, as skaffold's config validation requires. Unlike skaffold, which lowercases the name before
 * checking it, an uppercase name is refused, since the reference tagged from it (`Foo:<tag>`) is not one a
 * cluster can pull; `ko://` import paths are lowercased first, as skaffold does.
 */
export function artifactImageProblem(image: string): string | undefined {
  const checked = image.startsWith('ko://') ? sanitizeImageName(image) : image;
  const problem = referenceProblem(checked);
  if (problem !== undefined) return problem;
  const match = referenceRegexp.exec(checked) as RegExpExecArray;
  if (match[2] !== undefined) return 'no tag should be specified; the tag policy (build.tagPolicy) computes it';
  if (match[3] !== undefined) return 'no digest should be specified; the tag policy (build.tagPolicy) computes the tag and digestSource the digest';
  return undefined;
}

/** Writes a reference back as text: `baseName[:tag][@digest]`. */
export function formatImageReference(reference: Pick<ImageReference, 'baseName'> & Partial<ImageReference>): string {
  let text = reference.baseName;
  if (reference.tag) text += `:${reference.tag}`;
  if (reference.digest) text += `@${reference.digest}`;
  return text;
}

/** The error distribution/reference and go-digest would report for a sanitised image, or undefined. */
function referenceProblem(image: string): string | undefined {
  const match = referenceRegexp.exec(image);
  if (!match) {
    if (image === '') return 'repository name must have at least one component';
    if (referenceRegexp.test(image.toLowerCase())) return 'repository name must be lowercase';
    return 'invalid reference format';
  }
  const nameMatch = anchoredNameRegexp.exec(match[1]);
  const path = nameMatch ? nameMatch[2] : match[1];
  if (path.length > maxRepositoryNameLength) {
    return `repository name must not be more than ${maxRepositoryNameLength} characters`;
  }
  return match[3] ? digestProblem(match[3]) : undefined;
}

/** go-digest's `Digest.Validate` for the algorithms a Go binary links in (sha256, sha384, sha512). */
function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  if (colon <= 0 || colon + 1 === digest.length) return 'invalid checksum digest format';
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  const length = digestHexLength.get(algorithm);
  if (length === undefined) {
    return looseDigestRegexp.test(digest) ? 'unsupported digest algorithm' : 'invalid checksum digest format';
  }
  if (encoded.length !== length) return 'invalid checksum digest length';
  return /^[a-f0-9]+$/.test(encoded) ? undefined : 'invalid checksum digest format';
}
