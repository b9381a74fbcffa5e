import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GitopsError } from '../lib/errors';
import { runCommand } from '../lib/exec';
import { redact } from '../lib/redact';
import { DOCKER_HUB_REGISTRY } from './registry-reference';

/** Credentials for one registry, and where they were found (a description safe to print). */
export interface RegistryCredentials {
  /** User name for basic auth or a bearer token request. */
  username?: string;
  /** Password or access token that goes with `username`. */
  password?: string;
  /** An OAuth2 refresh token (`identitytoken`, or a helper answer with user `<token>`). */
  identityToken?: string;
  /** Where they came from, e.g. `auths in /home/me/.docker/config.json` (never the values). */
  source: string;
}

/** The outcome of looking up credentials for one registry. */
export interface CredentialLookup {
  /** The credentials, or `null` to go anonymous. */
  credentials: RegistryCredentials | null;
  /** The docker config file consulted, named in errors so users know where to put credentials. */
  configPath: string;
  /** Every secret value seen while looking, for redaction. */
  secrets: string[];
}

/** The parts of a docker `config.json` that carry credentials. */
interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The key Docker stores Hub credentials under, and the server URL it passes to credential helpers. */
const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_NAMES = new Set([DOCKER_HUB_REGISTRY, 'docker.io', 'index.docker.io']);

/**
 * The docker config file used for credentials: `<dockerConfigDir>/config.json` when given, else
 * `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (the docker CLI's order).
 */
export function dockerConfigPath(options: { dockerConfigDir?: string; env: NodeJS.ProcessEnv }): string {
  const dir = options.dockerConfigDir || options.env.DOCKER_CONFIG || join(options.env.HOME || homedir(), '.docker');
  return join(dir, 'config.json');
}

/** Reduces a config key such as `https://gcr.io/v1/` to the host it stands for, as the docker CLI does. */
function hostOfConfigKey(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0];
}

function sameRegistry(configHost: string, registry: string): boolean {
  if (DOCKER_HUB_NAMES.has(registry)) return DOCKER_HUB_NAMES.has(configHost);
  return configHost === registry;
}

async function readDockerConfig(path: string): Promise<DockerConfigFile | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new GitopsError(`Cannot read the docker config ${path}: ${(error as Error).message}`, {
      hint: 'Fix its permissions, or point DOCKER_CONFIG (or the dockerConfigDir option) at another directory.',
    });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as DockerConfigFile;
  } catch {
    // The parser's message may quote the file, and the file holds secrets: report only that it is not JSON.
  }
  throw new GitopsError(`The docker config ${path} is not a JSON object.`, {
    hint: 'Repair it (docker login rewrites it), or point DOCKER_CONFIG (or the dockerConfigDir option) at another directory.',
  });
}

/** Credentials from an `auths` entry: base64 `auth`, or `username`/`password`, or `identitytoken`. */
function credentialsFromAuths(options: {
  config: DockerConfigFile;
  registry: string;
  source: string;
  secrets: string[];
}): RegistryCredentials | null {
  const { config, registry, source, secrets } = options;
  const entries = Object.entries(config.auths ?? {});
  const entry = entries.find(([key]) => key === registry) ?? entries.find(([key]) => sameRegistry(hostOfConfigKey(key), registry));
  if (!entry || !entry[1] || typeof entry[1] !== 'object') return null;
  const { auth, username, password, identitytoken } = entry[1];
  const credentials: RegistryCredentials = { source };
  if (typeof auth === 'string' && auth) {
    secrets.push(auth);
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new GitopsError(`The "auth" value for ${entry[0]} in ${source} is not base64 of "user:password".`, {
        hint: `Run docker login ${registry} again, or fix the entry by hand.`,
      });
    }
    credentials.username = decoded.slice(0, colon);
    credentials.password = decoded.slice(colon + 1);
  }
  if (typeof username === 'string' && username) credentials.username = username;
  if (typeof password === 'string' && password) credentials.password = password;
  if (typeof identitytoken === 'string' && identitytoken) credentials.identityToken = identitytoken;
  if (credentials.password) secrets.push(credentials.password);
  if (credentials.identityToken) secrets.push(credentials.identityToken);
  return credentials.password || credentials.identityToken ? credentials : null;
}

