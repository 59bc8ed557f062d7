/**
 * The rules and the dashboards against the real thing: a stack with monitoring (Debian's
 * Prometheus and exporters, tools/stack/src/monitoring.ts), scraping every service. Every target is
 * up, every rule loads and evaluates, every dashboard query is valid PromQL (Prometheus answers an
 * error for one that is not), and every metric a rule or panel reads exists in what Prometheus
 * scraped (or is a recording rule), so a typo or a renamed metric fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { liveEventQueries } from '@onevote/grafana';
import { redisCommand, redisMonitoringUser, type Stack, waitFor } from '@onevote/stack';
import { startTestStack } from '@onevote/stack/testing';
import postgres from 'postgres';
import { loadRules, metricNames } from '../src/rules.ts';

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}

// At the file's top level: the stack is stopped after the file's tests (startTestStack's `after`).
const stack: Stack = await startTestStack({ monitoring: { scrapeInterval: '1s' } });
const prometheus = stack.monitoring!.prometheusUrl;
const api = async <T>(path: string): Promise<ApiAnswer<T>> =>
  (await (await fetch(`${prometheus}${path}`, { signal: AbortSignal.timeout(5000) })).json()) as ApiAnswer<T>;

describe('Prometheus with the stack: targets, rules and dashboard queries', () => {

  test('every service, PostgreSQL, Redis and NATS are scraped and up', async () => {
    const expectedJobs = ['onevote', 'postgres', 'redis', 'prometheus', ...(stack.infra.natsMonitorUrl ? ['nats'] : [])];
    let last: { job: string; service?: string; health: string; lastError: string }[] = [];
    await waitFor(
      'every target up',
      async () => {
        const answer = await api<{ activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] }>(
          '/api/v1/targets',
        );
        last = answer.data.activeTargets.map((t) => ({ job: t.labels.job!, service: t.labels.service, health: t.health, lastError: t.lastError }));
        return last.length === stack.services.size + expectedJobs.length - 1 && last.every((t) => t.health === 'up');
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    ).catch((err) => assert.fail(`${(err as Error).message}: ${JSON.stringify(last)}`));
    assert.deepEqual([...new Set(last.map((t) => t.job))].sort(), expectedJobs.sort());
    assert.deepEqual(
      last.filter((t) => t.job === 'onevote').map((t) => t.service).sort(),
      [...stack.services.keys()].sort(),
    );
    // The exporters reach their servers, as their least-privileged users.
    const wanted = ['pg_up', 'redis_up', ...(stack.infra.natsMonitorUrl ? ['nats_up'] : [])];
    let values: Record<string, string | undefined> = {};
    await waitFor(
      `${wanted.join(', ')} to be 1`,
      async () => {
        values = {};
        for (const name of [...wanted, 'redis_exporter_last_scrape_error']) {
          const answer = await api<{ result: { value: [number, string] }[] }>(`/api/v1/query?query=${name}`);
          values[name] = answer.data.result[0]?.value[1];
        }
        return wanted.every((n) => values[n] === '1') && values.redis_exporter_last_scrape_error === '0';
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    ).catch((err) => assert.fail(`${(err as Error).message}: ${JSON.stringify(values)}`));
  });

  test('the exporters log in with least privilege: pg_monitor only; a Redis user that reads no key', async () => {
    const sql = postgres(stack.infra.postgresAdminUrl, { max: 1, onnotice: () => {} });
    try {
      const [role] = await sql`
        select rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
               array(select b.rolname from pg_auth_members m join pg_roles b on b.oid = m.roleid where m.member = r.oid) as member_of
        from pg_roles r where rolname = 'onevote_monitoring'`;
      assert.deepEqual(role, {
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolreplication: false,
        rolbypassrls: false,
        member_of: ['pg_monitor'],
      });
    } finally {
      await sql.end();
    }
    const url = new URL(stack.infra.redisUrl);
    const passwords = JSON.parse(readFileSync(join(stack.monitoring!.dir, 'redis-exporter.password'), 'utf8')) as Record<string, string>;
    const password = passwords[`redis://${url.hostname}:${url.port}`]!;
    url.username = redisMonitoringUser;
    url.password = password;
    assert.match(await redisCommand(url.toString(), ['INFO', 'server']), /^\$\d+/);
    await assert.rejects(redisCommand(url.toString(), ['GET', 'any-key']), /NOPERM/);
    await assert.rejects(redisCommand(url.toString(), ['SET', 'any-key', '1']), /NOPERM/);
    await assert.rejects(redisCommand(url.toString(), ['CONFIG', 'SET', 'maxmemory', '1']), /NOPERM/);
  });

  test('every rule is loaded and evaluates without error', async () => {
    const expected = loadRules();
    let rules: { name: string; health: string; lastError?: string; type: string }[] = [];
    await waitFor(
      'every rule evaluated once',
      async () => {
        const answer = await api<{ groups: { rules: { name: string; health: string; lastError?: string; type: string }[] }[] }>('/api/v1/rules');
        rules = answer.data.groups.flatMap((g) => g.rules);
        return rules.length === expected.length && rules.every((r) => r.health !== 'unknown');
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    assert.deepEqual(
      rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`),
      [],
    );
    assert.deepEqual(rules.map((r) => r.name).sort(), expected.map((r) => r.alert ?? r.record!).sort());
  });

  test('every dashboard query is valid PromQL, and every metric a rule or panel reads exists', async () => {
    for (const q of liveEventQueries) {
      const answer = await api<unknown>(`/api/v1/query?query=${encodeURIComponent(q.expr)}`);
      assert.equal(answer.status, 'success', `${q.expr}: ${answer.error}`);
    }
    // A query Prometheus cannot parse is answered as an error: the check above can fail.
    const broken = await api<unknown>(`/api/v1/query?query=${encodeURIComponent('sum(rate(vote_ballots_total[1m])')}`);
    assert.equal(broken.status, 'error');

    const recorded = new Set(loadRules().flatMap((r) => (r.record ? [r.record] : [])));
    // Metric families from the scrapes: with samples (__name__ values) or only announced by their
    // # TYPE line (a labelled counter nothing has incremented yet, e.g. vote_risk_decisions_total).
    const metadata = await api<Record<string, unknown>>('/api/v1/metadata');
    const names = await api<string[]>('/api/v1/label/__name__/values');
    const known = new Set([...Object.keys(metadata.data), ...names.data]);
    // And every family the services declare (# TYPE), as Prometheus reads them on each scrape.
    for (const service of stack.services.values()) {
      const text = await (await fetch(`${service.opsUrl}/metrics`)).text();
      for (const m of text.matchAll(/^# TYPE (\S+) /gm)) known.add(m[1]!);
    }
    const exists = (name: string) =>
      recorded.has(name) || known.has(name) || known.has(name.replace(/_(bucket|sum|count)$/, ''));
    // The check can fail: a misspelt metric is not found.
    assert.equal(exists('vote_ballots_totl'), false);
    const missing: string[] = [];
    for (const q of liveEventQueries) for (const n of metricNames(q.expr)) if (!exists(n)) missing.push(`dashboard: ${n} in ${q.expr}`);
    for (const r of loadRules()) for (const n of metricNames(r.expr)) if (!exists(n)) missing.push(`${r.alert ?? r.record}: ${n}`);
    assert.deepEqual(missing, []);
  });
});
