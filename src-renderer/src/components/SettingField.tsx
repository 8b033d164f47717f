// One number setting of the settings pane: its field, unit, hint, the saved
// value beside a change, and the policy's words for a wrong value.
import { useId } from 'react';
import { parseField, SETTING_MAX, SETTING_MIN, type NumberKey } from '../lib/settings-form';

interface FieldProps {
  readonly name: NumberKey;
  readonly label: string;
  readonly unit: string;
  readonly hint: string;
  readonly value: string;
  readonly saved: number;
  readonly error: string | undefined;
  readonly disabled: boolean;
  readonly onChange: (v: string) => void;
  /** Decimals allowed (maxRouteRead); else whole numbers. */
  readonly decimals?: boolean;
  readonly step?: number;
  readonly min?: number;
  readonly max?: number;
  /** The saved value as shown beside a changed field ("was 50 GB"); default its number. */
  readonly savedText?: string;
  /** Free text (a size like 50G): no arrow-key stepping. */
  readonly text?: boolean;
}

export function NumberField(p: FieldProps) {
  const id = useId();
  const parsed = parseField(p.name, p.value);
  const changed = 'value' in parsed ? parsed.value !== p.saved : p.value.trim() !== String(p.saved);
  const step = p.step ?? 1, min = p.min ?? SETTING_MIN, max = p.max ?? SETTING_MAX;
  return (
    <div className={`field settings-field${p.error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{p.label} <span className="muted">({p.name})</span></label>
      <div className="settings-input-row">
        <input
          id={id} name={p.name} type="text" inputMode={p.text ? 'text' : p.decimals ? 'decimal' : 'numeric'} value={p.value} disabled={p.disabled}
          aria-invalid={p.error ? true : undefined} aria-describedby={`${id}-hint${p.error ? ` ${id}-error` : ''}`}
          onChange={(e) => p.onChange(e.target.value)}
          onKeyDown={(e) => {
            // Arrow keys step like a number field would, within the bounds.
            if (p.text || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
            const t = p.value.trim();
            const n = Number(t);
            if (t === '' || !Number.isFinite(n) || (!p.decimals && !Number.isInteger(n))) return;
            e.preventDefault();
            // Tenths at most, so 0.1 + 0.5 reads 0.6, not 0.6000000000000001.
            const next = Math.round((n + (e.key === 'ArrowUp' ? step : -step)) * 10) / 10;
            p.onChange(String(Math.min(max, Math.max(min, next))));
          }}
        />
        <span className="settings-unit muted">{p.unit}</span>
        {changed && !p.error && <span className="settings-was muted">was {p.savedText ?? p.saved}</span>}
      </div>
      {p.error && <span id={`${id}-error`} className="field-error" role="alert">{p.error}</span>}
      <span id={`${id}-hint`} className="hint">{p.hint}</span>
    </div>
  );
}
