// A layout reader for HDF5 files (HDF5 File Format Specification version 3),
// as Keras and h5py write them: it walks the group tree from the superblock
// and reports every dataset whose data is one contiguous byte range as a
// region named by its full path ("model_weights/dense/dense/kernel:0",
// "layers/dense/vars/0").
//
// Understood: superblocks v0-v3; object headers v1 and v2 with continuation
// blocks; old-style groups (symbol table message -> v1 B-tree -> symbol table
// nodes, names in the local heap) and new-style compact groups (link
// messages); dataspace, datatype (fixed-point and IEEE float) and data layout
// (v1-v4) messages.
//
// Left in the residual, with no region: chunked and compact datasets,
// datasets with external storage, non-numeric datatypes (strings, compounds,
// enums), messages stored shared (committed datatypes), members of groups with
// dense link storage (a fractal heap: only written with libver='latest' and
// more than 8 links per group), soft and external links. Anything not
// understood gives fewer regions, never a wrong one; a structure that points
// outside the file is BAD_FORMAT.

import { DTYPE_WIDTH, type Dtype, type FileLayout, type TensorRegion } from '../base/layout';
import { FileBytes } from './file-bytes';

const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Where a superblock may start: 0, then 512 and each power of two after it (a user block before it). */
const MAX_SUPERBLOCK_PROBES = 24;
/** Hostile files can describe endless trees; real ones have thousands of objects at most. */
const MAX_OBJECTS = 1_000_000;
const MAX_DEPTH = 64;
const MAX_MESSAGES_PER_HEADER = 65536;
const MAX_CONTINUATIONS = 4096;

const MSG = {
  NIL: 0x0000, DATASPACE: 0x0001, LINK_INFO: 0x0002, DATATYPE: 0x0003, EXTERNAL_FILES: 0x0007,
  LAYOUT: 0x0008, LINK: 0x0006, CONTINUATION: 0x0010, SYMBOL_TABLE: 0x0011,
} as const;

/** The part of a file an HDF5 image occupies: the whole file, or a stored zip entry. */
interface Span {
  readonly file: FileBytes;
  /** Absolute offset of the image's byte 0 in the file. */
  readonly start: number;
  readonly length: number;
}

interface Message {
  readonly type: number;
  readonly flags: number;
  readonly data: Buffer;
  /** Absolute file offset of the message data, for error messages. */
  readonly at: number;
}

class Reader {
  /** Absolute file offset HDF5 addresses count from: the image start plus the superblock's base address. */
  private base = 0;
  private sizeOfOffsets = 8;
  private sizeOfLengths = 8;
  private objects = 0;
  private readonly seenHeaders = new Set<number>();
  private readonly seenNodes = new Set<number>();
  readonly tensors: TensorRegion[] = [];

  constructor(private readonly span: Span) {}

  private fail(message: string): never {
    return this.span.file.fail(`HDF5: ${message}`);
  }

  private async read(abs: number, length: number, what: string): Promise<Buffer> {
    if (abs < this.span.start || !Number.isSafeInteger(length) || length < 0 || abs + length > this.span.start + this.span.length) {
      this.fail(`expected ${length} bytes of ${what} at byte ${abs}, found the data ends at byte ${this.span.start + this.span.length}`);
    }
    return this.span.file.read(abs, length, what);
  }

  // --- numbers of the sizes the superblock chose ---

