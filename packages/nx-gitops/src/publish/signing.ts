import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { GitopsError } from '../lib/errors';
import { runCommand } from '../lib/exec';

/** The key types git signs commits with: `ssh` (`gpg.format=ssh`) or `gpg` (`gpg.format=openpgp`). */
export type SignFormat = 'ssh' | 'gpg';

/** The `sign` option of publish-manifest: `none` (the default) writes unsigned commits. */
export type SignOption = 'none' | SignFormat;

/** How git signs the commits of one publish (`git commit-tree -S` under `gpg.format`). */
export interface CommitSigning {
  format: SignFormat;
  /**
   * What git's `user.signingkey` holds: for ssh an absolute path of a private (or, with ssh-agent, public)
   * key file, or a literal `key::<public key>`; for gpg a key id, fingerprint or user id. Given to git
   * through the environment only, never in argv, a commit or a report.
   */
  key: string;
}

/** The `gpg.format` value git needs for each format. */
export const GIT_SIGN_FORMAT: Record<SignFormat, string> = { ssh: 'ssh', gpg: 'openpgp' };

/** True when an ssh `user.signingkey` is the public key itself (git then asks ssh-agent for the private key). */
function isLiteralSshKey(key: string): boolean {
  return key.startsWith('key::') || /^(ssh-|ecdsa-|sk-)/.test(key);
}

/** The options of a target that choose its signing. */
export interface SigningOptions {
  sign?: SignOption;
  signingKey?: string;
}

/**
 * A resolver of each target's signing for one publish run: the key is the `signingKey` option, else git's
 * `user.signingkey` as the workspace's repository sees it (local, global and system config), checked once
 * per distinct option pair. Refuses, with a hint naming the option, an unknown `sign` value, a missing key,
 * an ssh key file that does not exist and a gpg key gpg does not hold a secret for. Returns `null` for
 * unsigned publishing. Errors never name the key or its path.
 */
export function createSigningResolver(options: { workspaceRoot: string }): (target: SigningOptions) => Promise<CommitSigning | null> {
  const resolved = new Map<string, Promise<CommitSigning | null>>();
  let gitConfig: Promise<Map<string, string>> | undefined;
  const readGitConfig = () =>
    (gitConfig ??= runCommand('git', ['-C', options.workspaceRoot, 'config', '--get-regexp', '^(user\\.signingkey|gpg\\.program)$'], { allowFailure: true }).then(
      (result) =>
        new Map(
          result.stdout
            .split('\n')
            .filter((line) => line.includes(' '))
            .map((line): [string, string] => [line.slice(0, line.indexOf(' ')).toLowerCase(), line.slice(line.indexOf(' ') + 1).trim()]),
        ),
    ));
  return (target) => {
    const sign = target.sign ?? 'none';
    const cacheKey = `${sign}\0${target.signingKey ?? ''}`;
    let signing = resolved.get(cacheKey);
    if (!signing) {
      signing = resolveSigning({ sign, signingKey: target.signingKey, workspaceRoot: options.workspaceRoot, readGitConfig });
      resolved.set(cacheKey, signing);
    }
    return signing;
  };
}

async function resolveSigning(options: {
  sign: string;
  signingKey: string | undefined;
  workspaceRoot: string;
  readGitConfig: () => Promise<Map<string, string>>;
}): Promise<CommitSigning | null> {
  const { sign } = options;
  if (sign === 'none') return null;
  if (sign !== 'ssh' && sign !== 'gpg') {
    throw new GitopsError(`The "sign" option must be "none", "ssh" or "gpg", got "${sign}".`, { hint: 'Set "sign" to "ssh" or "gpg" to sign commits, or "none".' });
  }
  const config = await options.readGitConfig();
  const fromOption = options.signingKey !== undefined && options.signingKey.trim() !== '';
  const key = fromOption ? options.signingKey!.trim() : config.get('user.signingkey');
  const where = fromOption ? 'the "signingKey" option' : "git's user.signingkey";
  if (!key) {
    throw new GitopsError(`Cannot sign commits with ${sign} ("sign" is "${sign}"): no signing key is configured, and nothing was published.`, {
      hint:
        sign === 'ssh'
          ? 'Set the "signingKey" option to the path of an ssh private key (or "key::<public key>" held by ssh-agent), or set git\'s user.signingkey; or set "sign" to "none".'
          : 'Set the "signingKey" option to a gpg key id or fingerprint whose secret key gpg holds, or set git\'s user.signingkey; or set "sign" to "none".',
    });
  }
  if (sign === 'ssh') {
    if (isLiteralSshKey(key)) return { format: 'ssh', key };
    const path = key.startsWith('~/') ? resolve(homedir(), key.slice(2)) : isAbsolute(key) ? key : resolve(options.workspaceRoot, key);
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new GitopsError(`Cannot sign commits with ssh: the key file named by ${where} does not exist, and nothing was published.`, {
        hint: 'Point the "signingKey" option (or git\'s user.signingkey) at an existing ssh key file, relative to the workspace or absolute; or set "sign" to "none".',
      });
    }
    return { format: 'ssh', key: path };
  }
  const program = config.get('gpg.program') || 'gpg';
  const check = await runCommand(program, ['--batch', '--list-secret-keys', '--with-colons', '--', key], {
    allowFailure: true,
    binaryOption: 'sign',
    secrets: [key],
  });
  if (check.exitCode !== 0 || !check.stdout.split('\n').some((line) => line.startsWith('sec:'))) {
    throw new GitopsError(`Cannot sign commits with gpg: gpg holds no secret key for the key named by ${where}, and nothing was published.`, {
      hint: 'Import the secret key into gpg (GNUPGHOME), or point the "signingKey" option (or git\'s user.signingkey) at a key gpg holds; or set "sign" to "none".',
    });
  }
  return { format: 'gpg', key };
}
