import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every form in which a secret could leak: as is, base64, and base64 of the basic-auth pair git sends. */
export function leakForms(secret: string): string[] {
  return [secret, Buffer.from(secret).toString('base64'), Buffer.from(`x-access-token:${secret}`).toString('base64')];
}

function filesUnder(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry);
    try {
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    } catch {
      return [];
    }
  });
}

/**
 * Where any form of any of `secrets` appears: in `texts` (captured output, reports) or in a file under
 * `dirs` (caches, git config, lock folders). Returns a description of each finding; empty means clean.
 */
export function findSecretLeaks(options: { secrets: readonly string[]; texts?: readonly string[]; dirs?: readonly string[] }): string[] {
  const forms = options.secrets.flatMap(leakForms);
  const findings: string[] = [];
  (options.texts ?? []).forEach((text, index) => {
    if (forms.some((form) => text.includes(form))) findings.push(`text #${index}`);
  });
  for (const file of (options.dirs ?? []).flatMap(filesUnder)) {
    const content = readFileSync(file).toString('latin1');
    if (forms.some((form) => content.includes(form))) findings.push(file);
  }
  return findings;
}