/** The credential helper that serves `registry`: a `credHelpers` entry first, then `credsStore`. */
function helperFor(config: DockerConfigFile, registry: string): { name: string; setting: string } | null {
  for (const [key, name] of Object.entries(config.credHelpers ?? {})) {
    if (typeof name === 'string' && name && sameRegistry(hostOfConfigKey(key), registry)) {
      return { name, setting: `credHelpers["${key}"]` };
    }
  }
  if (typeof config.credsStore === 'string' && config.credsStore) return { name: config.credsStore, setting: 'credsStore' };
  return null;
}

/**
 * Asks `docker-credential-<name> get` for the credentials of `serverUrl` (sent on stdin, as the docker CLI
 * does). A helper that has none answers "credentials not found"; that is `null`, not an error.
 */
async function credentialsFromHelper(options: {
  helper: { name: string; setting: string };
  serverUrl: string;
  configPath: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  secrets: string[];
}): Promise<RegistryCredentials | null> {
  const binary = `docker-credential-${options.helper.name}`;
  const source = `credential helper ${binary} (${options.helper.setting} in ${options.configPath})`;
  let result;
  try {
    result = await runCommand(binary, ['get'], {
      input: options.serverUrl,
      env: options.env,
      extendEnv: false,
      allowFailure: true,
      timeoutMs: options.timeoutMs,
    });
  } catch (error) {
    throw new GitopsError(`Cannot run ${source}: ${(error as Error).message}`, {
      hint: `Install ${binary} on PATH, or remove ${options.helper.setting} from ${options.configPath}.`,
      cause: error,
    });
  }
  if (result.exitCode !== 0) {
    const said = `${result.stdout}\n${result.stderr}`;
    if (/credentials not found/i.test(said)) return null;
    // Only stderr is quoted: a helper that half-worked may have printed a secret on stdout.
    const tail = redact(result.stderr.trim().split('\n').slice(-1)[0] ?? '', options.secrets);
    throw new GitopsError(`${source} failed for ${options.serverUrl} with exit code ${result.exitCode}${tail ? `: ${tail}` : ''}.`, {
      hint: `Check that ${binary} works (echo ${options.serverUrl} | ${binary} get), or remove ${options.helper.setting} from ${options.configPath}.`,
    });
  }
  let answer: { Username?: unknown; Secret?: unknown };
  try {
    answer = JSON.parse(result.stdout) as typeof answer;
  } catch {
    throw new GitopsError(`${source} answered something that is not JSON for ${options.serverUrl}.`, {
      hint: `A credential helper must print {"ServerURL": …, "Username": …, "Secret": …}; check ${binary}.`,
    });
  }
  const username = typeof answer.Username === 'string' ? answer.Username : '';
  const secret = typeof answer.Secret === 'string' ? answer.Secret : '';
  if (!secret) return null;
  options.secrets.push(secret);
  // Docker's convention: the user name "<token>" marks the secret as an identity (refresh) token.
  if (username === '<token>') return { identityToken: secret, source };
  return { username, password: secret, source };
}

/**
 * Finds the credentials docker would use for `registry` (a host, `registry-1.docker.io` for Docker Hub):
 * the credential helper of `credHelpers` or `credsStore`, falling back to the `auths` entry. A missing config
 * file means anonymous access. The returned `secrets` lists every secret value seen, for redaction.
 */
export async function findRegistryCredentials(options: {
  registry: string;
  dockerConfigDir?: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}): Promise<CredentialLookup> {
  const configPath = dockerConfigPath(options);
  const secrets: string[] = [];
  const config = await readDockerConfig(configPath);
  if (!config) return { credentials: null, configPath, secrets };
  const helper = helperFor(config, options.registry);
  if (helper) {
    const serverUrl = DOCKER_HUB_NAMES.has(options.registry) ? DOCKER_HUB_CONFIG_KEY : options.registry;
    const fromHelper = await credentialsFromHelper({ helper, serverUrl, configPath, env: options.env, timeoutMs: options.timeoutMs, secrets });
    if (fromHelper) return { credentials: fromHelper, configPath, secrets };
  }
  const credentials = credentialsFromAuths({ config, registry: options.registry, source: `auths in ${configPath}`, secrets });
  return { credentials, configPath, secrets };
}
