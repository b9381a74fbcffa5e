import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../lib/exec';
import { objectId, treeContent, writePack, type LooseObject } from './pack-writer';

// Packs checked by the real git: the ids it computes, what index-pack --strict accepts and refuses.
let gitDir: string;
beforeEach(async () => {
  gitDir = mkdtempSync(join(tmpdir(), 'nx-gitops-pack-'));
  await runCommand('git', ['init', '--quiet', '--bare', gitDir]);
});
afterEach(() => rmSync(gitDir, { recursive: true, force: true }));

const git = async (args: string[], input?: string | Uint8Array) => (await runCommand('git', ['--git-dir', gitDir, ...args], { input })).stdout;

describe('writePack', () => {
  // Sizes around the header's 4-bit and 7-bit boundaries, and one of several 7-bit groups.
  const blobs: LooseObject[] = [0, 15, 16, 2047, 2048, 300_000].map((size) => ({ type: 'blob', content: Buffer.alloc(size, size % 251) }));
  blobs.push({ type: 'blob', content: Buffer.from('apiVersion: v1\nkind: ConfigMap # é\n', 'utf8') });

  it('gives the ids git gives, and git stores every object as packed', async () => {
    for (const blob of blobs) expect(objectId(blob)).toBe(await git(['hash-object', '--stdin', '--no-filters'], blob.content));
    await git(['index-pack', '--stdin', '--strict'], writePack(blobs));
    for (const blob of blobs) {
      expect(await git(['cat-file', '-s', objectId(blob)])).toBe(String(blob.content.length));
    }
    expect((await git(['count-objects', '-v'])).match(/^count: (\d+)$/m)?.[1]).toBe('0');
  });

  it('stores commits whose tree is present, with the id git computes for the same bytes', async () => {
    const tree = (await git(['mktree'], '')).trim();
    const content = Buffer.from(`tree ${tree}\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nmessage\n`);
    const commit: LooseObject = { type: 'commit', content };
    await git(['index-pack', '--stdin', '--strict'], writePack([commit]));
    expect(objectId(commit)).toBe((await git(['hash-object', '-t', 'commit', '--stdin'], content)).trim());
    expect(await git(['cat-file', '-t', objectId(commit)])).toBe('commit');
  });

  it('is refused by index-pack --strict for a malformed commit or one whose tree is missing', async () => {
    const malformed: LooseObject = { type: 'commit', content: Buffer.from('tree nothing\n\nmessage\n') };
    await expect(git(['index-pack', '--stdin', '--strict'], writePack([malformed]))).rejects.toThrow();
    const dangling: LooseObject = {
      type: 'commit',
      content: Buffer.from(`tree ${'1'.repeat(40)}\nauthor A <a@example.com> 1700000000 +0000\ncommitter A <a@example.com> 1700000000 +0000\n\nmessage\n`),
    };
    await expect(git(['index-pack', '--stdin', '--strict'], writePack([dangling]))).rejects.toThrow();
  });
});

describe('treeContent', () => {
  it("orders entries as git mktree does (a subtree's name as if it ended in /), with the same id", async () => {
    const blob = await git(['hash-object', '-w', '--stdin'], 'x');
    const sub = await git(['mktree'], `100644 blob ${blob}\tinner\n`);
    const entries = [
      { mode: '100644', name: 'a.b', sha: blob, isTree: false },
      { mode: '040000', name: 'a', sha: sub, isTree: true },
      { mode: '100644', name: 'a-b', sha: blob, isTree: false },
      { mode: '100755', name: 'ab', sha: blob, isTree: false },
      { mode: '120000', name: 'link', sha: blob, isTree: false },
      { mode: '100644', name: 'é.yaml', sha: blob, isTree: false },
      { mode: '100644', name: 'B', sha: blob, isTree: false },
      { mode: '040000', name: 'a0', sha: sub, isTree: true },
    ];
    const listing = entries.map((entry) => `${entry.mode} ${entry.isTree ? 'tree' : 'blob'} ${entry.sha}\t${entry.name}\n`).join('');
    const expected = await git(['mktree'], listing);
    const tree: LooseObject = { type: 'tree', content: treeContent(entries) };
    expect(objectId(tree)).toBe(expected);
    // git takes the pack (the tree's entries present), and refuses a tree out of order.
    await git(['index-pack', '--stdin', '--strict'], writePack([tree]));
    // 'a/' sorts after 'a.b'.
    const [first, second] = [entries[1], entries[0]];
    const reversed = Buffer.concat([first, second].map((entry) => Buffer.concat([Buffer.from(`${entry.mode.replace(/^0+/, '')} ${entry.name}\0`), Buffer.from(entry.sha, 'hex')])));
    await expect(git(['index-pack', '--stdin', '--strict'], writePack([{ type: 'tree', content: reversed }]))).rejects.toThrow();
  });
});
