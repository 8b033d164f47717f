// The toolbar's light/dark switch. One click always changes the look; the
// choice is remembered (lib/theme.ts), and matching the system setting again
// goes back to following it.
import { useEffect, useState, useSyncExternalStore } from 'react';
import { applyThemeChoice, effectiveTheme, readThemeChoice, toggledChoice, writeThemeChoice, type ThemeChoice } from '../lib/theme';

const DARK_QUERY = '(prefers-color-scheme: dark)';

function subscribeSystem(onChange: () => void): () => void {
  const mq = window.matchMedia(DARK_QUERY);
  mq.addEventListener('change', onChange);
  return () => mq.removeEventListener('change', onChange);
}
const systemIsDark = (): boolean => window.matchMedia(DARK_QUERY).matches;

export function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(readThemeChoice);
  const systemDark = useSyncExternalStore(subscribeSystem, systemIsDark);
  useEffect(() => { applyThemeChoice(choice); }, [choice]);
  const dark = effectiveTheme(choice, systemDark) === 'dark';
  const title = `${dark ? 'Dark' : 'Light'} theme${choice === 'system' ? ', as the system setting' : ', chosen here'}. Click for ${dark ? 'light' : 'dark'}.`;
  return (
    <button
      type="button"
      className="icon-button theme-toggle"
      aria-label="Dark theme"
      aria-pressed={dark}
      title={title}
      data-theme-choice={choice}
      onClick={() => {
        const next = toggledChoice(choice, systemDark);
        writeThemeChoice(next);
        setChoice(next);
      }}
    >
      <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
        {dark
          ? <path d="M10.5 1.8a6.3 6.3 0 1 0 3.7 8.9A5.2 5.2 0 0 1 10.5 1.8z" fill="currentColor" />
          : (
            <g stroke="currentColor" strokeWidth="1.4" strokeLinecap="round" fill="none">
              <circle cx="8" cy="8" r="3" fill="currentColor" />
              <path d="M8 1.2v1.6M8 13.2v1.6M1.2 8h1.6M13.2 8h1.6M3.2 3.2l1.1 1.1M11.7 11.7l1.1 1.1M3.2 12.8l1.1-1.1M11.7 4.3l1.1-1.1" />
            </g>
          )}
      </svg>
    </button>
  );
}
