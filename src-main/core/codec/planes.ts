// Byte planes: byte 0 of every element, then byte 1, and so on. Small float
// updates leave sign and exponent bytes equal, so after XOR those planes are
// runs of zeros that zstd squeezes to almost nothing, while the noisy low
// mantissa bytes stay apart instead of breaking up every run.

export function splitPlanes(src: Uint8Array, width: number): Buffer {
  if (width <= 1) return Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  const n = Math.floor(src.length / width);
  const out = Buffer.allocUnsafe(src.length);
  for (let b = 0; b < width; b++) {
    const base = b * n;
    for (let i = 0, j = b; i < n; i++, j += width) out[base + i] = src[j]!;
  }
  // A tail shorter than one element (never for tensors, possible for residual
  // streams) is kept as is after the planes.
  const tail = n * width;
  if (tail < src.length) out.set(src.subarray(tail), tail);
  return out;
}

export function joinPlanes(planes: Uint8Array, width: number): Buffer {
  if (width <= 1) return Buffer.from(planes.buffer, planes.byteOffset, planes.byteLength);
  const n = Math.floor(planes.length / width);
  const out = Buffer.allocUnsafe(planes.length);
  for (let b = 0; b < width; b++) {
    const base = b * n;
    for (let i = 0, j = b; i < n; i++, j += width) out[j] = planes[base + i]!;
  }
  const tail = n * width;
  if (tail < planes.length) out.set(planes.subarray(tail), tail);
  return out;
}
