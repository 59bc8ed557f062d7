/**
 * Issue 18, fault scenario 2 on the cluster topology: under load, kill -9 the NATS node that leads
 * `BALLOTS` (a 3-node cluster, every stream and the elections bucket at replicas 3). While it is
 * down:
 * - a KV watcher still sees an election change (an election closed through the API is refused by
 *   vote-api);
 * - results keep streaming live frames (SSE);
 * - the relay keeps publishing to BALLOTS and audit keeps appending to the log.
 * Then the node is started again: it rejoins and catches up (its /jsz shows BALLOTS with the
 * current last sequence). Afterwards the usual invariants (0 lost, 0 double counted, no 5xx but 503)
 * and the audit log holds every counted ballot once (the independent verifier passes).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { adminClient, castBallot, createOpenElection, provisionVoters } from '@onevote/bench';
import { connectNats, createLogger } from '@onevote/platform';
import { type Infra, peersOf, startInfra, waitFor } from '@onevote/stack';
import { auditLogHolds } from '../src/audit-checks.ts';
import { readTotals, scenario } from '../src/checks.ts';
import type { ScenarioContext } from '../src/scenario.ts';

let infra: Infra;

before(async () => {
  const dir = mkdtempSync(join(process.env.ONEVOTE_TEST_DIR ?? tmpdir(), 'cluster-nats-'));
  // Only NATS as a cluster: this scenario's fault is a NATS node; the other families are the other parts of issue 18.
  infra = await startInfra({ dir, env: {}, cluster: { nats: true } });
});
after(async () => {
  await infra?.stop();
});

interface Head {
  treeSize: number;
}

describe('fault scenario 2 on the cluster topology (issue 18)', () => {
  test('kill -9 of the NATS node leading BALLOTS under load: watchers, results, relay and audit carry on; it rejoins and catches up', async (t) => {
    const cluster = infra.servers.natsCluster!;
    const logger = createLogger('chaos', 'silent');
    const nc = await connectNats(infra.natsUrl, 'chaos', logger);
    const jsm = await jetstreamManager(nc);
    const ballotsLastSeq = async () => (await jsm.streams.info('BALLOTS')).state.last_seq;
    const logSize = async (ctx: ScenarioContext) =>
      ((await (await fetch(`${ctx.stack.gatewayUrl}/v1/elections/${ctx.election.id}/log/head`)).json()) as Head).treeSize;

    let sse = { totals: [] as number[], times: [] as number[], stop: () => {} };
    let second: { id: string; questionId: string; optionIds: string[] } | undefined;
    const seen = {
      killed: -1,
      killedAt: 0,
      newLeaderMs: 0,
      closedRefusedMs: 0,
      restartedAt: 0,
      rejoinMs: 0,
      relayedDuringOutage: 0,
      loggedDuringOutage: 0,
      framesDuringOutage: 0,
    };

    try {
      const result = await scenario({
        name: 'NATS cluster: kill -9 of the BALLOTS leader, restarted (issue 18)',
        infra,
        loadSeconds: 24,
        faultAt: 4,
        rate: 100,
        prepare: async (ctx) => {
          // The stack gave the services NATS_REPLICAS=3: every stream and the bucket they made are
          // on all three nodes, and so are audit's durable consumers (they inherit the stream's).
          for (const stream of ['BALLOTS', 'ELECTION_EVENTS', 'KV_elections']) {
            await waitFor(`${stream} to be made`, async () => (await jsm.streams.info(stream).catch(() => undefined)) !== undefined);
            const info = await jsm.streams.info(stream);
            assert.equal(info.config.num_replicas, 3, `${stream} at NATS_REPLICAS=3`);
          }
          for (const stream of ['BALLOTS', 'ELECTION_EVENTS']) {
            await waitFor(`audit's consumer of ${stream}`, async () => (await jsm.consumers.info(stream, 'audit').catch(() => undefined)) !== undefined);
            const consumer = await jsm.consumers.info(stream, 'audit');
            assert.equal(peersOf(consumer.cluster).length, 3, `audit's consumer of ${stream} on three peers`);
          }
          sse = readTotals(`${ctx.stack.gatewayUrl}/v1/elections/${ctx.election.id}/results/stream`);
          // A second election, closed during the outage: vote-api learns of it only through the KV watch.
          second = await createOpenElection(ctx.stack.gatewayUrl, ctx.issuer);
        },
        fault: async (ctx) => {
          const killed = await cluster.streamLeader('BALLOTS');
          assert.ok(killed !== undefined, 'BALLOTS has a leader');
          const before = { relayed: await ballotsLastSeq(), logged: await logSize(ctx) };
          seen.killed = killed;
          seen.killedAt = Date.now();
          await cluster.kill(killed);
          await waitFor('a new leader of BALLOTS', async () => {
            const next = await cluster.streamLeader('BALLOTS');
            return next !== undefined && next !== killed;
          }, { timeoutMs: 60_000, intervalMs: 100 });
          seen.newLeaderMs = Date.now() - seen.killedAt;
          t.diagnostic(`BALLOTS: node ${killed} killed; a new leader after ${seen.newLeaderMs} ms`);

          // The election closed now (ballot writes the bucket) is refused by vote-api (which watches it).
          await adminClient(ctx.stack.gatewayUrl, ctx.issuer)('POST', `/v1/elections/${second!.id}/close`);
          const closedAt = Date.now();
          const voters = provisionVoters(ctx.issuer, 100, 'onevote', 900);
          let attempt = 0;
          await waitFor('vote-api to refuse ballots for the election closed during the outage', async () => {
            const answer = await castBallot(ctx.stack.gatewayUrl, voters[attempt++ % voters.length]!, second!.id, [
              { questionId: second!.questionId, optionIds: [second!.optionIds[0]!] },
            ], '10.9.0.1');
            return answer.status === 409 && answer.body.code === 'election_not_open';
          }, { timeoutMs: 30_000, intervalMs: 250 });
          seen.closedRefusedMs = Date.now() - closedAt;

          // While the node is down: the relay publishes, audit appends, results stream frames.
          const framesBefore = sse.times.filter((at) => at > seen.killedAt).length;
          await waitFor('the relay to publish to the new leader', async () => (await ballotsLastSeq()) > before.relayed, { timeoutMs: 30_000 });
          await waitFor('audit to append to the log', async () => (await logSize(ctx)) > before.logged, { timeoutMs: 30_000 });
          await waitFor('results to stream new totals', () => {
            const after = sse.totals.filter((_, i) => sse.times[i]! > seen.killedAt);
            return after.length > framesBefore + 1 && after.at(-1)! > after[0]!;
          }, { timeoutMs: 30_000 });
          seen.relayedDuringOutage = (await ballotsLastSeq()) - before.relayed;
          seen.loggedDuringOutage = (await logSize(ctx)) - before.logged;
          seen.framesDuringOutage = sse.times.filter((at) => at > seen.killedAt).length;
          assert.ok(cluster.pid(killed) === undefined, 'the node is still down');

          // Back: it rejoins the cluster (routes, meta group) with its store.
          seen.restartedAt = Date.now();
          await cluster.start(killed);
          seen.rejoinMs = Date.now() - seen.restartedAt;
        },
        check: async (ctx, state) => {
          // What the services said of the outage (warnings only: LOG_LEVEL=warn), for the record.
          for (const name of ['relay', 'audit', 'vote-api', 'results', 'ballot'] as const) {
            const lines = (ctx.stack.services.get(name)?.process.logTail(10_000) ?? '').split('\n').filter(Boolean);
            const messages = new Map<string, number>();
            for (const line of lines) {
              const msg = (JSON.parse(line) as { msg?: string }).msg ?? line;
              messages.set(msg, (messages.get(msg) ?? 0) + 1);
            }
            if (messages.size > 0) t.diagnostic(`${name}: ${JSON.stringify(Object.fromEntries(messages))}`);
          }
          // Results caught up with every counted ballot, live.
          await waitFor('the SSE client to show every counted ballot', () => sse.totals.at(-1) === state.receipts.size, { timeoutMs: 20_000 });
          // The restarted node caught up: its own copy of BALLOTS ends where the leader's does.
          await waitFor('the restarted node’s BALLOTS to reach the last sequence', async () => {
            const last = await ballotsLastSeq();
            return (await cluster.streamOn(seen.killed, 'BALLOTS'))?.lastSeq === last;
          }, { timeoutMs: 60_000 });
          const placed = (await jsm.streams.info('BALLOTS')).cluster;
          assert.equal(peersOf(placed).length, 3, 'BALLOTS on three peers again');
          assert.ok(
            placed?.replicas?.some((r) => r.name === cluster.serverName(seen.killed) && r.current) ||
              placed?.leader === cluster.serverName(seen.killed),
            'the restarted node is a current peer of BALLOTS',
          );
        },
        afterLoad: async (ctx, verification) => {
          try {
            await auditLogHolds(ctx, verification);
          } catch (err) {
            // Where the log stopped: audit's consumers and the streams, for the failure's report.
            for (const stream of ['BALLOTS', 'ELECTION_EVENTS']) {
              const c = await jsm.consumers.info(stream, 'audit').catch((e: Error) => e.message);
              const s = await jsm.streams.info(stream).catch((e: Error) => e.message);
              t.diagnostic(`${stream}: ${JSON.stringify(typeof s === 'string' ? s : s.state)}; audit: ${JSON.stringify(
                typeof c === 'string' ? c : { pending: c.num_pending, ackPending: c.num_ack_pending, waiting: c.num_waiting, delivered: c.delivered, cluster: c.cluster },
              )}`);
            }
            t.diagnostic(`log head: ${await logSize(ctx)}, ballot rows: ${verification.ballotRows}`);
            throw err;
          }
        },
      });
      t.diagnostic(JSON.stringify({ ...seen, acknowledged: result.acknowledged, errors: result.errors }));
      assert.ok(seen.relayedDuringOutage > 0 && seen.loggedDuringOutage > 0 && seen.framesDuringOutage > 0);
    } finally {
      sse.stop();
      await nc.close();
    }
  });
});
