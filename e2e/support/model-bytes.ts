// Model files for the specs' own histories, byte for byte as the safetensors
// format says (the specs cannot import test/helpers/models.ts: it registers
// vitest hooks), and a seeded random source so every run makes the same bytes.

export { rng } from '../../src-shared/seeded-random';

export interface SpecTensor { readonly name: string; readonly data: Float32Array | BigInt64Array }

/** A safetensors file of F32 (Float32Array) and I64 (BigInt64Array) tensors, one dimension each. */
export function safetensors(tensors: readonly SpecTensor[]): Buffer {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    const dtype = t.data instanceof BigInt64Array ? 'I64' : 'F32';
    header[t.name] = { dtype, shape: [t.data.length], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // The format pads the header with spaces to an 8-byte boundary.
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([len, Buffer.from(json), ...tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]);
}
