// A pickle reader that never executes anything. Python's unpickler imports
// modules and calls whatever a pickle names, so reading a checkpoint with it is
// running the checkpoint. This is the same stack machine with every import
// replaced by a marker object and every call by a record of the call: the
// result is an inert tree that the PyTorch parser walks for tensor records.

import { WeightlineError } from '../../../src-shared/errors';

export interface PickleGlobal {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
}

/** Whatever REDUCE, NEWOBJ, NEWOBJ_EX, OBJ or INST would have built, unbuilt. */
export interface PickleCall {
  readonly kind: 'call';
  readonly fn: PickleValue;
  readonly args: PickleValue;
  readonly kwargs?: PickleValue;
  /** What BUILD would have passed to __setstate__ (last one wins). */
  readonly state?: PickleValue;
  /** What SETITEM(S) would have stored into the object (OrderedDict and other dict subclasses). */
  readonly items: readonly (readonly [PickleValue, PickleValue])[];
  /** What APPEND(S) would have appended to the object (list subclasses). */
  readonly appended: readonly PickleValue[];
}

export interface PicklePersistent {
  readonly kind: 'persistent';
  readonly id: PickleValue;
}

export interface PickleBytes {
  readonly kind: 'bytes';
  readonly data: Uint8Array;
  readonly mutable: boolean; // bytearray rather than bytes
}

export interface PickleList {
  readonly kind: 'list';
  readonly items: readonly PickleValue[];
}

export interface PickleTuple {
  readonly kind: 'tuple';
  readonly items: readonly PickleValue[];
}

export interface PickleDict {
  readonly kind: 'dict';
  /** In insertion order; keys are any pickle value, as in Python. */
  readonly entries: readonly (readonly [PickleValue, PickleValue])[];
}

export interface PickleSet {
  readonly kind: 'set';
  readonly items: readonly PickleValue[];
  readonly frozen: boolean;
}

export type PickleValue =
  | null
  | boolean
  | number // ints that fit in a double exactly, and floats
  | bigint // ints that do not
  | string
  | PickleBytes
  | PickleList
  | PickleTuple
  | PickleDict
  | PickleSet
  | PickleGlobal
  | PickleCall
  | PicklePersistent;

export interface PickleLimits {
  /** Refuse inputs longer than this many bytes. */
  readonly maxBytes?: number;
  /**
   * Refuse pickles that push more than this many values (memo references
   * included). An opcode is one or two bytes but may allocate an object of
   * ~100 bytes, so without this a 32 MB pickle could ask for gigabytes.
   */
  readonly maxValues?: number;
  /** Used as the WeightlineError file. */
  readonly file?: string;
}

const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_VALUES = 2_000_000;
const HIGHEST_PROTOCOL = 5;
// Decimal and byte-string bigints cost quadratic time to convert; these match
// Python's own default limit (sys.int_info.default_max_str_digits).
const MAX_INT_DIGITS = 4300;
const MAX_INT_BYTES = 1800;

// Keyed by opcode byte. Python's pickletools.py documents each one.
const OP = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, DUP: 0x32,
  FLOAT: 0x46, INT: 0x49, BININT: 0x4a, BININT1: 0x4b, LONG: 0x4c, BININT2: 0x4d,
  NONE: 0x4e, PERSID: 0x50, BINPERSID: 0x51, REDUCE: 0x52, STRING: 0x53,
  BINSTRING: 0x54, SHORT_BINSTRING: 0x55, UNICODE: 0x56, BINUNICODE: 0x58,
  APPEND: 0x61, BUILD: 0x62, GLOBAL: 0x63, DICT: 0x64, EMPTY_DICT: 0x7d,
  APPENDS: 0x65, GET: 0x67, BINGET: 0x68, INST: 0x69, LONG_BINGET: 0x6a,
  LIST: 0x6c, EMPTY_LIST: 0x5d, OBJ: 0x6f, PUT: 0x70, BINPUT: 0x71,
  LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74, EMPTY_TUPLE: 0x29,
  SETITEMS: 0x75, BINFLOAT: 0x47,
  BINBYTES: 0x42, SHORT_BINBYTES: 0x43,
  PROTO: 0x80, NEWOBJ: 0x81, EXT1: 0x82, EXT2: 0x83, EXT4: 0x84,
  TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, NEWTRUE: 0x88, NEWFALSE: 0x89,
  LONG1: 0x8a, LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, BINBYTES8: 0x8e, EMPTY_SET: 0x8f,
  ADDITEMS: 0x90, FROZENSET: 0x91, NEWOBJ_EX: 0x92, STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94, FRAME: 0x95,
  BYTEARRAY8: 0x96, NEXT_BUFFER: 0x97, READONLY_BUFFER: 0x98,
} as const;

