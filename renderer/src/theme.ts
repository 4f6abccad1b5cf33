// The chosen theme as an attribute on <html>; CSS does the rest, following the
// OS through prefers-color-scheme when the choice is 'system'.
import type { Theme } from '../../app/src/api/wirefly-api.js';

export function applyTheme(root: HTMLElement, theme: Theme | undefined): void {
  if (theme === undefined || theme === 'system') delete root.dataset['theme'];
  else root.dataset['theme'] = theme;
}
