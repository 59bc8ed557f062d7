import { join } from 'node:path';
import type { NatsNamesInUse, NatsUser } from '@onevote/contracts';
import { MailCatcher } from './mail.ts';
import { NatsServer } from './nats.ts';
import { NatsCluster } from './nats-cluster.ts';
import { portOr } from './ports.ts';
import { PostgresServer } from './postgres.ts';
import { type PgMonitor, type PostgresGroup, startPostgresGroups } from './postgres-ha.ts';
import { RedisServer } from './redis.ts';
import { RedisCluster } from './redis-cluster.ts';

export interface Infra {
  /** A superuser URL (provisioning only; services get their own roles). */
  postgresAdminUrl: string;
  /**
   * The superuser URL of every vote shard group, index = shard group number (`[0]` is
   * `postgresAdminUrl`); absent = one shard group. The stack provisions each the same way.
   */
  postgresShardAdminUrls?: string[];
  redisUrl: string;
  /** NATS as an unrestricted user (tests and tools). */
  natsUrl: string;
  /** Each service's own NATS user (least privilege); absent when NATS_URL came from the environment. */
  natsServiceUrls?: Record<NatsUser, string>;
  /** NATS's HTTP monitoring endpoint (JSON), when this process started NATS or was told it (a cluster's node 0). */
  natsMonitorUrl?: string;
  /** Replicas for every stream and KV bucket (`NATS_REPLICAS`): 3 on the NATS cluster; absent: the services' default. */
  natsReplicas?: number;
  /** Where services send mail: the private mail catcher, or `SMTP_URL` from the environment. */
  smtpUrl: string;
  /** Where the mail catcher keeps every message as `.eml`; absent when `SMTP_URL` came from the environment. */
  mailDir?: string;
  /** The private servers this process started (absent when a URL came from the environment). */
  servers: {
    postgres?: PostgresServer;
    redis?: RedisServer;
    nats?: NatsServer;
    mail?: MailCatcher;
    /** With `cluster.redis`: the Redis Cluster (instead of `redis`), with handles for fault tests. */
    redisCluster?: RedisCluster;
    /** With `cluster.nats`: the 3-node NATS cluster (instead of `nats`), with handles for fault tests. */
    natsCluster?: NatsCluster;
    /** With `postgresShards`: every shard group's server, index = shard group (`[0]` is `postgres`). */
    postgresShards?: PostgresServer[];
    /** With `cluster.postgres`: the HA shard groups (a primary and a synchronous standby each), for fault tests. */
    postgresGroups?: PostgresGroup[];
    /** ...and the pg_auto_failover monitor that fails them over. */
    postgresMonitor?: PgMonitor;
  };
  stop(): Promise<void>;
}

export interface InfraOptions {
  /** Data of the private servers goes under here. */
  dir: string;
  env?: NodeJS.ProcessEnv;
  /** Preferred ports (used when free); random free ports otherwise. */
  ports?: { postgres?: number; redis?: number; nats?: number; natsMonitor?: number; smtp?: number };
  /** The bucket and streams the NATS permissions name (default `*`: any, for a shared test server). */
  natsNames?: NatsNamesInUse;
  /** Server families in their cluster form (issue 18). */
  cluster?: { redis?: boolean; nats?: boolean; postgres?: boolean };
  /**
   * Vote shard groups: this many plain PostgreSQL servers, one per group (no HA), the first the
   * usual one. Default 1. Not with a `DATABASE_URL` from the environment.
   */
  postgresShards?: number;
}

/**
 * Starts private PostgreSQL, Redis, NATS (JetStream) and the mail catcher (messages in `dir/mail`)
 * under `dir`, except those whose URL the environment already gives (`DATABASE_URL`, `REDIS_URL`,
 * `NATS_URL`, `SMTP_URL`).
 */