const OP_NAME: ReadonlyMap<number, string> = new Map(Object.entries(OP).map(([name, code]) => [code, name]));

function opLabel(code: number): string {
  const name = OP_NAME.get(code);
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  return name ? `${name} (${hex})` : hex;
}

// The machine fills containers in place (APPEND, SETITEM, BUILD...) while
// consumers get them as readonly; these are the only places that mutate.
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MutableCall = Mutable<PickleCall> & {
  items: (readonly [PickleValue, PickleValue])[];
  appended: PickleValue[];
};

const utf8 = new TextDecoder('utf-8'); // lenient: Python writes lone surrogates with surrogatepass

// Not TextDecoder('latin1'), which is really windows-1252 and remaps 0x80-0x9f.
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

class PickleMachine {
  private pos = 0;
  private readonly stack: PickleValue[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private values = 0;
  private opStart = 0;
  private op = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly view: DataView,
    private readonly maxValues: number,
    private readonly file: string | undefined,
  ) {}

  /** Bytes read so far: after run(), where the STOP opcode ended. */
  get consumed(): number {
    return this.pos;
  }

  private fail(what: string): never {
    throw new WeightlineError('BAD_FORMAT', `pickle: ${what} (opcode ${opLabel(this.op)} at byte ${this.opStart})`, this.file);
  }

  run(): PickleValue {
    for (;;) {
      this.opStart = this.pos;
      if (this.pos >= this.data.length) {
        throw new WeightlineError(
          'BAD_FORMAT',
          `pickle: expected a STOP opcode, found the end of the data after ${this.data.length} bytes`,
          this.file,
        );
      }
      this.op = this.data[this.pos++]!;
      if (this.op === OP.STOP) {
        if (this.marks.length > 0) this.fail(`${this.marks.length} MARK(s) never closed`);
        if (this.stack.length !== 1) this.fail(`expected exactly 1 value on the stack, found ${this.stack.length}`);
        return this.stack[0]!;
      }
      this.step(this.op);
    }
  }

  // --- reading the opcode arguments ---

  private need(n: number): void {
    if (n > this.data.length - this.pos) {
      this.fail(`expected ${n} more bytes, found ${this.data.length - this.pos}`);
    }
  }

  private u8(): number {
    this.need(1);
    return this.data[this.pos++]!;
  }

