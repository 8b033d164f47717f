// XOR of bit patterns is the only exact "difference" for floats: a ^ b ^ b === a
// for every value, NaNs and signed zeros included, which subtraction cannot give.

/** out = a ^ b; out may be a itself. Word-wide where all three are 4-byte aligned. */
function xorTo(out: Uint8Array, a: Uint8Array, b: Uint8Array, name: string): void {
  if (a.length !== b.length) throw new Error(`${name}: lengths differ (${a.length} vs ${b.length})`);
  const n = a.length;
  let i = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && out.byteOffset % 4 === 0) {
    const words = n >>> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset, words);
    const wb = new Uint32Array(b.buffer, b.byteOffset, words);
    const wo = new Uint32Array(out.buffer, out.byteOffset, words);
    for (let k = 0; k < words; k++) wo[k] = wa[k]! ^ wb[k]!;
    i = words << 2;
  }
  for (; i < n; i++) out[i] = a[i]! ^ b[i]!;
}

/** Returns a ^ b in a new buffer; a and b must have the same length. */
export function xorBytes(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  xorTo(out, a, b, 'xorBytes');
  return out;
}

/** a ^= b in place (same length); returns a. */
export function xorInto(a: Buffer, b: Uint8Array): Buffer {
  xorTo(a, a, b, 'xorInto');
  return a;
}
