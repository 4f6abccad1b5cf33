// Short reports of what an action did; information fades, errors stay until dismissed.
import { useEffect } from 'react';
import type { Notice } from '../state/ui-store.js';
import { useAppStore, useStores } from '../app-context.js';

const INFO_VISIBLE_MS = 5000;

function NoticeItem({ notice }: { readonly notice: Notice }) {
  const stores = useStores();
  const dismiss = (): void => stores.ui.getState().dismiss(notice.id);
  useEffect(() => {
    if (notice.tone !== 'info') return;
    const timer = setTimeout(() => stores.ui.getState().dismiss(notice.id), INFO_VISIBLE_MS);
    return () => clearTimeout(timer);
  }, [notice, stores]);
  return (
    <div className={`notice ${notice.tone}`}>
      <span>{notice.text}</span>
      <button type="button" className="button small ghost" aria-label="Dismiss" onClick={dismiss}>
        ×
      </button>
    </div>
  );
}

export function Notices() {
  const notices = useAppStore('ui', (s) => s.notices);
  return (
    <div className="notices" role="status" aria-live="polite">
      {notices.map((notice) => (
        <NoticeItem key={notice.id} notice={notice} />
      ))}
    </div>
  );
}
