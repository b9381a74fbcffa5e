import { createHash } from 'node:crypto';
import { GitopsError } from '../lib/errors';
import { runWithConcurrency } from '../lib/exec';
import { silentLogger, type GitopsLogger } from '../lib/log';
import { redact } from '../lib/redact';
import { findRegistryCredentials, type CredentialLookup } from './docker-config';
import { basicAuthorization, parseAuthenticateHeader, requestBearerToken } from './registry-auth';
import { registryBaseUrl, sendRegistryRequest, registryTimeoutMs } from './registry-http';
import { parseRegistryReference, type RegistryReference } from './registry-reference';

/**
 * The manifest types we accept, index types first: a multi-arch image resolves to its index digest, as
 * `docker push` prints it. Without the OCI types some registries answer 404 for OCI images.
 */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const ANY_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/** Defaults of {@link DigestLookupOptions}. */
export const DIGEST_LOOKUP_DEFAULTS = { timeoutMs: 30_000, retries: 2, concurrency: 8 } as const;

/** How to reach registries; shared by every lookup of one run. */
export interface DigestLookupOptions {
  /** Registry hosts (`host` or `host:port`) reached over plain HTTP; loopback hosts always are. */
  insecureRegistries?: readonly string[];
  /** Directory holding the docker `config.json`; default `$DOCKER_CONFIG`, else `~/.docker`. */
  dockerConfigDir?: string;
  /** Environment for `DOCKER_CONFIG`, `HOME` and the `PATH` credential helpers are found on; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Per-request timeout in milliseconds; default `NX_GITOPS_REGISTRY_TIMEOUT_SECONDS` of `env`, else 30000. */
  timeoutMs?: number;
  /** Retries after the first attempt on 408/429/5xx answers and network errors; default 2. */
  retries?: number;
  /** Lookups in flight at once; default 8. */
  concurrency?: number;
  /** Receives verbose lines (which registry, which credential source, which digest); never secrets. */
  logger?: GitopsLogger;
}

