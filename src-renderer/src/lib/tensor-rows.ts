// The tensor table shows every file's tensors in one list; the file column
// only matters (and is only shown) when a version has several files.
import type { FileSummary, TensorStatus } from '../../../src-shared/model';

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
      });
    }
  }
  return rows;
}

export function formatRelChange(v: number | null): string {
  if (v === null) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e4 ? v.toExponential(2) : v.toFixed(4);
}

/**
 * The sort key of "Rel. change": changed tensors by their relative change,
 * then changed ones with no figure (added), and unchanged tensors last, so a
 * descending sort is "what changed most first" and never mixes in an
 * unchanged tensor whose figure is 0.
 */
export function changeRank(r: Pick<TensorRow, 'status' | 'relChange'>): number {
  if (r.status === 'unchanged') return -1;
  return r.relChange ?? -0.5;
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
  const parts = name.split('.');
  const keep = parts.length >= 3 ? 2 : parts.length === 2 ? 1 : 0;
  if (keep === 0) return { head: '', tail: name };
  const tail = parts.slice(-keep).join('.');
  return { head: name.slice(0, name.length - tail.length), tail };
}

/** The table's hover text for a tensor: every figure a narrow table may have left out. */
export function tensorTitle(r: TensorRow, withFile = false): string {
  return `${withFile ? `${r.file}: ` : ''}${r.name}\n${r.dtype} ${r.shape} · ${r.status}${r.relChange === null ? '' : ` · relative L2 change ${formatRelChange(r.relChange)}`}`;
}
