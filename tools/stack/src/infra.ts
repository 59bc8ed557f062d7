import { join } from 'node:path';
import { NatsServer } from './nats.ts';
import { portOr } from './ports.ts';
import { PostgresServer } from './postgres.ts';
import { RedisServer } from './redis.ts';

export interface Infra {
  /** A superuser URL (provisioning only; services get their own roles). */
  postgresAdminUrl: string;
  redisUrl: string;
  natsUrl: string;
  /** The private servers this process started (absent when a URL came from the environment). */
  servers: { postgres?: PostgresServer; redis?: RedisServer; nats?: NatsServer };
  stop(): Promise<void>;
}

export interface InfraOptions {
  /** Data of the private servers goes under here. */
  dir: string;
  env?: NodeJS.ProcessEnv;
  /** Preferred ports (used when free); random free ports otherwise. */
  ports?: { postgres?: number; redis?: number; nats?: number };
}

/**
 * Starts private PostgreSQL, Redis and NATS (JetStream) under `dir`, except those whose URL the
 * environment already gives (`DATABASE_URL`, `REDIS_URL`, `NATS_URL`).
 */
export async function startInfra(options: InfraOptions): Promise<Infra> {
  const env = options.env ?? process.env;
  const servers: Infra['servers'] = {};
  const stopStarted = () => Promise.all([servers.postgres?.stop(), servers.redis?.stop(), servers.nats?.stop()]);
  const started = await Promise.all([
    env.DATABASE_URL
      ? env.DATABASE_URL
      : (async () => {
          servers.postgres = new PostgresServer(
            join(options.dir, 'postgres', 'data'),
            await portOr(options.ports?.postgres),
          );
          await servers.postgres.start();
          return servers.postgres.adminUrl;
        })(),
    env.REDIS_URL
      ? env.REDIS_URL
      : (async () => {
          servers.redis = new RedisServer(join(options.dir, 'redis'), await portOr(options.ports?.redis));
          await servers.redis.start();
          return servers.redis.url;
        })(),
    env.NATS_URL
      ? env.NATS_URL
      : (async () => {
          servers.nats = new NatsServer(join(options.dir, 'nats'), await portOr(options.ports?.nats));
          await servers.nats.start();
          return servers.nats.url;
        })(),
  ]).catch(async (err) => {
    // One server failed: stop the ones that did start, so nothing is left running.
    await stopStarted();
    throw err;
  });
  const [postgresAdminUrl, redisUrl, natsUrl] = started as [string, string, string];
  return {
    postgresAdminUrl,
    redisUrl,
    natsUrl,
    servers,
    async stop() {
      await stopStarted();
    },
  };
}
