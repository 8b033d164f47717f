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
