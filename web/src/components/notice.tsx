import type { ReactNode } from 'react';
import { describeError } from '../api/messages.ts';

export function Notice({
  kind = 'info',
  children,
  testId,
}: {
  kind?: 'info' | 'error' | 'success' | 'warning';
  children: ReactNode;
  testId?: string;
}) {
  return (
    <div
      className={`notice notice-${kind}`}
      role={kind === 'error' ? 'alert' : 'status'}
      data-testid={testId}
    >
      {children}
    </div>
  );
}

export function ErrorNotice({ error }: { error: unknown }) {
  return <Notice kind="error">{describeError(error)}</Notice>;
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" role="status">
      {what}…
    </p>
  );
}