export async function startInfra(options: InfraOptions): Promise<Infra> {
  const env = options.env ?? process.env;
  const servers: Infra['servers'] = {};
  const stopStarted = () =>
    Promise.all([
      servers.postgres?.stop(),
      ...(servers.postgresShards?.slice(1).map((s) => s.stop()) ?? []),
      stopPostgresGroups(servers),
      servers.redis?.stop(),
      servers.redisCluster?.stop(),
      servers.nats?.stop(),
      servers.natsCluster?.stop(),
      servers.mail?.stop(),
    ]);
  const shards = options.postgresShards ?? 1;
  if (shards > 1 && env.DATABASE_URL) throw new Error('postgresShards needs the stack\'s own PostgreSQL (DATABASE_URL is set)');
  const started = await Promise.all([
    env.DATABASE_URL
      ? env.DATABASE_URL
      : options.cluster?.postgres
        ? startPostgresHa(options.dir, servers)
        : (async () => {
          servers.postgres = new PostgresServer(
            join(options.dir, 'postgres', 'data'),
            await portOr(options.ports?.postgres),
          );
          // Shard groups 1.. beside it (postgres-shard1, ...), started together.
          const others = await Promise.all(
            Array.from({ length: shards - 1 }, async (_, i) =>
              new PostgresServer(
                join(options.dir, `postgres-shard${i + 1}`, 'data'),
                await portOr(options.ports?.postgres ? options.ports.postgres + i + 1 : undefined),
              ),
            ),
          );
          if (shards > 1) servers.postgresShards = [servers.postgres, ...others];
          await Promise.all([servers.postgres.start(), ...others.map((s) => s.start())]);
          return servers.postgres.adminUrl;
        })(),
    env.REDIS_URL
      ? env.REDIS_URL
      : options.cluster?.redis
        ? (async () => {
            servers.redisCluster = await RedisCluster.create(join(options.dir, 'redis-cluster'), {
              ...(options.ports?.redis ? { firstPort: options.ports.redis } : {}),
            });
            await servers.redisCluster.start();
            return servers.redisCluster.url;
          })()
        : (async () => {
            servers.redis = new RedisServer(join(options.dir, 'redis'), await portOr(options.ports?.redis));
            await servers.redis.start();
            return servers.redis.url;
          })(),
    env.NATS_URL
      ? env.NATS_URL
      : options.cluster?.nats
        ? startNatsCluster(options, servers)
        : (async () => {
            servers.nats = new NatsServer(join(options.dir, 'nats'), await portOr(options.ports?.nats), {
              names: options.natsNames ?? '*',
              monitorPort: await portOr(options.ports?.natsMonitor),
            });
            await servers.nats.start();
            return servers.nats.url;
          })(),
    env.SMTP_URL
      ? env.SMTP_URL
      : (async () => {
          const port = await portOr(options.ports?.smtp);
          servers.mail = new MailCatcher(join(options.dir, 'mail'), port, join(options.dir, 'mail-catcher.log'));
          await servers.mail.start();
          return servers.mail.url;
        })(),
  ]).catch(async (err) => {
    // One server failed: stop the ones that did start, so nothing is left running.
    await stopStarted();
    throw err;
  });
  const [postgresAdminUrl, redisUrl, natsUrl, smtpUrl] = started as [string, string, string, string];
  return {
    postgresAdminUrl,
    ...(servers.postgresShards ? { postgresShardAdminUrls: servers.postgresShards.map((s) => s.adminUrl) } : {}),
    ...(servers.postgresGroups ? { postgresShardAdminUrls: servers.postgresGroups.map((g) => g.adminUrl) } : {}),
    redisUrl,
    natsUrl,
    ...(servers.nats ? { natsServiceUrls: servers.nats.serviceUrls, natsMonitorUrl: servers.nats.monitorUrl } : {}),
    ...(servers.natsCluster
      ? {
          natsServiceUrls: servers.natsCluster.serviceUrls,
          natsMonitorUrl: servers.natsCluster.monitorUrl(0),
          natsReplicas: servers.natsCluster.nodes.length,
        }
      : {}),
    smtpUrl,
    ...(servers.mail ? { mailDir: servers.mail.mailDir } : {}),
    servers,
    async stop() {
      await stopStarted();
    },
  };
}

/** `cluster.nats`: three nats-server nodes with JetStream (node 0 on the preferred ports). */
async function startNatsCluster(options: InfraOptions, servers: Infra['servers']): Promise<string> {
  servers.natsCluster = await NatsCluster.create(join(options.dir, 'nats-cluster'), {
    names: options.natsNames ?? '*',
    preferred: { client: options.ports?.nats, monitor: options.ports?.natsMonitor },
  });
  await servers.natsCluster.start();
  return servers.natsCluster.url;
}

/** Two shard groups, each a pg_auto_failover formation (primary + synchronous standby); returns group 0's URL. */
async function startPostgresHa(dir: string, servers: Infra['servers']): Promise<string> {
  const { monitor, groups } = await startPostgresGroups(join(dir, 'postgres-ha'), 2);
  servers.postgresMonitor = monitor;
  servers.postgresGroups = groups;
  return groups[0]!.adminUrl;
}

/** The shard groups, then the monitor (stopped last, so no failover is started by the shutdown). */
async function stopPostgresGroups(servers: Infra['servers']) {
  await Promise.all((servers.postgresGroups ?? []).map((g) => g.stop()));
  await servers.postgresMonitor?.stop();
}
