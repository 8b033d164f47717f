// Right-click (or the Menu key / Shift+F10) on a commit row.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useApp } from '../state/app-store';
import { beginComparePick, closeMenu, copyText, openDialog, rangeSelection, select, setPinned, startCompare } from '../state/actions';

export function ContextMenu() {
  const menu = useApp((s) => s.menu);
  const entry = useApp((s) => (s.menu ? s.commits.find((c) => c.id === s.menu!.id) : undefined));
  // Re-read when the range changes (a shift-click) or the menu opens.
  const range = useApp((s) => s.range);
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState<{ x: number; y: number } | null>(null);

  // Keep the menu inside the window, then put focus on its first item.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!menu || !el) { setPos(null); return; }
    const r = el.getBoundingClientRect();
    setPos({ x: Math.min(menu.x, window.innerWidth - r.width - 8), y: Math.min(menu.y, window.innerHeight - r.height - 8) });
    el.querySelector<HTMLElement>('[role="menuitem"]:not([disabled])')?.focus();
  }, [menu]);

  useEffect(() => {
    if (!menu) return;
    const onDown = (e: MouseEvent): void => { if (!ref.current?.contains(e.target as Node)) closeMenu(); };
    window.addEventListener('mousedown', onDown);
    window.addEventListener('blur', closeMenu);
    return () => { window.removeEventListener('mousedown', onDown); window.removeEventListener('blur', closeMenu); };
  }, [menu]);

  if (!menu || !entry) return null;
  // The commit selected before this menu opened (opening it selects its row): "Compare with selected" pairs them.
  const comparePartner = menu.previous ?? null;
  const backToRow = (): void => { closeMenu(); select(entry.id, { focus: true }); };
  const selected = range ? rangeSelection() : [];
  const forgetRefs = selected.length > 1 && selected.includes(entry.id) ? selected : [entry.id];
  return (
    <div
      ref={ref}
      role="menu"
      aria-label={`Actions for ${entry.message || entry.id.slice(0, 12)}`}
      className="context-menu"
      style={{ left: pos?.x ?? menu.x, top: pos?.y ?? menu.y }}
      onKeyDown={(e) => {
        const items = [...(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]:not([disabled])') ?? [])];
        const i = items.indexOf(document.activeElement as HTMLElement);
        if (e.key === 'Escape' || e.key === 'Tab') { e.preventDefault(); backToRow(); }
        else if (e.key === 'ArrowDown') { e.preventDefault(); items[(i + 1) % items.length]?.focus(); }
        else if (e.key === 'ArrowUp') { e.preventDefault(); items[(i - 1 + items.length) % items.length]?.focus(); }
      }}
    >
      <button role="menuitem" type="button" onClick={() => void setPinned(entry.id, !entry.pinned)}>{entry.pinned ? 'Unpin' : 'Pin'}</button>
      <button role="menuitem" type="button" onClick={() => openDialog({ kind: 'tag', id: entry.id })}>Tag…</button>
      <button role="menuitem" type="button" onClick={() => void copyText(entry.id, 'commit id')}>Copy id</button>
      <button role="menuitem" type="button" onClick={() => openDialog({ kind: 'restore', id: entry.id })}>Restore…</button>
      <button role="menuitem" type="button" onClick={() => beginComparePick(entry.id)}>Compare with…</button>
      {comparePartner && comparePartner !== entry.id && (
        <button role="menuitem" type="button" onClick={() => void startCompare(comparePartner, entry.id)}>Compare with selected</button>
      )}
      <div className="menu-separator" role="separator" />
      <button role="menuitem" type="button" className="menu-danger" title="Shift-click another row to select a range" onClick={() => openDialog({ kind: 'forget', refs: forgetRefs })}>
        {forgetRefs.length > 1 ? `Forget ${forgetRefs.length} selected…` : 'Forget…'}
      </button>
    </div>
  );
}
