import { useCallback, useEffect, useRef, useState } from 'react';
import type { ReceiptLogCheck } from './domain/receipt-log-check.ts';

export type LogCheckView =
  | { state: 'idle' }
  | ({ receiptId: string } & ({ state: 'checking'; attempt: number } | ReceiptLogCheck));

/**
 * The in-browser check of a receipt against the public log. `check(receiptId)` starts one (and
 * drops any check still running); leaving the screen stops it.
 */
export function useReceiptLogCheck(electionId: string): { view: LogCheckView; check: (receiptId: string) => void } {
  const [view, setView] = useState<LogCheckView>({ state: 'idle' });
  const running = useRef<AbortController | null>(null);
  useEffect(() => () => running.current?.abort(), []);
  const check = useCallback(
    (receiptId: string) => {
      running.current?.abort();
      const controller = new AbortController();
      running.current = controller;
      const show = (next: LogCheckView) => {
        if (!controller.signal.aborted) setView(next);
      };
      show({ state: 'checking', attempt: 1, receiptId });
      import('./api/audit-log.ts')
        .then(({ checkReceipt }) =>
          checkReceipt(
            { electionId, receiptId },
            { signal: controller.signal, onRetry: (attempt) => show({ state: 'checking', attempt, receiptId }) },
          ),
        )
        .then(
        (result) => show({ ...result, receiptId }),
        // Only an abort, a chunk that failed to load, or a bug lands here; nothing was proven.
        (error: unknown) => show({ state: 'failed', reason: `the check could not run (${(error as Error).message})`, receiptId }),
      );
    },
    [electionId],
  );
  return { view, check };
}
