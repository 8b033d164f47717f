// A streaming reader for the protobuf wire format, reading fields from file
// offsets through a small window, so a multi-gigabyte message (an ONNX model
// with its weights inline) is walked without ever being held in memory:
// length-delimited fields are returned as (offset, length) and read only when
// the caller asks. Generic on purpose: it knows tags and wire types, nothing
// of any schema. Hostile input is expected: every length is checked against
// the end of the enclosing message before it is believed.

import type { FileHandle } from 'node:fs/promises';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

export interface WireField {
  readonly field: number;
  readonly wireType: number;
  /** Where the field's tag starts (for error messages). */
  readonly tagAt: number;
  /** VARINT: the value (unsigned, as a bigint). I64/I32: the raw value. LEN: the length. */
  readonly value: bigint;
  /** Where the payload starts (LEN: the first byte of the bytes; others: the value). */
  readonly at: number;
  /** First byte after the field. */
  readonly end: number;
}

/** Throws the caller's error (BAD_FORMAT naming the file); never returns. */
export type Fail = (msg: string) => never;

const WINDOW = 64 * 1024;

/**
 * Random access to a file through one cached window. All reads are bounded by
 * the file size given at construction; nothing is read past it.
 */
export class WindowedFile {
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly fail: Fail,
  ) {}

  /** Makes [pos, pos+n) available in the window (n <= WINDOW); returns the window offset. */
  private async ensure(pos: number, n: number): Promise<number> {
    if (pos >= this.bufStart && pos + n <= this.bufStart + this.buf.length) return pos - this.bufStart;
    const want = Math.min(Math.max(n, WINDOW), this.size - pos);
    if (want < n) this.fail(`expected ${n} bytes at byte ${pos}, found the end of the ${this.size}-byte file`);
    const buf = Buffer.alloc(want);
    const { bytesRead } = await this.handle.read(buf, 0, want, pos);
    if (bytesRead < n) this.fail(`expected ${n} bytes at byte ${pos}, could read only ${bytesRead}`);
    this.buf = buf.subarray(0, bytesRead);
    this.bufStart = pos;
    return 0;
  }

  /** Reads a base-128 varint at `pos` that must end before `limit`: its value and the byte after it. */
  async varint(pos: number, limit: number): Promise<{ value: bigint; next: number }> {
    const avail = Math.min(10, limit - pos);
    if (avail <= 0) this.fail(`expected a varint at byte ${pos}, found the end of the enclosing message`);
    const i = await this.ensure(pos, avail);
    let value = 0n;
    for (let k = 0; k < avail; k++) {
      const b = this.buf[i + k]!;
      value |= BigInt(b & 0x7f) << BigInt(7 * k);
      if ((b & 0x80) === 0) {
        if (k === 9 && b > 1) this.fail(`varint at byte ${pos} overflows 64 bits`);
        return { value, next: pos + k + 1 };
      }
    }
    return avail === 10
      ? this.fail(`varint at byte ${pos} runs longer than 10 bytes`)
      : this.fail(`varint at byte ${pos} runs past the end of the enclosing message at byte ${limit}`);
  }

  /** Reads `n` bytes at `pos` (a copy), n at most `max`. */
  async bytes(pos: number, n: number, max: number, what: string): Promise<Buffer> {
    if (n > max) this.fail(`${what} at byte ${pos} is ${n} bytes, over the ${max}-byte limit`);
    if (pos + n > this.size) this.fail(`${what} at byte ${pos} (${n} bytes) runs past the end of the ${this.size}-byte file`);
    if (n <= WINDOW) {
      const i = await this.ensure(pos, n);
      return Buffer.from(this.buf.subarray(i, i + n));
    }
    const out = Buffer.alloc(n);
    const { bytesRead } = await this.handle.read(out, 0, n, pos);
    if (bytesRead !== n) this.fail(`expected ${n} bytes of ${what} at byte ${pos}, could read only ${bytesRead}`);
    return out;
  }
}

/** Highest field number protobuf allows (2^29 - 1). */
const MAX_FIELD = 0x1fffffff;

/**
 * Walks the fields of the message occupying [start, end) of the file, one at a
 * time. Groups (wire types 3 and 4, deprecated since proto2 and written by no
 * writer we read) are refused rather than guessed at.
 */
export class MessageCursor {
  private pos: number;

  constructor(
    private readonly file: WindowedFile,
    start: number,
    readonly end: number,
    private readonly fail: Fail,
  ) {
    if (start < 0 || end > file.size || start > end) fail(`message [${start}, ${end}) lies outside the ${file.size}-byte file`);
    this.pos = start;
  }

  /** The next field, or null at the end of the message. */
  async next(): Promise<WireField | null> {
    if (this.pos >= this.end) return null;
    const tagAt = this.pos;
    const tag = await this.file.varint(tagAt, this.end);
    if (tag.value > BigInt(MAX_FIELD) * 8n + 7n) this.fail(`field tag ${tag.value} at byte ${tagAt} is out of range`);
    const field = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (field === 0) this.fail(`expected a field number >= 1, found 0 at byte ${tagAt}`);
    let value: bigint;
    let at = tag.next;
    let end: number;
    switch (wireType) {
      case WIRE_VARINT: {
        const v = await this.file.varint(at, this.end);
        value = v.value;
        end = v.next;
        break;
      }
      case WIRE_I64:
      case WIRE_I32: {
        const n = wireType === WIRE_I64 ? 8 : 4;
        if (at + n > this.end) this.fail(`field ${field} at byte ${tagAt}: expected ${n} bytes, found the end of the message at byte ${this.end}`);
        const b = await this.file.bytes(at, n, 8, `field ${field}`);
        value = n === 8 ? b.readBigUInt64LE(0) : BigInt(b.readUInt32LE(0));
        end = at + n;
        break;
      }
      case WIRE_LEN: {
        const v = await this.file.varint(at, this.end);
        at = v.next;
        if (v.value > BigInt(this.end - at)) {
          this.fail(`field ${field} at byte ${tagAt}: length ${v.value} runs past the end of the enclosing message (${this.end - at} bytes left)`);
        }
        value = v.value;
        end = at + Number(v.value);
        break;
      }
      default:
        return this.fail(`field ${field} at byte ${tagAt}: unsupported wire type ${wireType}${wireType === 3 || wireType === 4 ? ' (group)' : ''}`);
    }
    this.pos = end;
    return { field, wireType, tagAt, value, at, end };
  }

  /** A cursor over a length-delimited field's bytes, read as a message. */
  sub(f: WireField): MessageCursor {
    return new MessageCursor(this.file, f.at, f.end, this.fail);
  }
}

/** A varint as a signed 64-bit integer (int64 fields carry negatives as 10-byte two's complement). */
export function asInt64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** Reads the varints packed into [start, end) (a packed repeated field). */
export async function readPackedVarints(file: WindowedFile, start: number, end: number, max: number, fail: Fail): Promise<bigint[]> {
  const out: bigint[] = [];
  let pos = start;
  while (pos < end) {
    if (out.length >= max) fail(`packed field at byte ${start} holds more than ${max} values`);
    const v = await file.varint(pos, end);
    out.push(v.value);
    pos = v.next;
  }
  return out;
}
