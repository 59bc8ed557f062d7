import type { App, ServiceDefinition } from '@onevote/platform';
import { LogStream } from './adapters/log-stream.ts';
import { buildApp, resultsFrom } from './app.ts';
import { configSchema } from './config.ts';
import { consume } from './use-cases/consume.ts';
import type { HeadSigner } from './use-cases/sign-heads.ts';

/** The audit service as `main.ts` and the test harnesses boot it (the platform bootstrap). */
export const auditService: ServiceDefinition<typeof configSchema, { app: App; signer: HeadSigner }> = {
  name: 'audit',
  configSchema,
  async build({ config, logger, metrics, postgres, nats, onClose }) {
    const sql = await postgres({
      url: config.DATABASE_URL,
      max: 6,
      migrations: { schema: 'audit', dir: new URL('../migrations/', import.meta.url) },
    });
    const nc = await nats(config.NATS_URL);
    const { app, recorder, signer } = await buildApp({ config, logger, metrics, sql, finalResults: resultsFrom(config.RESULTS_URL) });
    const stream = (name: string) =>
      new LogStream(
        nc,
        {
          stream: name,
          durable: config.AUDIT_CONSUMER,
          batch: config.AUDIT_BATCH,
          lingerMs: config.AUDIT_LINGER_MS,
          maxAckPending: config.AUDIT_MAX_ACK_PENDING,
          ackWaitMs: config.AUDIT_ACK_WAIT_MS,
        },
        logger,
      );
    const ballots = consume(stream(config.BALLOTS_STREAM), (batch) => recorder.recordBallots(batch), logger);
    const events = consume(stream(config.ELECTION_EVENTS_STREAM), (batch) => recorder.recordEvents(batch), logger);
    await signer.start();
    // Stopped before the clients close (closers run newest first): no batch is left half-recorded.
    onClose(async () => {
      await Promise.all([ballots.stop(), events.stop()]);
      await signer.stop();
    });
    return { app, signer };
  },
};
