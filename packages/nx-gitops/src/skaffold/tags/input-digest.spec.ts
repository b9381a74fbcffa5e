import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitopsError } from '../../lib/errors';
import { hashInputFile, hashInputFiles, inputDigestTag } from './input-digest';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-gitops-input-digest-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

const dockerfile = 'FROM x\nCOPY server.go /\n';
const source = 'package main\n';

describe('hashInputFile (skaffold input_digest_test.go TestInputDigest)', () => {
  const contents1 = 'hello\ngo\n';
  const contents2 = 'bye\ngo\n';

  it('hashes the path relative to the workspace and the contents', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'temp.file'), contents1);
    expect(hashInputFile(path.join(dir, 'temp.file'), dir)).toBe('3cced2dec96a8b41b22875686d8941a9');
  });

  it('gives the same digest for two different absolute paths', () => {
    const [dir1, dir2] = [tempDir(), tempDir()];
    fs.writeFileSync(path.join(dir1, 'temp.file'), contents1);
    fs.writeFileSync(path.join(dir2, 'temp.file'), contents1);
    expect(hashInputFile(path.join(dir1, 'temp.file'), dir1)).toBe(hashInputFile(path.join(dir2, 'temp.file'), dir2));
  });

  it('differs for different file names and for different contents', () => {
    const [dir1, dir2, dir3] = [tempDir(), tempDir(), tempDir()];
    fs.writeFileSync(path.join(dir1, 'temp1.file'), contents1);
    fs.writeFileSync(path.join(dir2, 'temp2.file'), contents1);
    fs.writeFileSync(path.join(dir3, 'temp1.file'), contents2);
    const hash1 = hashInputFile(path.join(dir1, 'temp1.file'), dir1);
    expect(hashInputFile(path.join(dir2, 'temp2.file'), dir2)).not.toBe(hash1);
    expect(hashInputFile(path.join(dir3, 'temp1.file'), dir3)).not.toBe(hash1);
  });

  it('skips a missing file', () => {
    expect(hashInputFile(path.join(tempDir(), 'missing'), '/')).toBeUndefined();
  });
});

describe('hashInputFiles', () => {
  it('encodes an empty list as Go encodes a nil slice (skaffold custom_template_test.go)', () => {
    expect(hashInputFiles({ files: [], workspaceDir: tempDir() })).toBe('38e0b9de817f645c4bec37c0d4a3e58baecccb040f5718dc069a72c7385a0bed');
  });
});

// Expected digests computed by running skaffold's hashing steps in Go over the same files.
describe('inputDigestTag', () => {
  it('hashes a Dockerfile in the config directory twice, as skaffold does', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
    fs.writeFileSync(path.join(dir, 'server.go'), source);
    fs.writeFileSync(path.join(dir, 'unused.txt'), 'not copied');
    expect(inputDigestTag({ workspaceDir: dir, configDir: dir, env: {} })).toBe(
      'd4138682d98be6361cb1e16b7c633eecc02cbd1b3a1b2b08db5cf5e061081c1f',
    );
  });

  it('hashes a context below the config directory without the duplicate', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'app'));
    fs.writeFileSync(path.join(dir, 'app/Dockerfile'), dockerfile);
    fs.writeFileSync(path.join(dir, 'app/server.go'), source);
    expect(inputDigestTag({ workspaceDir: path.join(dir, 'app'), configDir: dir, env: {} })).toBe(
      'f65a0771b140e052fe3670f3a4303cb6464519eccf938f1b11b58765f00552db',
    );
  });

  it('also hashes a same-named Dockerfile of the config directory, relative to the context', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'app'));
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM root\n');
    fs.writeFileSync(path.join(dir, 'app/Dockerfile'), dockerfile);
    fs.writeFileSync(path.join(dir, 'app/server.go'), source);
    expect(inputDigestTag({ workspaceDir: path.join(dir, 'app'), configDir: dir, env: {} })).toBe(
      '7baa926b2bf452de0b2b535250c22b28dcc92cdad883626e4d5702dc4d19e2cb',
    );
  });

  it('changes with the Dockerfile (TestGenerateTag) and with a copied file, not with other files', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
    fs.writeFileSync(path.join(dir, 'server.go'), source);
    const digest = () => inputDigestTag({ workspaceDir: dir, env: {} });
    const first = digest();
    fs.writeFileSync(path.join(dir, 'README.md'), 'docs');
    expect(digest()).toBe(first);
    fs.writeFileSync(path.join(dir, 'server.go'), 'package main // changed\n');
    const second = digest();
    expect(second).not.toBe(first);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `${dockerfile}CMD [ "true" ]\n`);
    expect(digest()).not.toBe(second);
  });

  it('refuses a missing Dockerfile instead of digesting nothing', () => {
    expect(() => inputDigestTag({ workspaceDir: tempDir(), env: {} })).toThrow(GitopsError);
  });

  it('digests every file of the context for builders without a Dockerfile', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'pom.xml'), '<project/>');
    const first = inputDigestTag({ artifact: { image: 'app', jib: {} }, workspaceDir: dir });
    fs.writeFileSync(path.join(dir, 'extra.txt'), 'x');
    expect(inputDigestTag({ artifact: { image: 'app', jib: {} }, workspaceDir: dir })).not.toBe(first);
  });
});