/** The manifest URL a lookup asks: `https://registry-1.docker.io/v2/library/foo/manifests/1.0` for `foo:1.0`. */
export function manifestUrl(options: { reference: RegistryReference; insecureRegistries: readonly string[] }): string {
  const { registry, repository, tag } = options.reference;
  return `${registryBaseUrl({ registry, insecureRegistries: options.insecureRegistries })}/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
}

/** The registry's answer in a line: status, error codes and messages from its JSON error body. */
function describeAnswer(response: Response, body: string): string {
  let detail = '';
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> };
    detail = (parsed.errors ?? [])
      .map((error) => [error.code, error.message].filter(Boolean).join(' '))
      .filter(Boolean)
      .join('; ');
  } catch {
    detail = body.trim().split('\n')[0]?.slice(0, 200) ?? '';
  }
  return `${response.status}${detail ? ` ${detail}` : response.statusText ? ` ${response.statusText}` : ''}`;
}

/** What a repository's requests carry, learnt from its first challenge, and where the credentials came from. */
type Authorization = { header: string | null; source: string };

/**
 * One run's connection to registries: it remembers credentials per registry and authorization per repository,
 * so every registry is asked for a token once per repository and every credential helper runs once.
 */
class RegistrySession {
  private readonly insecureRegistries: readonly string[];
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly logger: GitopsLogger;
  private readonly credentials = new Map<string, Promise<CredentialLookup>>();
  private readonly authorizations = new Map<string, Promise<Authorization>>();
  private readonly secrets = new Set<string>();

  constructor(private readonly options: DigestLookupOptions) {
    this.insecureRegistries = options.insecureRegistries ?? [];
    this.env = options.env ?? process.env;
    this.timeoutMs = options.timeoutMs ?? registryTimeoutMs({ env: this.env, fallbackMs: DIGEST_LOOKUP_DEFAULTS.timeoutMs });
    this.retries = options.retries ?? DIGEST_LOOKUP_DEFAULTS.retries;
    this.logger = options.logger ?? silentLogger;
  }

  /** The digest `ref` names now: from `Docker-Content-Digest`, else the sha256 of the manifest bytes. */
  async resolve(ref: RegistryReference): Promise<string> {
    try {
      const digest = await this.lookUp(ref);
      this.logger.verbose(`${ref.reference} -> ${digest}`);
      return digest;
    } catch (error) {
      throw this.redacted(error);
    }
  }

  private async lookUp(ref: RegistryReference): Promise<string> {
    const url = manifestUrl({ reference: ref, insecureRegistries: this.insecureRegistries });
    const head = await this.send({ ref, url, method: 'HEAD' });
    if (head.response.ok) {
      const digest = head.response.headers.get('docker-content-digest')?.trim();
      if (digest && ANY_DIGEST.test(digest)) return digest;
    }
    // A HEAD answer has no body: the digest when the header is missing and the registry's words on failure
    // both need a GET.
    const get = await this.send({ ref, url, method: 'GET' });
    const bytes = Buffer.from(await get.response.arrayBuffer());
    if (get.response.ok) return this.digestOfBody(ref, get.response, bytes);
    throw this.failure({ ref, ...get, body: bytes.toString('utf8') });
  }

  private digestOfBody(ref: RegistryReference, response: Response, bytes: Buffer): string {
    const computed = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const announced = response.headers.get('docker-content-digest')?.trim();
    if (announced && SHA256_DIGEST.test(announced) && announced !== computed) {
      throw new GitopsError(
        `Registry ${ref.registry} announced digest ${announced} for ${ref.reference}, but the manifest it sent hashes to ${computed}.`,
        { hint: 'Something between here and the registry altered the manifest; check proxies, or retry.' },
      );
    }
    return computed;
  }

  private failure(failed: { ref: RegistryReference; response: Response; authorization: Authorization; body: string }): GitopsError {
    const { ref, response, authorization, body } = failed;
    const answer = describeAnswer(response, body);
    const status = response.status;
    if (status === 404) {
      return new GitopsError(`Image ${ref.reference} was not found in registry ${ref.registry}: ${answer}.`, {
        hint: 'Build and push the image first, or use digestSource: tag.',
      });
    }
    if (status === 401 || status === 403) {
      return new GitopsError(
        `Registry ${ref.registry} refused access to ${ref.repository} (${ref.reference}): ${answer}. Credentials: ${authorization.source}.`,
        {
          hint:
            `Log in with "docker login ${ref.registry}" or add credentials for ${ref.registry} to the docker config ` +
            '(DOCKER_CONFIG, the dockerConfigDir option, or ~/.docker/config.json); a repository that does not exist may also answer this way.',
        },
      );
    }
    return new GitopsError(`Registry ${ref.registry} answered ${answer} for ${ref.reference}.`, {
      hint: 'Check the registry host and its status; use digestSource: tag to render without asking the registry.',
    });
  }

  /** Sends one manifest request, answering an authentication challenge once per repository. */
  private async send(request: { ref: RegistryReference; url: string; method: 'GET' | 'HEAD' }): Promise<{ response: Response; authorization: Authorization }> {
    const { ref, url, method } = request;
    const key = `${ref.registry}/${ref.repository}`;
    const known = this.authorizations.get(key);
    let authorization: Authorization = known ? await known : { header: null, source: 'none (anonymous)' };
    let response = await this.request({ url, method, authorization: authorization.header });
    if (response.status !== 401 || known) return { response, authorization };
    let pending = this.authorizations.get(key);
    if (!pending) {
      pending = this.authorize(ref, response.headers.get('www-authenticate') ?? '');
      this.authorizations.set(key, pending);
    }
    try {
      authorization = await pending;
    } catch (error) {
      await response.body?.cancel();
      throw error;
    }
    // Without anything to send, the anonymous refusal already in hand is the answer.
    if (!authorization.header) return { response, authorization };
    await response.body?.cancel();
    response = await this.request({ url, method, authorization: authorization.header });
    return { response, authorization };
  }

  private request(request: { url: string; method: 'GET' | 'HEAD'; authorization: string | null }): Promise<Response> {
    const { url, method } = request;
    const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
    if (request.authorization) headers.authorization = request.authorization;
    return sendRegistryRequest({ url, method, headers, timeoutMs: this.timeoutMs, retries: this.retries, target: `registry ${new URL(url).host}` });
  }

  /** Answers a `WWW-Authenticate` challenge with a bearer token or basic auth, finding credentials if needed. */
  private async authorize(ref: RegistryReference, header: string): Promise<Authorization> {
    const challenges = parseAuthenticateHeader(header);
    const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
    const basic = challenges.find((challenge) => challenge.scheme === 'basic');
    const lookup = await this.credentialsFor(ref.registry);
    const credentials = lookup.credentials;
    const source = credentials ? credentials.source : `none found for ${ref.registry} in ${lookup.configPath}`;
    if (bearer) {
      const result = await requestBearerToken({
        challenge: bearer,
        defaultScope: `repository:${ref.repository}:pull`,
        credentials,
        insecureRegistries: this.insecureRegistries,
        timeoutMs: this.timeoutMs,
        retries: this.retries,
        registry: ref.registry,
      });
      if ('refused' in result) {
        throw new GitopsError(`The token endpoint of registry ${ref.registry} refused a pull token for ${ref.repository}: ${result.refused}. Credentials: ${source}.`, {
          hint: `Log in with "docker login ${ref.registry}" or fix the credentials for ${ref.registry} in the docker config (DOCKER_CONFIG, the dockerConfigDir option, or ~/.docker/config.json).`,
        });
      }
      this.secrets.add(result.token);
      this.logger.verbose(`${ref.registry}: bearer token for ${ref.repository}, credentials: ${source}`);
      return { header: `Bearer ${result.token}`, source };
    }
    if (basic && credentials && credentials.password !== undefined) {
      this.logger.verbose(`${ref.registry}: basic auth, credentials: ${source}`);
      return { header: basicAuthorization(credentials), source };
    }
    if (basic && credentials) {
      return { header: null, source: `${source} (an identity token, which basic auth cannot use)` };
    }
    return { header: null, source };
  }

  private credentialsFor(registry: string): Promise<CredentialLookup> {
    let lookup = this.credentials.get(registry);
    if (!lookup) {
      lookup = findRegistryCredentials({ registry, dockerConfigDir: this.options.dockerConfigDir, env: this.env, timeoutMs: this.timeoutMs }).then((found) => {
        for (const secret of found.secrets) this.secrets.add(secret);
        if (found.credentials?.password) this.secrets.add(basicAuthorization(found.credentials).slice('Basic '.length));
        return found;
      });
      this.credentials.set(registry, lookup);
    }
    return lookup;
  }

  /** The same error with every secret this session has seen masked in its message and hint. */
  private redacted(error: unknown): unknown {
    if (!(error instanceof GitopsError)) return error;
    const secrets = [...this.secrets];
    const message = redact(error.message, secrets);
    const hint = error.hint === undefined ? undefined : redact(error.hint, secrets);
    if (message === error.message && hint === error.hint) return error;
    return new GitopsError(message, { hint });
  }
}

/**
 * Resolves the digest of every image reference (as written into manifests: `localhost:5000/foo:develop-abc1234`,
 * `foo:1.0`, `gcr.io/p/foo:tag`) by asking its registry, once per distinct reference and a few at a time.
 * A reference that already carries a digest maps to that digest without a request. Throws a
 * {@link GitopsError} naming the reference, the registry's answer and the fix.
 */
export async function resolveImageDigests(options: DigestLookupOptions & { references: readonly string[] }): Promise<Map<string, string>> {
  const distinct = [...new Set(options.references)];
  const parsed = distinct.map((reference) => parseRegistryReference(reference));
  const session = new RegistrySession(options);
  const digests = await runWithConcurrency(
    options.concurrency ?? DIGEST_LOOKUP_DEFAULTS.concurrency,
    parsed.map((ref) => () => (ref.digest ? Promise.resolve(ref.digest) : session.resolve(ref))),
  );
  return new Map(distinct.map((reference, index) => [reference, digests[index]]));
}

/** Resolves the digest of one image reference; see {@link resolveImageDigests}. */
export async function resolveImageDigest(options: DigestLookupOptions & { reference: string }): Promise<string> {
  const digests = await resolveImageDigests({ ...options, references: [options.reference] });
  return digests.get(options.reference) as string;
}