  private u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  private u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    // Anything this large cannot fit in the input anyway.
    if (v > BigInt(this.data.length)) this.fail(`length ${v} runs past the end of the ${this.data.length}-byte data`);
    return Number(v);
  }

  private bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A newline-terminated text argument, as protocol 0 writes them. */
  private line(): string {
    const end = this.data.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('expected a newline-terminated argument, found the end of the data');
    const text = latin1(this.data.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }

  // --- the stack ---

  private count(): void {
    if (++this.values > this.maxValues) this.fail(`more than ${this.maxValues} values; refusing to build more`);
  }

  // Every push counts, references included: a 2-byte BINGET still costs a slot.
  private push(v: PickleValue): void {
    this.count();
    this.stack.push(v);
  }

  private floor(): number {
    return this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0;
  }

  private pop(): PickleValue {
    if (this.stack.length <= this.floor()) this.fail('expected a value on the stack, found none above the mark');
    return this.stack.pop()!;
  }

  private top(): PickleValue {
    if (this.stack.length <= this.floor()) this.fail('expected a value on the stack, found none above the mark');
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.fail('expected a MARK on the stack, found none');
    return this.stack.splice(mark);
  }

  private memoGet(index: number): PickleValue {
    const v = this.memo.get(index);
    if (v === undefined) this.fail(`memo slot ${index} was never stored`);
    this.push(v);
    return v;
  }

  private memoPut(index: number): void {
    this.memo.set(index, this.top());
  }

  private int(v: bigint): number | bigint {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  /** Two's-complement little-endian, as LONG1 and LONG4 store ints. */
  private long(n: number): number | bigint {
    if (n > MAX_INT_BYTES) this.fail(`expected an int of at most ${MAX_INT_BYTES} bytes, found ${n}`);
    const b = this.bytes(n);
    if (n === 0) return 0;
    let hex = '';
    for (let i = n - 1; i >= 0; i--) hex += b[i]!.toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return this.int(v);
  }

  private tuple(items: PickleValue[]): PickleTuple {
    return { kind: 'tuple', items };
  }

  private call(fn: PickleValue, args: PickleValue, kwargs?: PickleValue): PickleCall {
    const c: MutableCall = { kind: 'call', fn, args, items: [], appended: [] };
    if (kwargs !== undefined) c.kwargs = kwargs;
    return c;
  }

  private global(module: string, name: string): PickleGlobal {
    return { kind: 'global', module, name };
  }

  private setItems(target: PickleValue, pairs: readonly PickleValue[]): void {
    if (pairs.length % 2 !== 0) this.fail(`expected key/value pairs, found ${pairs.length} values`);
    let into: (readonly [PickleValue, PickleValue])[];
    if (isKind(target, 'dict')) into = target.entries as (readonly [PickleValue, PickleValue])[];
    else if (isKind(target, 'call')) into = (target as MutableCall).items;
    else this.fail(`expected a dict to set items on, found ${describe(target)}`);
    for (let i = 0; i < pairs.length; i += 2) into.push([pairs[i]!, pairs[i + 1]!]);
  }

  private append(target: PickleValue, items: readonly PickleValue[]): void {
    let into: PickleValue[];
    if (isKind(target, 'list')) into = target.items as PickleValue[];
    else if (isKind(target, 'call')) into = (target as MutableCall).appended;
    else this.fail(`expected a list to append to, found ${describe(target)}`);
    for (const item of items) into.push(item);
  }

  private step(op: number): void {
    switch (op) {
      case OP.PROTO: {
        const v = this.u8();
        if (v > HIGHEST_PROTOCOL) this.fail(`expected protocol 0..${HIGHEST_PROTOCOL}, found ${v}`);
        return;
      }
      case OP.FRAME:
        // Framing only helps buffered readers; everything is in memory already.
        this.u64();
        return;

      case OP.MARK:
        this.count(); // marks cost memory too
        this.marks.push(this.stack.length);
        return;
      case OP.POP:
        // Python's POP discards the mark itself when nothing is above it.
        if (this.stack.length > this.floor()) this.stack.pop();
        else if (this.marks.length > 0) this.marks.pop();
        else this.fail('expected a value or a MARK to pop, found an empty stack');
        return;
      case OP.POP_MARK:
        this.popMark();
        return;
      case OP.DUP:
        this.push(this.top());
        return;

      // --- scalars ---
      case OP.NONE:
        this.push(null);
        return;
      case OP.NEWTRUE:
        this.push(true);
        return;
      case OP.NEWFALSE:
        this.push(false);
        return;
      case OP.BININT:
        this.push(this.i32());
        return;
      case OP.BININT1:
        this.push(this.u8());
        return;
      case OP.BININT2:
        this.push(this.u16());
        return;
      case OP.LONG1:
        this.push(this.long(this.u8()));
        return;
      case OP.LONG4: {
        const n = this.i32();
        if (n < 0) this.fail(`expected a non-negative LONG4 length, found ${n}`);
        this.push(this.long(n));
        return;
      }
      case OP.INT: {
        const text = this.line();
        // Protocol 0 spells True and False as INT 01 and 00.
        if (text === '01') this.push(true);
        else if (text === '00') this.push(false);
        else this.push(this.int(this.parseInt(text)));
        return;
      }
      case OP.LONG: {
        const text = this.line();
        this.push(this.int(this.parseInt(text.endsWith('L') ? text.slice(0, -1) : text)));
        return;
      }
      case OP.BINFLOAT: {
        this.need(8);
        const v = this.view.getFloat64(this.pos, false); // big-endian, unlike everything else
        this.pos += 8;
        this.push(v);
        return;
      }
      case OP.FLOAT:
        this.push(this.parseFloat(this.line()));
        return;

      // --- strings and bytes ---
      case OP.SHORT_BINUNICODE:
        this.push(utf8.decode(this.bytes(this.u8())));
        return;
      case OP.BINUNICODE:
        this.push(utf8.decode(this.bytes(this.u32())));
        return;
      case OP.BINUNICODE8:
        this.push(utf8.decode(this.bytes(this.u64())));
        return;
      case OP.UNICODE:
        this.push(rawUnicodeUnescape(this.line()));
        return;
      // Python 2 str: Python 3 decodes them to str (ASCII by default); latin1 never fails.
      case OP.SHORT_BINSTRING:
        this.push(latin1(this.bytes(this.u8())));
        return;
      case OP.BINSTRING: {
        const n = this.i32();
        if (n < 0) this.fail(`expected a non-negative BINSTRING length, found ${n}`);
        this.push(latin1(this.bytes(n)));
        return;
      }
      case OP.STRING:
        this.push(this.pyStringLiteral(this.line()));
        return;
      case OP.SHORT_BINBYTES:
        this.push({ kind: 'bytes', data: this.bytes(this.u8()), mutable: false });
        return;
      case OP.BINBYTES:
        this.push({ kind: 'bytes', data: this.bytes(this.u32()), mutable: false });
        return;
      case OP.BINBYTES8:
        this.push({ kind: 'bytes', data: this.bytes(this.u64()), mutable: false });
        return;
      case OP.BYTEARRAY8:
        this.push({ kind: 'bytes', data: this.bytes(this.u64()), mutable: true });
        return;

      // --- containers ---
      case OP.EMPTY_DICT:
        this.push({ kind: 'dict', entries: [] });
        return;
      case OP.DICT: {
        const d: PickleDict = { kind: 'dict', entries: [] };
        this.setItems(d, this.popMark());
        this.push(d);
        return;
      }
      case OP.EMPTY_LIST:
        this.push({ kind: 'list', items: [] });
        return;
      case OP.LIST:
        this.push({ kind: 'list', items: this.popMark() });
        return;
      case OP.EMPTY_TUPLE:
        this.push(this.tuple([]));
        return;
      case OP.TUPLE:
        this.push(this.tuple(this.popMark()));
        return;
      case OP.TUPLE1: {
        const a = this.pop();
        this.push(this.tuple([a]));
        return;
      }
      case OP.TUPLE2: {
        const b = this.pop();
        const a = this.pop();
        this.push(this.tuple([a, b]));
        return;
      }
      case OP.TUPLE3: {
        const c = this.pop();
        const b = this.pop();
        const a = this.pop();
        this.push(this.tuple([a, b, c]));
        return;
      }
      case OP.EMPTY_SET:
        this.push({ kind: 'set', items: [], frozen: false });
        return;
      case OP.FROZENSET:
        this.push({ kind: 'set', items: this.popMark(), frozen: true });
        return;
      case OP.ADDITEMS: {
        const items = this.popMark();
        const target = this.top();
        if (!isKind(target, 'set')) this.fail(`expected a set to add items to, found ${describe(target)}`);
        (target.items as PickleValue[]).push(...items);
        return;
      }
      case OP.APPEND: {
        const item = this.pop();
        this.append(this.top(), [item]);
        return;
      }
      case OP.APPENDS: {
        const items = this.popMark();
        this.append(this.top(), items);
        return;
      }
      case OP.SETITEM: {
        const v = this.pop();
        const k = this.pop();
        this.setItems(this.top(), [k, v]);
        return;
      }
      case OP.SETITEMS: {
        const pairs = this.popMark();
        this.setItems(this.top(), pairs);
        return;
      }

      // --- memo ---
      case OP.BINPUT:
        this.memoPut(this.u8());
        return;
      case OP.LONG_BINPUT:
        this.memoPut(this.u32());
        return;
      case OP.PUT:
        this.memoPut(this.memoIndex(this.line()));
        return;
      case OP.MEMOIZE:
        this.memoPut(this.memo.size);
        return;
      case OP.BINGET:
        this.memoGet(this.u8());
        return;
      case OP.LONG_BINGET:
        this.memoGet(this.u32());
        return;
      case OP.GET:
        this.memoGet(this.memoIndex(this.line()));
        return;

      // --- where Python would import and call: record instead ---
      case OP.GLOBAL: {
        const module = this.line();
        const name = this.line();
        this.push(this.global(module, name));
        return;
      }
      case OP.STACK_GLOBAL: {
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          this.fail(`expected module and name strings, found ${describe(module)} and ${describe(name)}`);
        }
        this.push(this.global(module, name));
        return;
      }
      case OP.REDUCE: {
        const args = this.pop();
        const fn = this.pop();
        this.push(this.call(fn, args));
        return;
      }
      case OP.NEWOBJ: {
        const args = this.pop();
        const cls = this.pop();
        this.push(this.call(cls, args));
        return;
      }
      case OP.NEWOBJ_EX: {
        const kwargs = this.pop();
        const args = this.pop();
        const cls = this.pop();
        this.push(this.call(cls, args, kwargs));
        return;
      }
      case OP.OBJ: {
        const items = this.popMark();
        if (items.length === 0) this.fail('expected a class after the MARK, found nothing');
        const [cls, ...args] = items;
        this.push(this.call(cls!, this.tuple(args)));
        return;
      }
      case OP.INST: {
        const module = this.line();
        const name = this.line();
        const args = this.popMark();
        this.count();
        this.push(this.call(this.global(module, name), this.tuple(args)));
        return;
      }
      case OP.BUILD: {
        const state = this.pop();
        const target = this.top();
        // Only call records can take state; anything else would be a
        // __setstate__ on a builtin, which Python itself rejects.
        if (!isKind(target, 'call')) this.fail(`expected an object to BUILD, found ${describe(target)}`);
        (target as MutableCall).state = state;
        return;
      }
      case OP.BINPERSID: {
        const id = this.pop();
        this.push({ kind: 'persistent', id });
        return;
      }
      case OP.PERSID: {
        const id = this.line();
        this.count();
        this.push({ kind: 'persistent', id });
        return;
      }

      case OP.EXT1:
      case OP.EXT2:
      case OP.EXT4:
        return this.fail('the copyreg extension registry is not supported');
      case OP.NEXT_BUFFER:
      case OP.READONLY_BUFFER:
        return this.fail('out-of-band buffers are not supported');
      default:
        return this.fail('unknown opcode');
    }
  }

  private parseInt(text: string): bigint {
    const t = text.trim();
    if (t.length > MAX_INT_DIGITS) this.fail(`expected an int of at most ${MAX_INT_DIGITS} digits, found ${t.length}`);
    if (!/^[+-]?\d+$/.test(t)) this.fail(`expected a decimal integer, found ${JSON.stringify(text.slice(0, 40))}`);
    return BigInt(t);
  }

  private parseFloat(text: string): number {
    const t = text.trim().toLowerCase();
    if (t === 'nan' || t === '-nan') return NaN;
    if (t === 'inf' || t === '+inf') return Infinity;
    if (t === '-inf') return -Infinity;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) {
      this.fail(`expected a float, found ${JSON.stringify(text.slice(0, 40))}`);
    }
    return Number(t);
  }

  private memoIndex(text: string): number {
    const v = this.parseInt(text);
    if (v < 0n || v > 0xffffffffn) this.fail(`expected a memo index 0..2^32-1, found ${v}`);
    return Number(v);
  }

  /** A protocol 0 STRING argument: a quoted Python 2 str repr. */
  private pyStringLiteral(text: string): string {
    const q = text[0];
    if (text.length < 2 || (q !== "'" && q !== '"') || text[text.length - 1] !== q) {
      this.fail(`expected a quoted string, found ${JSON.stringify(text.slice(0, 40))}`);
    }
    const unescaped = unescapePyString(text.slice(1, -1));
    if (unescaped === undefined) this.fail(`bad escape in string ${JSON.stringify(text.slice(0, 40))}`);
    return unescaped;
  }
}

