import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { runCommand } from '../lib/exec';

/**
 * A user of the basic-auth test registry, with its htpasswd line. The line is the bcrypt hash of the password
 * (cost 5, as `htpasswd -nbB` writes it), fixed here so the tests need no htpasswd tool.
 */
export const TEST_REGISTRY_USER = {
  username: 'gitops-test',
  password: 'registry-test-password',
  htpasswd: 'gitops-test:$2y$05$nxgitopsTestSaltValueu2C75dJX/vswS6it9mCnYJ3UuG0JMhBG',
} as const;

/** A running `docker-registry` on 127.0.0.1 with its storage in a temporary directory. */
export interface TestRegistry {
  /** `127.0.0.1:<port>`, the registry part of image references. */
  host: string;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The `Authorization` header value pushes need (basic auth instances only). */
  authorization?: string;
  /** Stops the registry (by PID) and removes its storage. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1, chosen by the kernel. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // Nobody may reap the orphaned registry; a zombie has stopped all the same.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function stopProcess(pid: number): Promise<void> {
  if (!isRunning(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 5_000 && isRunning(pid); waited += 50) await delay(50);
  if (isRunning(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * Starts Debian's `docker-registry serve` on a free port of 127.0.0.1, optionally with htpasswd basic auth for
 * {@link TEST_REGISTRY_USER}, and waits until it answers `/v2/`. Call `stop()` in `afterAll`.
 */
export async function startTestRegistry(options: { basicAuth?: boolean } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'nx-gitops-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    '  secret: nx-gitops-test-only',
  ];
  if (options.basicAuth) {
    writeFileSync(join(dir, 'htpasswd'), `${TEST_REGISTRY_USER.htpasswd}\n`);
    config.push('auth:', '  htpasswd:', '    realm: nx-gitops-test', `    path: ${join(dir, 'htpasswd')}`);
  }
  const configPath = join(dir, 'config.yml');
  const logPath = join(dir, 'registry.log');
  writeFileSync(configPath, `${config.join('\n')}\n`);
  // The registry outlives this command: the shell starts it in the background and prints its PID.
  const started = await runCommand('sh', ['-c', 'docker-registry serve "$1" >"$2" 2>&1 </dev/null & echo $!', 'sh', configPath, logPath]);
  const pid = Number(started.stdout.trim());
  const url = `http://${host}`;
  const stop = async () => {
    await stopProcess(pid);
    rmSync(dir, { recursive: true, force: true });
  };
  for (let waited = 0; ; waited += 50) {
    try {
      const response = await fetch(`${url}/v2/`);
      await response.body?.cancel();
      if (response.status === 200 || response.status === 401) break;
    } catch {
      // Not listening yet.
    }
    if (!isRunning(pid) || waited > 15_000) {
      const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
      await stop();
      throw new Error(`docker-registry did not start on ${host} (the tests need Debian's docker-registry package on PATH):\n${log}`);
    }
    await delay(50);
  }
  const authorization = options.basicAuth
    ? `Basic ${Buffer.from(`${TEST_REGISTRY_USER.username}:${TEST_REGISTRY_USER.password}`).toString('base64')}`
    : undefined;
  return { host, url, authorization, stop };
}

/** A pushed blob or manifest as an OCI descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
}

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function expectStatus(response: Response, expected: number, what: string): Promise<void> {
  if (response.status !== expected) {
    throw new Error(`${what}: expected ${expected}, got ${response.status} ${await response.text()}`);
  }
  await response.body?.cancel();
}

/** Uploads one blob with the monolithic POST + PUT of the distribution API. */
export async function pushBlob(options: {
  registry: TestRegistry;
  repository: string;
  bytes: Buffer;
  mediaType: string;
}): Promise<Descriptor> {
  const headers: Record<string, string> = options.registry.authorization ? { authorization: options.registry.authorization } : {};
  const digest = sha256Digest(options.bytes);
  const start = await fetch(`${options.registry.url}/v2/${options.repository}/blobs/uploads/`, { method: 'POST', headers });
  await expectStatus(start, 202, 'blob upload start');
  const location = new URL(start.headers.get('location') ?? '', options.registry.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    body: options.bytes,
  });
  await expectStatus(put, 201, 'blob upload');
  return { mediaType: options.mediaType, digest, size: options.bytes.length };
}

/** PUTs a manifest under a tag or digest and returns its descriptor (the digest is of exactly these bytes). */
export async function pushManifest(options: {
  registry: TestRegistry;
  repository: string;
  reference: string;
  mediaType: string;
  bytes: Buffer;
}): Promise<Descriptor> {
  const headers: Record<string, string> = { 'content-type': options.mediaType };
  if (options.registry.authorization) headers.authorization = options.registry.authorization;
  const response = await fetch(`${options.registry.url}/v2/${options.repository}/manifests/${options.reference}`, {
    method: 'PUT',
    headers,
    body: options.bytes,
  });
  await expectStatus(response, 201, `manifest ${options.repository}:${options.reference}`);
  return { mediaType: options.mediaType, digest: sha256Digest(options.bytes), size: options.bytes.length };
}

const FORMATS = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
} as const;

/** A pushed image: its manifest bytes and their descriptor. */
export interface PushedManifest {
  descriptor: Descriptor;
  bytes: Buffer;
}

/**
 * Pushes a small single-platform image (a config blob, one layer blob, a manifest) in OCI or Docker v2 format.
 * `tag` may be omitted to push the manifest by digest only, as index children are.
 */
export async function pushTestImage(options: {
  registry: TestRegistry;
  repository: string;
  tag?: string;
  format: 'oci' | 'docker';
  architecture?: string;
}): Promise<PushedManifest> {
  const types = FORMATS[options.format];
  const architecture = options.architecture ?? 'amd64';
  const layerBytes = Buffer.from(`layer of ${options.repository} ${options.tag ?? ''} ${architecture} ${options.format}`);
  const layer = await pushBlob({ registry: options.registry, repository: options.repository, bytes: layerBytes, mediaType: types.layer });
  const configBytes = Buffer.from(
    JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest(layerBytes)] }, config: {} }),
  );
  const config = await pushBlob({ registry: options.registry, repository: options.repository, bytes: configBytes, mediaType: types.config });
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: types.manifest, config, layers: [layer] }, null, 2));
  const reference = options.tag ?? sha256Digest(bytes);
  const descriptor = await pushManifest({ registry: options.registry, repository: options.repository, reference, mediaType: types.manifest, bytes });
  return { descriptor: { ...descriptor, platform: { architecture, os: 'linux' } }, bytes };
}

/** Pushes a multi-arch OCI image index (amd64 and arm64 children, pushed by digest) under `tag`. */
export async function pushTestIndex(options: { registry: TestRegistry; repository: string; tag: string }): Promise<PushedManifest & { children: PushedManifest[] }> {
  const children: PushedManifest[] = [];
  for (const architecture of ['amd64', 'arm64']) {
    children.push(await pushTestImage({ registry: options.registry, repository: options.repository, format: 'oci', architecture }));
  }
  const mediaType = 'application/vnd.oci.image.index.v1+json';
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: children.map((child) => child.descriptor) }));
  const descriptor = await pushManifest({ registry: options.registry, repository: options.repository, reference: options.tag, mediaType, bytes });
  return { descriptor, bytes, children };
}
