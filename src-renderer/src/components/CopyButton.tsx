import { copyText } from '../state/actions';

export function CopyButton({ text, what, label }: { text: string; what: string; label: string }) {
  return (
    <button type="button" className="icon-button" aria-label={label} title={label} onClick={() => void copyText(text, what)}>
      <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true">
        <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.4" />
        <path d="M3 11V3.5A1.5 1.5 0 0 1 4.5 2H11" fill="none" stroke="currentColor" strokeWidth="1.4" />
      </svg>
    </button>
  );
}
