import { useEffect, useState } from 'react';
import { readOperationsStream } from './api/operations.ts';
import { ApiError } from './api/http.ts';
import type { OperationsSnapshot } from './api/types.ts';

export type OperationsConnection = 'connecting' | 'live' | 'reconnecting' | 'failed';

export interface OperationsStream {
  /** Frames oldest first, at most `keep` (5 minutes at one a second). */
  frames: OperationsSnapshot[];
  connection: OperationsConnection;
  error?: unknown;
}

const keep = 300;

/**
 * The admin operations stream (overall when `electionId` is null), reopened with backoff when it
 * ends or drops; a refusal (403, 404) is final. Each (re)connection starts with the server's history.
 */
export function useOperationsStream(electionId: string | null): OperationsStream {
  const [frames, setFrames] = useState<OperationsSnapshot[]>([]);
  const [connection, setConnection] = useState<OperationsConnection>('connecting');
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    setFrames([]);
    setConnection('connecting');
    setError(undefined);

    const open = () => {
      void readOperationsStream(
        electionId,
        {
          onHistory: (history) => {
            failures = 0;
            setError(undefined);
            setConnection('live');
            setFrames(history.slice(-keep));
          },
          onFrame: (frame) => setFrames((old) => [...old.slice(-(keep - 1)), frame]),
        },
        abort.signal,
      )
        .then(() => retry())
        .catch((err: unknown) => {
          if (abort.signal.aborted) return;
          if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
            setError(err);
            setConnection('failed');
            return;
          }
          retry(err);
        });
    };
    const retry = (err?: unknown) => {
      if (abort.signal.aborted) return;
      if (err) failures++;
      setError(err);
      setConnection('reconnecting');
      timer = setTimeout(open, Math.min(30_000, 1000 * 2 ** Math.min(failures, 5)));
    };
    open();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [electionId]);

  return { frames, connection, ...(error ? { error } : {}) };
}
