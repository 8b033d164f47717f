// A drag handle between two panes (role "separator", focusable: arrow keys
// move it, double-click or Enter puts it back to its default). The pane sizes
// themselves live with the caller; the handle only reports where the pointer is.
import { useRef, type KeyboardEvent, type PointerEvent } from 'react';

interface Props {
  /** "vertical": a vertical bar that moves left and right. */
  readonly orientation: 'vertical' | 'horizontal';
  readonly label: string;
  /** The size the handle sets, for assistive technology (percent or pixels). */
  readonly value: number;
  readonly min: number;
  readonly max: number;
  /** Pointer moves: the new size for this pointer event (the caller measures its own box). */
  readonly sizeAt: (e: PointerEvent<HTMLDivElement>) => number;
  /** A keyboard step (a sign of ±1 times this) in the value's own unit. */
  readonly step: number;
  readonly onResize: (value: number) => void;
  /** The drag or key press is over: remember the size. */
  readonly onCommit: (value: number) => void;
  readonly onReset: () => void;
  readonly testId?: string;
}

export function SplitHandle(p: Props) {
  const dragging = useRef<number | null>(null);
  const last = useRef(p.value);
  last.current = p.value;

  const onPointerDown = (e: PointerEvent<HTMLDivElement>): void => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    dragging.current = e.pointerId;
    document.documentElement.classList.add(`resizing-${p.orientation}`);
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>): void => {
    if (dragging.current !== e.pointerId) return;
    const v = p.sizeAt(e);
    last.current = v;
    p.onResize(v);
  };
  const end = (e: PointerEvent<HTMLDivElement>): void => {
    if (dragging.current !== e.pointerId) return;
    dragging.current = null;
    document.documentElement.classList.remove(`resizing-${p.orientation}`);
    p.onCommit(last.current);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    // Left/Up make the first pane smaller, as the handle moves that way.
    const sign = e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : 0;
    if (sign !== 0) {
      // The chart sits below its handle: moving the handle up makes it taller.
      const dir = p.orientation === 'horizontal' ? -sign : sign;
      const v = Math.min(p.max, Math.max(p.min, p.value + dir * p.step));
      p.onResize(v);
      p.onCommit(v);
    } else if (e.key === 'Enter') {
      p.onReset();
    } else {
      return;
    }
    e.preventDefault();
  };

  return (
    <div
      role="separator"
      tabIndex={0}
      aria-orientation={p.orientation}
      aria-label={p.label}
      aria-valuenow={Math.round(p.value)}
      aria-valuemin={Math.round(p.min)}
      aria-valuemax={Math.round(p.max)}
      title={`${p.label}: drag, or use the arrow keys; double-click to reset`}
      data-testid={p.testId}
      className={`split-handle split-${p.orientation}`}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={end}
      onPointerCancel={end}
      onDoubleClick={p.onReset}
      onKeyDown={onKeyDown}
    />
  );
}
