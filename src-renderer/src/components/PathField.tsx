// A path field with completion from the server (browser mode has no native
// picker): suggestions as you type, Tab completes as far as is unambiguous,
// ↑/↓ and Enter pick a suggestion.
import { useEffect, useId, useRef, useState } from 'react';
import { getApi } from '../api';
import type { PathEntry } from '../../../src-shared/contract';
import { commonPrefix } from '../lib/path-complete';

interface Props {
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly placeholder?: string;
  readonly autoFocus?: boolean;
  readonly disabled?: boolean;
  readonly onEnter?: () => void;
  /** In the desktop app, also offer the native picker for this kind of path. */
  readonly pick?: 'file' | 'folder' | 'file-or-folder';
}

const MAX_SHOWN = 50;

export function PathField({ label, value, onChange, placeholder, autoFocus, disabled, onEnter, pick }: Props) {
  const id = useId();
  const listId = `${id}-list`;
  const [entries, setEntries] = useState<readonly PathEntry[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const seq = useRef(0);

  // Ask for completions shortly after typing stops; a slower older answer
  // must not replace a newer one.
  useEffect(() => {
    if (!open || disabled) return;
    const mine = ++seq.current;
    const t = setTimeout(() => {
      getApi().call('fs.complete', { prefix: value }).then((list) => {
        if (mine === seq.current) { setEntries(list); setActive(-1); }
      }, () => { if (mine === seq.current) setEntries([]); });
    }, 120);
    return () => clearTimeout(t);
  }, [value, open, disabled]);

  const shown = entries.slice(0, MAX_SHOWN);
  // A list holding only what is already typed offers nothing, and would sit
  // over the buttons below (a click meant for "Open" would pick it instead).
  const onlyTyped = shown.length === 1 && (shown[0]!.path === value || withSlash(shown[0]!.path) === value);
  const listShown = open && shown.length > 0 && !onlyTyped;
  const native = pick !== undefined && getApi().transport === 'electron';
  const choose = async (): Promise<void> => {
    if (!pick) return;
    try {
      const chosen = await getApi().call('dialog.pickPath', { kind: pick, title: label, ...(/^(\/|[A-Za-z]:[\\/])/.test(value) ? { defaultPath: value } : {}) });
      if (chosen) onChange(chosen);
    } catch (_e) {
      // No picker (or it failed): the typed path with completion still works.
    }
  };
  const accept = (e: PathEntry): void => {
    onChange(e.dir ? withSlash(e.path) : e.path);
    setOpen(e.dir);
  };

  return (
    <div className="path-field">
      <label htmlFor={id}>{label}</label>
      <div className="path-row">
        <input
          id={id}
          type="text"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={listShown}
          aria-controls={listId}
          aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
          spellCheck={false}
          autoComplete="off"
          data-autofocus={autoFocus ? true : undefined}
          disabled={disabled}
          placeholder={placeholder}
          value={value}
          onChange={(e) => { onChange(e.target.value); setOpen(true); }}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown' && (!open || shown.length === 0)) { setOpen(true); e.preventDefault(); }
            else if (e.key === 'ArrowDown') { setActive((a) => Math.min(shown.length - 1, a + 1)); e.preventDefault(); }
            else if (e.key === 'ArrowUp' && shown.length > 0) { setActive((a) => Math.max(-1, a - 1)); e.preventDefault(); }
            else if (e.key === 'Tab' && !e.shiftKey && open && shown.length > 0) {
              const only = shown.length === 1 ? shown[0]! : null;
              const next = only ? (only.dir ? withSlash(only.path) : only.path) : commonPrefix(shown.map((s) => s.path));
              if (next.length > value.length) { onChange(next); e.preventDefault(); }
            } else if (e.key === 'Enter') {
              const highlighted = active >= 0 ? shown[active] : undefined;
              if (highlighted && open) { accept(highlighted); e.preventDefault(); }
              else if (onEnter) { setOpen(false); onEnter(); e.preventDefault(); }
            } else if (e.key === 'Escape' && listShown) {
              // First Escape closes the suggestions, the next one the dialog.
              setOpen(false); e.preventDefault(); e.stopPropagation();
            }
          }}
        />
        {native && <button type="button" disabled={disabled} onClick={() => void choose()}>Choose…</button>}
      </div>
      {listShown && (
        <ul id={listId} role="listbox" className="completions" aria-label={`${label} suggestions`}>
          {shown.map((s, i) => (
            <li
              key={s.path}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : undefined}
              onMouseDown={(e) => { e.preventDefault(); accept(s); }}
            >
              <span className="completion-kind" aria-hidden="true">{s.dir ? '▸' : '·'}</span>
              {s.name}{s.dir ? '/' : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function withSlash(p: string): string {
  return p.endsWith('/') || p.endsWith('\\') ? p : `${p}/`;
}