/** Python's raw-unicode-escape: only \uXXXX and \UXXXXXXXX are escapes. */
function rawUnicodeUnescape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4: string | undefined, u8: string | undefined) => {
    const cp = parseInt((u4 ?? u8)!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : _m;
  });
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '',
};

/** Python 2 str escapes as repr() writes them; undefined if malformed. */
function unescapePyString(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i];
    if (e === undefined) return undefined;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) out += simple;
    else if (e === 'x') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else if (/[0-7]/.test(e)) {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i))![0];
      out += String.fromCharCode(parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else out += `\\${e}`; // Python keeps unknown escapes verbatim
  }
  return out;
}

function isKind<K extends string>(v: PickleValue, kind: K): v is Extract<PickleValue, { kind: K }> {
  return typeof v === 'object' && v !== null && v.kind === kind;
}

function describe(v: PickleValue): string {
  if (v === null) return 'None';
  if (typeof v === 'object') return v.kind;
  return typeof v;
}

/**
 * Reads one pickle from `data` into an inert tree. Nothing named in the pickle
 * is imported or called. Throws WeightlineError('BAD_FORMAT') on malformed or
 * unsupported input, naming the opcode and its byte offset.
 */
export function parsePickle(data: Uint8Array, limits: PickleLimits = {}): PickleValue {
  return parsePicklePrefix(data, limits).value;
}

/**
 * Reads the pickle at the start of `data`, which may go on past it (legacy
 * torch.save files are pickles back to back): the value, and the byte where
 * its STOP opcode ended. Errors as parsePickle.
 */
export function parsePicklePrefix(data: Uint8Array, limits: PickleLimits = {}): { value: PickleValue; end: number } {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  if (data.length > maxBytes) {
    throw new WeightlineError(
      'BAD_FORMAT',
      `pickle: expected at most ${maxBytes} bytes, found ${data.length}; refusing to read it`,
      limits.file,
    );
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const machine = new PickleMachine(data, view, limits.maxValues ?? DEFAULT_MAX_VALUES, limits.file);
  const value = machine.run();
  return { value, end: machine.consumed };
}
