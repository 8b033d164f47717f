// The commit under the pointer, shared by the commit list and the storage
// chart so that hovering a bar lights its row and hovering a row lights its
// bar. Kept apart from the app store: it changes on every mouse move, and only
// the row and the bar it names need to re-render.
import { create } from 'zustand';

export type HoverSource = 'list' | 'chart';

interface HoverState {
  readonly id: string | null;
  readonly from: HoverSource | null;
}

export const useHoverLink = create<HoverState>(() => ({ id: null, from: null }));

export function hoverCommit(id: string, from: HoverSource): void {
  const s = useHoverLink.getState();
  if (s.id !== id || s.from !== from) useHoverLink.setState({ id, from });
}

/** The pointer left what `from` draws (a late leave from the other side changes nothing). */
export function leaveCommit(from: HoverSource): void {
  if (useHoverLink.getState().from === from) useHoverLink.setState({ id: null, from: null });
}
