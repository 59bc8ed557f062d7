import { parsePrometheusText } from '@onevote/platform';
import type { TargetScrape } from '../domain/operations.ts';

/**
 * Where the operations view reads the services' metrics from (a port). The adapter here scrapes
 * each process's operations listener directly, which suits one process per service (`npm start`,
 * the tests, a small deployment). With many pods, an adapter on Prometheus' HTTP API would answer
 * the same figures from what Prometheus already scrapes (`sum by (outcome, reason)
 * (vote_ballots_total)` and the buckets, per pod or summed), instead of every ballot replica
 * scraping every pod: the domain only needs each target's samples at two instants.
 */
export interface MetricsSource {
  /** Every target's samples of `names`, now; a target that does not answer is `up: false`. */
  scrape(names: ReadonlySet<string>): Promise<TargetScrape[]>;
}

export interface ScrapeTarget {
  service: string;
  /** The operations listener's base URL (`http://host:9083`); `/metrics` is read from it. */
  url: string;
}

/** `OPERATIONS_METRICS_URLS`: comma-separated `service=url`, a service named once per process. */
export function parseScrapeTargets(value: string): ScrapeTarget[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf('=');
      return { service: entry.slice(0, at), url: entry.slice(at + 1).replace(/\/+$/, '') };
    });
}

export class DirectScrapeSource implements MetricsSource {
  constructor(
    private readonly targets: ScrapeTarget[],
    private readonly timeoutMs: number,
  ) {}

  scrape(names: ReadonlySet<string>): Promise<TargetScrape[]> {
    return Promise.all(
      this.targets.map(async ({ service, url }): Promise<TargetScrape> => {
        try {
          const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(this.timeoutMs) });
          if (!res.ok) return { service, target: url, up: false, samples: [] };
          const samples = parsePrometheusText(await res.text()).filter((s) => names.has(s.name));
          return { service, target: url, up: true, samples };
        } catch {
          return { service, target: url, up: false, samples: [] };
        }
      }),
    );
  }
}
