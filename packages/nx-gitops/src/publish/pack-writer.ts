import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/** The types of object this writer packs, with their number in git's pack format. */
const PACK_TYPES = { commit: 1, tree: 2, blob: 3 } as const;

/** An object to pack: its type and its content, as git stores it after the `<type> <size>\0` header. */
export interface LooseObject {
  type: keyof typeof PACK_TYPES;
  content: Buffer;
}

/** The id git gives `object`: the SHA-1 of `<type> <size>\0<content>`. */
export function objectId(object: LooseObject): string {
  return createHash('sha1').update(`${object.type} ${object.content.length}\0`).update(object.content).digest('hex');
}

/**
 * A tree object's content: `<mode> <name>\0<binary id>` per entry, the mode without leading zeros, in git's
 * order (names compared as bytes, a subtree's as if it ended in "/").
 */
export function treeContent(entries: ReadonlyArray<{ mode: string; name: string; sha: string; isTree: boolean }>): Buffer {
  const sortKey = (entry: { name: string; isTree: boolean }) => Buffer.from(entry.isTree ? `${entry.name}/` : entry.name, 'utf8');
  const sorted = [...entries].sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
  return Buffer.concat(sorted.flatMap((entry) => [Buffer.from(`${entry.mode.replace(/^0+/, '')} ${entry.name}\0`, 'utf8'), Buffer.from(entry.sha, 'hex')]));
}

/** A pack entry's header: the type in bits 4-6 of the first byte, the size in 4 bits there and 7 bits per following byte. */
function entryHeader(type: number, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (type << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

/**
 * A version 2 pack of `objects`, undeltified (git's pack format: `PACK`, version, count, each object's
 * header and zlib stream, the SHA-1 of all of it), for `git index-pack --stdin` to check and store as one
 * pack file: a hundred commits become two files instead of a hundred on a slow file system.
 */
export function writePack(objects: readonly LooseObject[]): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  const parts: Buffer[] = [header];
  for (const object of objects) parts.push(entryHeader(PACK_TYPES[object.type], object.content.length), deflateSync(object.content));
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}
