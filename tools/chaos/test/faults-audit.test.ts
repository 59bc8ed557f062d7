/**
 * Issue 15: the verifiable count survives faults. Under load, the relay or audit is killed with -9,
 * NATS is restarted, or the BALLOTS stream is deleted (JetStream lost: the relay refills it from
 * PostgreSQL). After each, besides the usual I1–I3 checks, the closed election's final log holds
 * exactly the counted ballots, once each, and the independent verifier passes: the signature, the
 * root recomputed from every entry, and the tally from the log equal to the results.
 */
import { describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, createLogger } from '@onevote/platform';
import { auditLogHolds } from '../src/audit-checks.ts';
import { scenario, sleep } from '../src/checks.ts';

describe('faults under load: the audit log (issue 15)', { concurrency: false }, () => {
  test('10. relay killed with -9 mid-load and started again', async () => {
    await scenario({
      name: 'relay kill -9, restarted',
      loadSeconds: 8,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        await stack.services.get('relay')!.process.kill();
        await sleep(1000); // ballots keep being counted with no relay for a second
        await stack.restart('relay');
      },
      afterLoad: auditLogHolds,
    });
  });

  test('11. audit killed with -9 mid-load and started again', async () => {
    await scenario({
      name: 'audit kill -9, restarted',
      loadSeconds: 8,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        await stack.services.get('audit')!.process.kill();
        await sleep(1000); // no audit for a second
        await stack.restart('audit');
      },
      afterLoad: auditLogHolds,
    });
  });

  test('12. NATS restarted mid-load: relay and audit resume where they were', async () => {
    await scenario({
      name: 'NATS restart, audit log',
      loadSeconds: 8,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        await stack.infra.servers.nats!.stop();
        await stack.infra.servers.nats!.start();
      },
      afterLoad: auditLogHolds,
    });
  });

  test('13. the BALLOTS stream deleted mid-load: the relay makes it again and refills it from PostgreSQL', async () => {
    await scenario({
      name: 'BALLOTS stream deleted, refilled',
      loadSeconds: 8,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        const nc = await connectNats(stack.infra.natsUrl, 'chaos', createLogger('chaos', 'silent'));
        try {
          await (await jetstreamManager(nc)).streams.delete(String(stack.context.extraEnv?.BALLOTS_STREAM ?? 'BALLOTS'));
        } finally {
          await nc.close();
        }
      },
      afterLoad: auditLogHolds,
    });
  });
});
