// Light or dark: the system setting (prefers-color-scheme) unless the user
// chose with the toolbar's toggle. The choice is kept in localStorage and
// applied as data-theme on <html>; styles.css turns that into color-scheme,
// which picks each colour variable's light or dark value.

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

export const THEME_KEY = 'weightline.theme';

/** What a stored value means; anything unknown (or nothing) follows the system. */
export function parseThemeChoice(v: string | null | undefined): ThemeChoice {
  return v === 'light' || v === 'dark' ? v : 'system';
}

export function effectiveTheme(choice: ThemeChoice, systemDark: boolean): Theme {
  return choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
}

/**
 * The choice after one click on the toggle: always the other look. Choosing
 * what the system shows anyway goes back to following the system, so a user
 * who flips twice is not pinned to a theme the system would have given them.
 */
export function toggledChoice(choice: ThemeChoice, systemDark: boolean): ThemeChoice {
  const next: Theme = effectiveTheme(choice, systemDark) === 'dark' ? 'light' : 'dark';
  return next === (systemDark ? 'dark' : 'light') ? 'system' : next;
}

export function readThemeChoice(storage: Pick<Storage, 'getItem'> | null = safeStorage()): ThemeChoice {
  try { return parseThemeChoice(storage?.getItem(THEME_KEY)); } catch { return 'system'; }
}

export function writeThemeChoice(choice: ThemeChoice, storage: Pick<Storage, 'setItem' | 'removeItem'> | null = safeStorage()): void {
  try {
    if (choice === 'system') storage?.removeItem(THEME_KEY);
    else storage?.setItem(THEME_KEY, choice);
  } catch { /* storage full or disabled: the choice lasts this session */ }
}

/** Sets data-theme on <html> ("system" removes it, so the media query decides). */
export function applyThemeChoice(choice: ThemeChoice, root: HTMLElement = document.documentElement): void {
  if (choice === 'system') delete root.dataset['theme'];
  else root.dataset['theme'] = choice;
}

function safeStorage(): Storage | null {
  try { return typeof localStorage === 'undefined' ? null : localStorage; } catch { return null; }
}
