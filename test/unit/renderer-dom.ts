// A happy-dom window as the global browser environment for renderer component
// tests. Import it before React so react-dom sees a DOM when it loads.
import { Window } from 'happy-dom';

const window = new Window({ url: 'http://127.0.0.1/', width: 1200, height: 800 });

const globals = [
  'window',
  'document',
  'navigator',
  'location',
  'getComputedStyle',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'Node',
  'Text',
  'Element',
  'HTMLElement',
  'HTMLInputElement',
  'HTMLDialogElement',
  'Document',
  'DocumentFragment',
  'Event',
  'KeyboardEvent',
  'MouseEvent',
  'FocusEvent',
  'InputEvent',
  'CustomEvent',
  'MutationObserver',
  'ResizeObserver',
  'Range',
  'Selection',
  'DOMRect',
  'matchMedia',
  'File',
  'Blob',
  'URL',
  'devicePixelRatio',
] as const;

for (const name of globals) {
  Object.defineProperty(globalThis, name, {
    value: (window as unknown as Record<string, unknown>)[name],
    configurable: true,
    writable: true,
  });
}
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export const domWindow = window;
