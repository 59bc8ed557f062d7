/**
 * Issue 17, scenario 14: PostgreSQL stopped under load while Prometheus (Debian's, with the rules
 * of deploy/prometheus) watches the stack. PostgresDown must fire in the running Prometheus within
 * its `for:` window (not before it, and not long after), and clear once PostgreSQL is back; the
 * usual invariants (src/checks.ts) hold for the ballots cast meanwhile.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadRules } from '@onevote/prometheus-rules';
import { waitFor } from '@onevote/stack';
import { scenario } from '../src/checks.ts';

interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
}

async function alerts(prometheusUrl: string): Promise<Alert[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/alerts`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { status: string; data: { alerts: Alert[] } };
  assert.equal(body.status, 'success');
  return body.data.alerts;
}

async function query(prometheusUrl: string, expr: string): Promise<string | undefined> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  return body.data.result[0]?.value[1];
}

/** A Prometheus duration (`30s`, `2m`) in ms. */
function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(d);
  assert.ok(m, `unsupported duration ${d}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

describe('faults seen by monitoring (issue 17)', { concurrency: false }, () => {
  test('14. PostgreSQL stopped under load: PostgresDown fires in Prometheus within its for: window, then clears', async () => {
    const rule = loadRules().find((r) => r.alert === 'PostgresDown');
    assert.ok(rule?.for, 'PostgresDown has a for: window');
    const forMs = durationMs(rule.for);
    // Scrapes every second (the exporters every 3 s); the slack covers a scrape, an evaluation, the poll.
    const slackMs = 15_000;
    const seen: { firedAfterMs?: number; pendingSeen?: boolean; breakerAlerted?: boolean } = {};
    const result = await scenario({
      name: 'PostgreSQL stopped until PostgresDown fired (monitoring)',
      loadSeconds: 20,
      faultAt: 3,
      rate: 50,
      monitoring: { scrapeInterval: '1s' },
      fault: async ({ stack }) => {
        const prometheus = stack.monitoring!.prometheusUrl;
        // Before: the exporter sees PostgreSQL, and nothing about it is alerting.
        await waitFor('pg_up to be 1', async () => (await query(prometheus, 'pg_up')) === '1', { timeoutMs: 20_000 });
        assert.deepEqual((await alerts(prometheus)).filter((a) => a.labels.alertname === 'PostgresDown'), []);

        const postgres = stack.infra.servers.postgres!;
        // From the stop request: PostgreSQL refuses new connections as soon as its shutdown begins.
        const stoppedAt = Date.now();
        await postgres.stop();
        await waitFor(
          'PostgresDown to fire',
          async () => {
            const mine = (await alerts(prometheus)).filter((a) => a.labels.alertname === 'PostgresDown');
            if (mine.some((a) => a.state === 'pending')) seen.pendingSeen = true;
            if (!mine.some((a) => a.state === 'firing')) return false;
            seen.firedAfterMs = Date.now() - stoppedAt;
            return true;
          },
          { timeoutMs: forMs + slackMs, intervalMs: 250 },
        );
        // Ballots kept arriving at a vote-api whose store was gone: its breaker alert is at least pending.
        seen.breakerAlerted = (await alerts(prometheus)).some((a) => a.labels.alertname === 'VoteStoreBreakerOpen');
        await postgres.start();
      },
      check: async ({ stack }) => {
        const prometheus = stack.monitoring!.prometheusUrl;
        await waitFor(
          'PostgresDown to clear',
          async () => !(await alerts(prometheus)).some((a) => a.labels.alertname === 'PostgresDown'),
          { timeoutMs: 15_000, intervalMs: 250 },
        );
      },
    });
    assert.ok(seen.pendingSeen, 'PostgresDown was not pending first (for: window skipped?)');
    assert.ok(seen.firedAfterMs! >= forMs, `fired ${seen.firedAfterMs} ms after the stop, before its for: (${rule.for})`);
    assert.ok(seen.firedAfterMs! <= forMs + slackMs, `fired ${seen.firedAfterMs} ms after the stop`);
    assert.ok(seen.breakerAlerted, 'VoteStoreBreakerOpen was neither pending nor firing while PostgreSQL was down');
    assert.ok((result.errors['503'] ?? 0) > 0, 'ballots during the outage were answered 503');
    console.log(`PostgresDown fired ${(seen.firedAfterMs! / 1000).toFixed(1)} s after PostgreSQL was stopped (for: ${rule.for})`);
  });
});
