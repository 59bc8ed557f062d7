import { useEffect, useState } from 'react';
import type { SignedHead } from './domain/receipt-log-check.ts';

export type SignedHeadView =
  | { status: 'loading' }
  | { status: 'no_log' }
  | { status: 'unreachable' }
  | { status: 'failed'; reason: string }
  | { status: 'signed'; signed: SignedHead };

/** How often the audit page reads the head while the log still grows (heads are signed every second). */
const refreshMs = 5000;

/**
 * The election's newest head, its signature checked in the browser, read again every few seconds
 * until the head is final. A head that fails its check stays on screen: it is what the server sent.
 */
export function useSignedHead(electionId: string): SignedHeadView {
  const [view, setView] = useState<SignedHeadView>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      let next: SignedHeadView;
      try {
        const { readHead } = await import('./api/audit-log.ts');
        const read = await readHead(electionId);
        next = read.kind === 'signed' ? { status: 'signed', signed: read.signed } : read.kind === 'failed' ? { status: 'failed', reason: read.reason } : { status: read.kind };
      } catch (error) {
        // A chunk that failed to load, or a bug: nothing was proven.
        next = { status: 'failed', reason: `the check could not run (${(error as Error).message})` };
      }
      if (!live) return;
      // An unreachable server keeps the last head on screen rather than hiding it.
      setView((current) => (next.status === 'unreachable' && current.status === 'signed' ? current : next));
      const settled = next.status === 'failed' || (next.status === 'signed' && next.signed.head.final);
      if (!settled) timer = setTimeout(read, refreshMs);
    };
    setView({ status: 'loading' });
    void read();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [electionId]);
  return view;
}
