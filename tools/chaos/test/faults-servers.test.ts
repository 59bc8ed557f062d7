/**
 * Issue 9, scenarios 4, 5, 6 and 8: PostgreSQL killed and slowed, Redis flushed and restarted, NATS restarted.
 * Each scenario runs on its own servers; the assertions are in src/checks.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { waitFor } from '@onevote/stack';
import postgres from 'postgres';
import { redisFlushAll, scenario, sleep } from '../src/checks.ts';
import { protectedCallsOfEveryService } from '../src/probes.ts';

describe('faults under load: servers killed, restarted and slowed (issue 9)', { concurrency: false }, () => {
  test('4. PostgreSQL killed with -9 mid-load (crash recovery)', async () => {
    await scenario({
      name: 'PostgreSQL kill -9, restarted',
      loadSeconds: 10,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        await stack.infra.servers.postgres!.kill();
        await stack.infra.servers.postgres!.start();
      },
    });
  });

  test('5. Redis flushed, then restarted, mid-load', async () => {
    await scenario({
      name: 'Redis FLUSHALL then restart',
      loadSeconds: 10,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        const redis = stack.infra.servers.redis!;
        await redisFlushAll(redis.port);
        await sleep(1000); // ballots keep arriving at an empty Redis for a second before the restart
        await redis.stop();
        await redis.start();
      },
    });
  });

  test('6. NATS restarted mid-load: config watchers and results recover', async () => {
    await scenario({
      name: 'NATS restart',
      loadSeconds: 10,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        await stack.infra.servers.nats!.stop();
        await stack.infra.servers.nats!.start();
      },
      check: async ({ stack, election }, state) => {
        // Results caught up with every counted ballot after the restart (notifications or re-read).
        await waitFor(
          'results to show every counted ballot',
          async () => {
            const body = (await (await fetch(`${stack.gatewayUrl}/v1/elections/${election.id}/results`)).json()) as { totalBallots: number };
            return body.totalBallots === state.receipts.size;
          },
          { timeoutMs: 10_000 },
        );
      },
    });
  });

  test('8. PostgreSQL made slow (a held lock): the bounded queue answers 503, not timeouts', async () => {
    const result = await scenario({
      name: 'PostgreSQL slow (tallies locked 6 s)',
      loadSeconds: 12,
      faultAt: 3,
      rate: 150,
      fault: async ({ adminUrl }) => {
        const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
        await sql.begin(async (tx) => {
          await tx`lock table votes.tallies in access exclusive mode`;
          await sleep(6000); // how long the database stays slow: the length of the fault
        });
        await sql.end();
      },
    });
    assert.ok((result.errors['503'] ?? 0) > 0, 'the slow database was not answered with 503s');
  });

  test('9. Redis stopped for 10 s under load: only 503s, nothing lost, recovery without restarts (issue 14)', async () => {
    const whileDown: Record<string, { status: number; retryAfter: string | null; code: unknown }> = {};
    const result = await scenario({
      name: 'Redis stopped 10 s',
      loadSeconds: 17,
      faultAt: 3,
      rate: 150,
      fault: async (ctx) => {
        const redis = ctx.stack.infra.servers.redis!;
        await redis.stop();
        const stoppedAt = Date.now();
        // Every service's protected calls need the DPoP replay store: each must say 503, not 500.
        Object.assign(whileDown, await protectedCallsOfEveryService(ctx));
        await sleep(Math.max(0, 10_000 - (Date.now() - stoppedAt))); // the length of the fault
        await redis.start();
      },
    });
    for (const [call, answer] of Object.entries(whileDown)) {
      assert.equal(answer.status, 503, `${call} answered ${answer.status} while Redis was down`);
      assert.equal(answer.code, 'unavailable', call);
      assert.ok(Number(answer.retryAfter) >= 1, `${call} has Retry-After`);
    }
    assert.ok(Object.keys(whileDown).length >= 4);
    assert.ok((result.errors['503'] ?? 0) > 0, 'ballots during the outage were answered 503');
  });
});
