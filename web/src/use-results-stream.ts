import { useEffect, useRef, useState } from 'react';
import { getResults } from './api/elections.ts';
import { ApiError } from './api/http.ts';
import type { Results } from './api/types.ts';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'final' | 'hidden' | 'failed';

export interface ResultsStream {
  results?: Results;
  connection: Connection;
  /** Ballots per second, one sample a second, oldest first (at most `window`). */
  rates: number[];
  error?: unknown;
}

const window = 60;

/**
 * Live results over SSE. EventSource retries dropped connections by itself, but gives up for good
 * after an HTTP error (a 503 from the edge, a restarting service), so this reopens it with backoff
 * and asks the plain endpoint why, to tell "hidden until close" from "temporarily down".
 */
export function useResultsStream(electionId: string): ResultsStream {
  const [results, setResults] = useState<Results>();
  const [connection, setConnection] = useState<Connection>('connecting');
  const [error, setError] = useState<unknown>();
  const [rates, setRates] = useState<number[]>([]);
  const latest = useRef<Results | undefined>(undefined);

  useEffect(() => {
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let stopped = false;
    latest.current = undefined;
    setResults(undefined);
    setRates([]);
    setConnection('connecting');

    const accept = (r: Results) => {
      latest.current = r;
      setResults(r);
    };

    const open = () => {
      source = new EventSource(`/v1/elections/${encodeURIComponent(electionId)}/results/stream`);
      source.onopen = () => {
        failures = 0;
        setError(undefined);
        setConnection('live');
      };
      source.addEventListener('results', (event) => {
        try {
          const frame = JSON.parse((event as MessageEvent<string>).data) as Results;
          accept(frame);
          setConnection(frame.final ? 'final' : 'live');
        } catch {
          // A frame that does not parse is skipped; the next one carries the whole tally again.
        }
      });
      source.onerror = () => {
        if (stopped) return;
        if (latest.current?.final) {
          source?.close();
          setConnection('final');
          return;
        }
        setConnection('reconnecting');
        if (source?.readyState !== EventSource.CLOSED) return; // the browser retries by itself
        source.close();
        failures++;
        void getResults(electionId)
          .then((r) => {
            accept(r);
            if (r.final) setConnection('final');
          })
          .catch((err) => {
            setError(err);
            if (err instanceof ApiError && err.code === 'results_hidden') {
              setConnection('hidden');
              stopped = true;
            } else if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
              // Unknown election or a bad id: retrying will not help.
              setConnection('failed');
              stopped = true;
            }
          })
          .finally(() => {
            if (stopped || latest.current?.final) return;
            timer = setTimeout(open, Math.min(15_000, 500 * 2 ** Math.min(failures, 5)));
          });
      };
    };
    open();

    // ballots/s: the change of the total over each second.
    let previous: { at: number; total: number } | undefined;
    const sampler = setInterval(() => {
      const total = latest.current?.totalBallots;
      if (total === undefined) return;
      const at = performance.now();
      if (previous) {
        const rate = Math.max(0, (total - previous.total) / ((at - previous.at) / 1000));
        setRates((r) => [...r.slice(-(window - 1)), rate]);
      }
      previous = { at, total };
    }, 1000);

    return () => {
      stopped = true;
      source?.close();
      clearTimeout(timer);
      clearInterval(sampler);
    };
  }, [electionId]);

  return { results, connection, rates, error };
}
