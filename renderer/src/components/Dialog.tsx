// A modal dialog on the platform's <dialog>: it traps focus, closes on Escape
// and gives the page behind it back its focus when it closes.
import { useEffect, useRef } from 'react';
import type { FormEvent, ReactNode } from 'react';

interface DialogProps {
  readonly title: string;
  readonly children: ReactNode;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  readonly confirmDisabled?: boolean;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
  /** Cancel's label, where "Cancel" would not say what it does. */
  readonly cancelLabel?: string;
  /** A third choice between cancelling and confirming (Discard beside Save). */
  readonly alternative?: { readonly label: string; readonly onChoose: () => void };
  /** For dialogs that only show something: the one button closes them. */
  readonly hideCancel?: boolean;
}

export function Dialog({
  title,
  children,
  confirmLabel,
  danger = false,
  confirmDisabled = false,
  onConfirm,
  onCancel,
  cancelLabel = 'Cancel',
  alternative,
  hideCancel = false,
}: DialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal?.();
    return () => element?.close?.();
  }, []);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (!confirmDisabled) onConfirm();
  };
  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="dialog-title"
      onCancel={(event) => (event.preventDefault(), onCancel())}
    >
      <form onSubmit={submit}>
        <h2 id="dialog-title">{title}</h2>
        <div className="dialog-body">{children}</div>
        <div className="dialog-actions">
          {!hideCancel && (
            <button type="button" className="button" onClick={onCancel}>
              {cancelLabel}
            </button>
          )}
          {alternative && (
            <button type="button" className="button" onClick={alternative.onChoose}>
              {alternative.label}
            </button>
          )}
          <button type="submit" className={`button ${danger ? 'danger' : 'primary'}`} disabled={confirmDisabled}>
            {confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
