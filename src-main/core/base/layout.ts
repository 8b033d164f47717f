// What a format parser tells the store about a file: where its tensors lie.
// Everything a parser does not claim as tensor data (headers, pickles, zip
// records) is the file's "residual" and is kept verbatim by the store, which is
// what makes every rebuild byte-for-byte identical whatever the parser missed.

export type Dtype =
  | 'F64' | 'F32' | 'F16' | 'BF16'
  | 'F8_E4M3' | 'F8_E5M2'
  | 'I64' | 'I32' | 'I16' | 'I8'
  | 'U64' | 'U32' | 'U16' | 'U8'
  | 'BOOL'
  | 'C64' | 'C128'
  | 'OTHER'; // known width, unknown meaning (e.g. a big-endian or structured numpy dtype)

/** Every format a parser can name; the manifest schema accepts exactly these. */
export const FILE_FORMATS = [
  'safetensors', 'pytorch-zip', 'pytorch-legacy', 'npy', 'npz',
  'onnx', 'onnx-external-data', 'keras', 'hdf5', 'tf-checkpoint', 'gguf',
  'generic',
] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export interface TensorRegion {
  /** Stable name used to match the tensor across versions, e.g. "model.layers.0.weight". */
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** Byte offset of the tensor's data in the file. */
  readonly offset: number;
  /** Byte length of the tensor's data; a multiple of width. */
  readonly length: number;
  /** Bytes per element, used to split deltas into byte planes (1..16). */
  readonly width: number;
  /** Whether the bytes are little-endian numbers the change figures may decode. */
  readonly littleEndian: boolean;
}

export interface FileLayout {
  readonly format: FileFormat;
  readonly size: number;
  /** Sorted by offset, non-overlapping, each inside [0, size). Empty for generic files. */
  readonly tensors: readonly TensorRegion[];
}

export const DTYPE_WIDTH: Readonly<Record<Exclude<Dtype, 'OTHER'>, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1,
  I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
  C64: 8, C128: 16,
};

/** Every dtype a manifest may name: the manifest schema accepts exactly these, so a manifest read is a Manifest by its schema. */
export const DTYPES: readonly [Dtype, ...Dtype[]] = ['OTHER', ...(Object.keys(DTYPE_WIDTH) as Exclude<Dtype, 'OTHER'>[])];