  private uint(buf: Buffer, pos: number, size: number, what: string): bigint {
    if (pos + size > buf.length) this.fail(`${what}: expected ${size} more bytes in a ${buf.length}-byte structure, found ${buf.length - pos}`);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[pos + i]!);
    return v;
  }

  private isUndefined(v: bigint, size: number): boolean {
    return v === (1n << BigInt(size * 8)) - 1n;
  }

  /** An address field: the absolute file offset it names, or null for HDF5's undefined address. */
  private address(buf: Buffer, pos: number, what: string): number | null {
    const v = this.uint(buf, pos, this.sizeOfOffsets, what);
    if (this.isUndefined(v, this.sizeOfOffsets)) return null;
    const abs = BigInt(this.base) + v;
    if (abs >= BigInt(this.span.start + this.span.length)) {
      this.fail(`${what}: expected an address inside the file, found ${v} (byte ${abs}; the data ends at byte ${this.span.start + this.span.length})`);
    }
    return Number(abs);
  }

  private length(buf: Buffer, pos: number, what: string): number {
    const v = this.uint(buf, pos, this.sizeOfLengths, what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what}: expected a length, found ${v}`);
    return Number(v);
  }

  // --- superblock ---

  async superblock(): Promise<number> {
    let at = -1;
    for (let i = 0, pos = 0; i < MAX_SUPERBLOCK_PROBES && pos + 8 <= this.span.length; i++, pos = pos === 0 ? 512 : pos * 2) {
      const sig = await this.read(this.span.start + pos, 8, 'the HDF5 signature');
      if (sig.equals(SIGNATURE)) {
        at = this.span.start + pos;
        break;
      }
    }
    if (at < 0) {
      const head = await this.read(this.span.start, Math.min(8, this.span.length), 'the HDF5 signature');
      this.fail(`expected the signature \\x89HDF\\r\\n\\x1a\\n at byte ${this.span.start} (or 512, 1024, ... after a user block), found ${JSON.stringify(head.toString('latin1'))}`);
    }
    const fixed = await this.read(at, 16, 'the superblock');
    const version = fixed[8]!;
    let root: number | null;
    if (version === 0 || version === 1) {
      this.sizeOfOffsets = fixed[13]!;
      this.sizeOfLengths = fixed[14]!;
      this.checkSizes(at);
      const O = this.sizeOfOffsets;
      const rest = 24 + (version === 1 ? 4 : 0);
      const sb = await this.read(at, rest + 4 * O + 2 * O + 24, 'the superblock');
      // The base address is absolute; everything else counts from it.
      const base = this.uint(sb, rest, O, 'base address');
      this.setBase(base, at);
      const entry = rest + 4 * O;
      root = this.address(sb, entry + O, 'the root group object header address');
    } else if (version === 2 || version === 3) {
      this.sizeOfOffsets = fixed[9]!;
      this.sizeOfLengths = fixed[10]!;
      this.checkSizes(at);
      const O = this.sizeOfOffsets;
      const sb = await this.read(at, 12 + 4 * O + 4, 'the superblock');
      this.setBase(this.uint(sb, 12, O, 'base address'), at);
      root = this.address(sb, 12 + 3 * O, 'the root group object header address');
    } else {
      return this.fail(`expected superblock version 0..3 at byte ${at + 8}, found ${version}`);
    }
    if (root === null) this.fail(`expected a root group address in the superblock at byte ${at}, found the undefined address`);
    return root;
  }

  private checkSizes(at: number): void {
    if (![2, 4, 8].includes(this.sizeOfOffsets) || ![2, 4, 8].includes(this.sizeOfLengths)) {
      this.fail(`expected sizes of offsets and lengths of 2, 4 or 8 in the superblock at byte ${at}, found ${this.sizeOfOffsets} and ${this.sizeOfLengths}`);
    }
  }

  private setBase(base: bigint, superblockAt: number): void {
    if (base > BigInt(this.span.length)) this.fail(`expected a base address inside the file, found ${base} in the superblock at byte ${superblockAt}`);
    this.base = this.span.start + Number(base);
  }

  // --- object headers ---

  private async messages(header: number): Promise<Message[]> {
    const first = await this.read(header, 4, 'an object header');
    const out: Message[] = [];
    const blocks: { start: number; length: number; v2: boolean }[] = [];
    const seen = new Set<number>();
    let v2: boolean;
    let creationOrder = false;
    if (first.toString('latin1') === 'OHDR') {
      v2 = true;
      const h = await this.read(header, 6, 'an object header');
      if (h[4] !== 2) this.fail(`object header at byte ${header}: expected version 2, found ${h[4]}`);
      const flags = h[5]!;
      creationOrder = (flags & 0x04) !== 0; // each message then carries a 2-byte creation index
      let pos = header + 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
      const sizeBytes = 1 << (flags & 0x03);
      const size = Number(this.uint(await this.read(pos, sizeBytes, 'an object header chunk size'), 0, sizeBytes, 'chunk size'));
      pos += sizeBytes;
      blocks.push({ start: pos, length: size, v2 });
    } else {
      v2 = false;
      const h = await this.read(header, 16, 'an object header');
      if (h[0] !== 1) this.fail(`object header at byte ${header}: expected version 1 or the signature OHDR, found ${JSON.stringify(first.toString('latin1'))}`);
      blocks.push({ start: header + 16, length: h.readUInt32LE(8), v2 });
    }
    for (let b = 0; b < blocks.length; b++) {
      if (b > MAX_CONTINUATIONS) this.fail(`object header at byte ${header}: more than ${MAX_CONTINUATIONS} continuation blocks`);
      const block = blocks[b]!;
      const data = await this.read(block.start, block.length, `object header messages (header at byte ${header})`);
      let pos = 0;
      const msgHeader = v2 ? 4 + (creationOrder ? 2 : 0) : 8;
      while (pos + msgHeader <= data.length) {
        const type = v2 ? data[pos]! : data.readUInt16LE(pos);
        const size = v2 ? data.readUInt16LE(pos + 1) : data.readUInt16LE(pos + 2);
        const flags = v2 ? data[pos + 3]! : data[pos + 4]!;
        const start = pos + msgHeader;
        if (start + size > data.length) {
          this.fail(`object header at byte ${header}: message of type ${type} at byte ${block.start + pos} claims ${size} bytes, found ${data.length - start} left in its block`);
        }
        const body = data.subarray(start, start + size);
        if (out.length >= MAX_MESSAGES_PER_HEADER) this.fail(`object header at byte ${header}: more than ${MAX_MESSAGES_PER_HEADER} messages`);
        out.push({ type, flags, data: body, at: block.start + start });
        if (type === MSG.CONTINUATION) {
          const addr = this.address(body, 0, 'a continuation block address');
          const length = this.length(body, this.sizeOfOffsets, 'a continuation block length');
          if (addr !== null && !seen.has(addr)) {
            seen.add(addr);
            if (v2) {
              const sig = await this.read(addr, 4, 'a continuation block');
              if (sig.toString('latin1') !== 'OCHK') this.fail(`continuation block at byte ${addr}: expected the signature OCHK, found ${JSON.stringify(sig.toString('latin1'))}`);
              if (length < 8) this.fail(`continuation block at byte ${addr}: expected at least 8 bytes, found ${length}`);
              blocks.push({ start: addr + 4, length: length - 8, v2 });
            } else {
              blocks.push({ start: addr, length, v2 });
            }
          }
        }
        pos = start + size;
      }
    }
    return out;
  }

  // --- groups ---

  /** The hard links of a group as (name, header address), or null if its members cannot be listed. */
  private async links(msgs: readonly Message[]): Promise<{ name: string; address: number }[] | null> {
    const out: { name: string; address: number }[] = [];
    const table = msgs.find((m) => m.type === MSG.SYMBOL_TABLE);
    if (table) {
      const btree = this.address(table.data, 0, 'a symbol table B-tree address');
      const heap = this.address(table.data, this.sizeOfOffsets, 'a symbol table local heap address');
      if (btree === null || heap === null) return out;
      const names = await this.localHeap(heap);
      await this.groupBtree(btree, names, out, 0);
      return out;
    }
    const info = msgs.find((m) => m.type === MSG.LINK_INFO);
    if (info) {
      const flags = info.data[1] ?? 0;
      const heap = this.address(info.data, 2 + (flags & 0x01 ? 8 : 0), 'a fractal heap address');
      if (heap !== null) return null; // dense link storage: not read (see the top of this file)
    }
    for (const m of msgs) {
      if (m.type !== MSG.LINK) continue;
      const link = this.link(m);
      if (link) out.push(link);
    }
    return out;
  }

  private link(m: Message): { name: string; address: number } | null {
    const d = m.data;
    if (d[0] !== 1) this.fail(`link message at byte ${m.at}: expected version 1, found ${d[0]}`);
    const flags = d[1] ?? 0;
    let pos = 2;
    let type = 0;
    if (flags & 0x08) type = d[pos++] ?? 0;
    if (flags & 0x04) pos += 8;
    if (flags & 0x10) pos += 1;
    const lenSize = 1 << (flags & 0x03);
    const nameLength = Number(this.uint(d, pos, lenSize, 'a link name length'));
    pos += lenSize;
    if (pos + nameLength > d.length) this.fail(`link message at byte ${m.at}: expected a ${nameLength}-byte name, found ${d.length - pos} bytes`);
    const name = d.subarray(pos, pos + nameLength).toString('utf8');
    pos += nameLength;
    if (type !== 0) return null; // soft and external links name no object here
    const address = this.address(d, pos, `the address of link ${JSON.stringify(name)}`);
    return address === null ? null : { name, address };
  }

  private async localHeap(at: number): Promise<{ start: number; size: number }> {
    const L = this.sizeOfLengths;
    const h = await this.read(at, 8 + 2 * L + this.sizeOfOffsets, 'a local heap');
    if (h.toString('latin1', 0, 4) !== 'HEAP') this.fail(`local heap at byte ${at}: expected the signature HEAP, found ${JSON.stringify(h.toString('latin1', 0, 4))}`);
    const size = this.length(h, 8, 'the local heap data size');
    const start = this.address(h, 8 + 2 * L, 'the local heap data address');
    if (start === null) this.fail(`local heap at byte ${at}: expected a data segment address, found the undefined address`);
    await this.read(start, size, 'the local heap data segment'); // bounds check once
    return { start, size };
  }

  private async heapName(heap: { start: number; size: number }, offset: number): Promise<string> {
    if (offset >= heap.size) this.fail(`a link name at offset ${offset} of a local heap of ${heap.size} bytes`);
    const n = Math.min(heap.size - offset, 65536);
    const bytes = await this.read(heap.start + offset, n, 'a link name');
    const end = bytes.indexOf(0);
    if (end < 0) this.fail(`a link name at byte ${heap.start + offset}: expected a NUL-terminated name, found none`);
    return bytes.subarray(0, end).toString('utf8');
  }

  private async groupBtree(at: number, heap: { start: number; size: number }, out: { name: string; address: number }[], depth: number): Promise<void> {
    if (depth > MAX_DEPTH) this.fail(`group B-tree deeper than ${MAX_DEPTH} levels at byte ${at}`);
    if (this.seenNodes.has(at)) this.fail(`group B-tree node at byte ${at} is reached twice`);
    this.seenNodes.add(at);
    const O = this.sizeOfOffsets;
    const L = this.sizeOfLengths;
    const head = await this.read(at, 8 + 2 * O, 'a B-tree node');
    if (head.toString('latin1', 0, 4) !== 'TREE') this.fail(`B-tree node at byte ${at}: expected the signature TREE, found ${JSON.stringify(head.toString('latin1', 0, 4))}`);
    if (head[4] !== 0) this.fail(`B-tree node at byte ${at}: expected a group node (type 0), found type ${head[4]}`);
    const level = head[5]!;
    const used = head.readUInt16LE(6);
    const body = await this.read(at + 8 + 2 * O, L + used * (O + L), 'a B-tree node');
    for (let i = 0; i < used; i++) {
      const child = this.address(body, L + i * (O + L), 'a B-tree child address');
      if (child === null) continue;
      if (level > 0) await this.groupBtree(child, heap, out, depth + 1);
      else await this.symbolNode(child, heap, out);
    }
  }

  private async symbolNode(at: number, heap: { start: number; size: number }, out: { name: string; address: number }[]): Promise<void> {
    if (this.seenNodes.has(at)) this.fail(`symbol table node at byte ${at} is reached twice`);
    this.seenNodes.add(at);
    const head = await this.read(at, 8, 'a symbol table node');
    if (head.toString('latin1', 0, 4) !== 'SNOD') this.fail(`symbol table node at byte ${at}: expected the signature SNOD, found ${JSON.stringify(head.toString('latin1', 0, 4))}`);
    const count = head.readUInt16LE(6);
    const entrySize = 2 * this.sizeOfOffsets + 24;
    const body = await this.read(at + 8, count * entrySize, 'symbol table entries');
    for (let i = 0; i < count; i++) {
      const nameOffset = this.length(body, i * entrySize, 'a link name offset');
      const address = this.address(body, i * entrySize + this.sizeOfOffsets, 'a symbol table entry address');
      if (address === null) continue;
      out.push({ name: await this.heapName(heap, nameOffset), address });
    }
  }

  // --- datasets ---

  private dataset(path: string, msgs: readonly Message[]): TensorRegion | null {
    const space = msgs.find((m) => m.type === MSG.DATASPACE);
    const type = msgs.find((m) => m.type === MSG.DATATYPE);
    const layout = msgs.find((m) => m.type === MSG.LAYOUT);
    if (!space || !type || !layout) return null;
    // Shared (committed) messages hold a reference, not the message: not followed.
    if ([space, type, layout].some((m) => (m.flags & 0x02) !== 0)) return null;
    if (msgs.some((m) => m.type === MSG.EXTERNAL_FILES)) return null; // the data lives in other files
    const shape = this.dataspace(space);
    const dtype = this.datatype(type);
    if (!shape || !dtype) return null;
    let numel = 1;
    for (const d of shape) numel *= d;
    const bytes = numel * dtype.width;
    const range = this.contiguous(layout, bytes);
    if (!range || bytes === 0 || !Number.isSafeInteger(bytes)) return null;
    if (range.length !== bytes) return null; // storage that does not match the shape: not trusted
    return { name: path, dtype: dtype.dtype, shape, offset: range.offset, length: range.length, width: dtype.width, littleEndian: dtype.littleEndian };
  }

  private dataspace(m: Message): number[] | null {
    const d = m.data;
    const version = d[0];
    const rank = d[1] ?? 0;
    let pos: number;
    if (version === 1) pos = 8;
    else if (version === 2) {
      if (d[3] === 2) return null; // a null dataspace holds nothing
      pos = 4;
    } else this.fail(`dataspace message at byte ${m.at}: expected version 1 or 2, found ${version}`);
    if (rank > 32) this.fail(`dataspace message at byte ${m.at}: expected at most 32 dimensions, found ${rank}`);
    const dims: number[] = [];
    for (let i = 0; i < rank; i++) dims.push(this.length(d, pos + i * this.sizeOfLengths, 'a dimension size'));
    return dims;
  }

  private datatype(m: Message): { dtype: Dtype; width: number; littleEndian: boolean } | null {
    const d = m.data;
    if (d.length < 8) this.fail(`datatype message at byte ${m.at}: expected at least 8 bytes, found ${d.length}`);
    const cls = d[0]! & 0x0f;
    const bits0 = d[1]!;
    const size = d.readUInt32LE(4);
    if (size < 1 || size > 16) return null;
    const bigEndian = (bits0 & 0x01) !== 0;
    if (cls === 0) {
      // Fixed-point: a plain integer uses every bit of its bytes.
      if (d.length < 12 || d.readUInt16LE(8) !== 0 || d.readUInt16LE(10) !== size * 8) return opaque(size);
      const signed = (bits0 & 0x08) !== 0;
      const name = `${signed ? 'I' : 'U'}${size * 8}`;
      if (bigEndian || !Object.hasOwn(DTYPE_WIDTH, name)) return opaque(size);
      return { dtype: name as Dtype, width: size, littleEndian: true };
    }
    if (cls === 1) {
      // IEEE floats: sign at the top bit, then exponent and mantissa as the standard lays them out.
      const vax = (bits0 & 0x40) !== 0;
      if (d.length < 20 || bigEndian || vax) return opaque(size);
      const offset = d.readUInt16LE(8);
      const precision = d.readUInt16LE(10);
      const expLoc = d[12]!;
      const expSize = d[13]!;
      const mantLoc = d[14]!;
      const mantSize = d[15]!;
      const signLoc = d[2]!;
      const ieee = offset === 0 && precision === size * 8 && mantLoc === 0 && expLoc === mantSize && signLoc === size * 8 - 1 && expLoc + expSize === signLoc;
      if (!ieee) return opaque(size);
      const dtype: Dtype | undefined =
        size === 4 && expSize === 8 ? 'F32'
          : size === 8 && expSize === 11 ? 'F64'
            : size === 2 && expSize === 5 ? 'F16'
              : size === 2 && expSize === 8 ? 'BF16'
                : undefined;
      return dtype ? { dtype, width: size, littleEndian: true } : opaque(size);
    }
    return null; // strings, compounds, references, enums, arrays...: no numbers to diff here
  }

  /** The byte range of a contiguous dataset of `bytes` bytes, or null for any other storage. */
  private contiguous(m: Message, bytes: number): { offset: number; length: number } | null {
    const d = m.data;
    const version = d[0];
    if (version === 1 || version === 2) {
      if (d[2] !== 1) return null;
      const addr = this.address(d, 8, 'a dataset data address');
      return addr === null ? null : this.checkedRange(addr, bytes, m);
    }
    if (version === 3 || version === 4) {
      if (d[1] !== 1) return null;
      const addr = this.address(d, 2, 'a dataset data address');
      const length = this.length(d, 2 + this.sizeOfOffsets, 'a dataset data size');
      return addr === null ? null : this.checkedRange(addr, length, m);
    }
    return this.fail(`data layout message at byte ${m.at}: expected version 1..4, found ${version}`);
  }

  private checkedRange(offset: number, length: number, m: Message): { offset: number; length: number } {
    if (offset + length > this.span.start + this.span.length) {
      this.fail(`data layout message at byte ${m.at}: expected ${length} bytes of data at byte ${offset}, found the data ends at byte ${this.span.start + this.span.length}`);
    }
    return { offset, length };
  }

  // --- the walk ---

  async walk(root: number): Promise<void> {
    const todo: { address: number; path: string; depth: number }[] = [{ address: root, path: '', depth: 0 }];
    while (todo.length > 0) {
      const { address, path, depth } = todo.pop()!;
      // An object with several names is reported once, under the first name met (h5py's visit order).
      if (this.seenHeaders.has(address)) continue;
      this.seenHeaders.add(address);
      if (++this.objects > MAX_OBJECTS) this.fail(`more than ${MAX_OBJECTS} objects`);
      const msgs = await this.messages(address);
      if (msgs.some((m) => m.type === MSG.LAYOUT)) {
        const t = path === '' ? null : this.dataset(path, msgs);
        if (t) this.tensors.push(t);
        continue;
      }
      if (depth >= MAX_DEPTH) continue;
      const links = await this.links(msgs);
      if (!links) continue;
      // Names in byte order, depth first, as H5Ovisit goes; pushed in reverse so the first pops first.
      links.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (let i = links.length - 1; i >= 0; i--) {
        const l = links[i]!;
        todo.push({ address: l.address, path: path === '' ? l.name : `${path}/${l.name}`, depth: depth + 1 });
      }
    }
  }
}

function opaque(size: number): { dtype: Dtype; width: number; littleEndian: boolean } {
  return { dtype: 'OTHER', width: size, littleEndian: false };
}

/**
 * Regions of the HDF5 image in `span` (a whole file, or a stored zip entry),
 * sorted, with unique names; BAD_FORMAT if its structures are broken or two
 * datasets' data overlap.
 */
export async function readHdf5Regions(span: Span): Promise<TensorRegion[]> {
  const reader = new Reader(span);
  await reader.walk(await reader.superblock());
  const names = new Set<string>();
  const tensors = reader.tensors.filter((t) => (names.has(t.name) ? false : (names.add(t.name), true)));
  tensors.sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < tensors.length; i++) {
    const prev = tensors[i - 1]!;
    const cur = tensors[i]!;
    if (cur.offset < prev.offset + prev.length) {
      span.file.fail(`HDF5: dataset ${JSON.stringify(cur.name)} starts at byte ${cur.offset}, inside ${JSON.stringify(prev.name)} (bytes ${prev.offset}..${prev.offset + prev.length})`);
    }
  }
  return tensors;
}

/** Layout of an HDF5 file (.h5, .hdf5, Keras .weights.h5): one region per contiguous numeric dataset. */
export async function readHdf5Layout(path: string, size: number): Promise<FileLayout> {
  return FileBytes.with(path, size, async (file) => ({
    format: 'hdf5',
    size,
    tensors: await readHdf5Regions({ file, start: 0, length: size }),
  }));
}
