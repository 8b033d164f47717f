// Modal dialogs on the native <dialog>: the browser traps focus, makes the page
// behind inert and handles Escape, which a hand-made overlay gets subtly wrong.
import { useEffect, useId, useRef, type ReactNode } from 'react';

interface Props {
  readonly title: ReactNode;
  readonly onClose: () => void;
  readonly children: ReactNode;
  readonly wide?: boolean;
  /** While a job runs, Escape must not hide its progress. */
  readonly busy?: boolean;
}

export function Dialog({ title, onClose, children, wide, busy }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) {
      d.showModal();
      // showModal focuses the first control; a dialog may name a better one.
      d.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    return () => { if (d?.open) d.close(); };
  }, []);
  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? ' wide' : ''}`}
      aria-labelledby={titleId}
      onCancel={(e) => { e.preventDefault(); if (!busy) onClose(); }}
    >
      <h2 id={titleId} className="dialog-title">{title}</h2>
      {children}
    </dialog>
  );
}
