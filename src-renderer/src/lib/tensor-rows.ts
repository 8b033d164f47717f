// The tensor table shows every file's tensors in one list; the file column
// only matters (and is only shown) when a version has several files.
// Quantized tensors (GGUF's Q4_K, Q8_0, …: dtype OTHER, blocks of packed
// integers) have no float figures; what they have is the share of their bytes
// that changed, shown as "quantized, N bytes changed".
import { humanBytes } from '../../../src-shared/format';
import type { FileSummary, TensorStatus } from '../../../src-shared/model';
import { TF_SUFFIX } from './layer-changes';

export interface TensorRow {
  readonly key: string;
  readonly file: string;
  readonly name: string;
  readonly dtype: string;
  readonly shape: string;
  readonly elements: number;
  readonly bytes: number;
  readonly status: TensorStatus;
  readonly relChange: number | null;
  /** Share of the tensor's bytes that changed (null for added or removed tensors). */
  readonly changedFraction: number | null;
  /**
   * Bytes changed of a tensor with no float figures but a changed share (a
   * quantized GGUF tensor, or any dtype the figures do not read): null for
   * tensors with figures, and for added or removed ones.
   */
  readonly quantizedChangedBytes: number | null;
  /** dtype OTHER: blocks of quantized values (GGUF), said as "quantized"; an integer tensor with no figures is not. */
  readonly quantized: boolean;
}

/**
 * A tensor with no figures but a changed share: quantized blocks (GGUF) or
 * another dtype the figures do not read. A float tensor that was all zeros
 * has no relative change (nothing to divide by) but has its other figures: not this.
 */
export function isQuantized(t: {
  readonly status: TensorStatus; readonly relChange: number | null; readonly maxAbsDiff: number | null; readonly changedFraction: number | null;
}): boolean {
  return t.relChange === null && t.maxAbsDiff === null && t.changedFraction !== null && (t.status === 'changed' || t.status === 'unchanged');
}

export function tensorRows(files: readonly FileSummary[]): TensorRow[] {
  const rows: TensorRow[] = [];
  for (const f of files) {
    for (const t of f.tensors) {
      rows.push({
        key: `${f.path}\u0000${t.name}`,
        file: f.path,
        name: t.name,
        dtype: t.dtype,
        shape: `[${t.shape.join(', ')}]`,
        elements: t.shape.reduce((a, b) => a * b, 1),
        bytes: t.bytes,
        status: t.status,
        relChange: t.relChange,
        changedFraction: t.changedFraction,
        quantizedChangedBytes: isQuantized(t) ? Math.round(t.changedFraction! * t.bytes) : null,
        // GGUF's quantized types read as dtype OTHER; its integer types (I8…I64) are not quantized.
        quantized: t.dtype === 'OTHER',
      });
    }
  }
  return rows;
}

/** "quantized, 269 B changed", sizes as the table's Size column gives them (the exact count is in the hover text). */
export function quantizedText(changedBytes: number, quantized = true): string {
  return `${quantized ? 'quantized, ' : ''}${humanBytes(changedBytes)} changed`;
}

/** The "Rel. change" cell: the figure, or for a tensor with no figures (quantized) the bytes that changed. */
export function changeCellText(r: Pick<TensorRow, 'relChange' | 'quantizedChangedBytes' | 'quantized'>): string {
  return r.quantizedChangedBytes !== null ? quantizedText(r.quantizedChangedBytes, r.quantized) : formatRelChange(r.relChange);
}

export function formatRelChange(v: number | null): string {
  if (v === null) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e4 ? v.toExponential(2) : v.toFixed(4);
}

/**
 * The sort key of "Rel. change": changed tensors by their relative change,
 * then changed quantized tensors by the share of their bytes that changed
 * (a different measure, so never mixed in with the figures), then changed
 * ones with no figure (added), and unchanged tensors last, so a descending
 * sort is "what changed most first" and never mixes in an unchanged tensor
 * whose figure is 0.
 */
export function changeRank(r: Pick<TensorRow, 'status' | 'relChange'> & Partial<Pick<TensorRow, 'changedFraction' | 'quantizedChangedBytes'>>): number {
  if (r.status === 'unchanged') return -1;
  if (r.relChange !== null) return r.relChange;
  // In (-0.45, -0.05]: below every figure (≥ 0), above added tensors (-0.5).
  if (r.quantizedChangedBytes !== null && r.quantizedChangedBytes !== undefined) return -0.45 + 0.4 * Math.min(1, Math.max(0, r.changedFraction ?? 0));
  return -0.5;
}

/** The table's default order (before the user sorts): most changed first, unchanged last, then by name. */
export function byChangeFirst(rows: readonly TensorRow[]): TensorRow[] {
  return [...rows].sort((a, b) => changeRank(b) - changeRank(a) || a.file.localeCompare(b.file) || a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/**
 * Where a long tensor name may be cut: the head ("blocks.3.mlp.") gets the
 * ellipsis, the tail ("fc1.weight") always shows, since it is what tells
 * fc1 from fc2 and running_mean from running_var.
 */
export function nameParts(name: string): { readonly head: string; readonly tail: string } {
  // Slash paths (Keras, HDF5, TensorFlow) keep their last two parts: "dense_1/kernel:0".
  if (name.includes('/')) return slashParts(name);
  const parts = name.split('.');
  const keep = parts.length >= 3 ? 2 : parts.length === 2 ? 1 : 0;
  if (keep === 0) return { head: '', tail: name };
  const tail = parts.slice(-keep).join('.');
  return { head: name.slice(0, name.length - tail.length), tail };
}

function slashParts(name: string): { readonly head: string; readonly tail: string } {
  // TensorFlow's constant suffix stays in the tail (the name must read whole when it fits), but does not count as a part.
  const suffix = name.endsWith(TF_SUFFIX) ? TF_SUFFIX : '';
  const bare = name.slice(0, name.length - suffix.length);
  const cut = bare.split('/');
  if (cut.length <= 2) return { head: '', tail: name };
  const tail = `${cut.slice(-2).join('/')}${suffix}`;
  return { head: name.slice(0, name.length - tail.length), tail };
}

/** The table's hover text for a tensor: every figure a narrow table may have left out. */
export function tensorTitle(r: TensorRow, withFile = false): string {
  const change = r.quantizedChangedBytes !== null
    ? ` · ${quantizedText(r.quantizedChangedBytes, r.quantized)} (${((r.changedFraction ?? 0) * 100).toFixed(1)}% of its bytes; no float figures)`
    : r.relChange === null ? '' : ` · relative L2 change ${formatRelChange(r.relChange)}`;
  return `${withFile ? `${r.file}: ` : ''}${r.name}\n${r.dtype} ${r.shape} · ${r.status}${change}`;
}
