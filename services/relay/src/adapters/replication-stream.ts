import { postgresHosts, withPostgresUrl } from '@onevote/platform';
import type { Client } from 'pg';
import { LogicalReplicationService } from 'pg-logical-replication';
import postgres from 'postgres';
import { type PgOutputMessage, parsePgOutput } from '../domain/pgoutput.ts';

/** A running replication session: decoded messages arrive through `onMessage` until it ends. */
export interface ReplicationSession {
  /** Confirms everything before `lsn` to the slot: PostgreSQL will not send it again. */
  acknowledge(lsn: string): Promise<void>;
  /** Settles when the session ends: resolves on stop(), rejects on a lost connection or an error. */
  readonly ended: Promise<void>;
  stop(): Promise<void>;
}

export interface ReplicationSource {
  open(onMessage: (message: PgOutputMessage) => void): Promise<ReplicationSession>;
}

/**
 * pgoutput, protocol 1, with the relay's own parser: the shape of the library's output plugins
 * (name, options, start, parse), which it does not export a base class for.
 */
class Pgoutput {
  constructor(readonly options: { publication: string }) {}

  get name() {
    return 'pgoutput';
  }

  parse(buffer: Buffer): PgOutputMessage {
    return parsePgOutput(buffer);
  }

  start(client: Client, slotName: string, lastLsn: string) {
    return client.query(
      `START_REPLICATION SLOT "${slotName}" LOGICAL ${lastLsn} (proto_version '1', publication_names '${this.options.publication}')`,
    );
  }
}

/**
 * The relay's slot read over a streaming replication connection (the walsender): PostgreSQL
 * decodes each change once, as it is written, and pushes it. Reading through the SQL functions
 * instead decodes again from the slot's restart point on every call, which cost more PostgreSQL CPU
 * per ballot than the commit itself (docs/adr/0003). Each session starts from the slot's confirmed
 * position: what was sent but not acknowledged is sent again.
 */
export class ReplicationStream implements ReplicationSource {
  constructor(
    private readonly url: string,
    private readonly options: { slot: string; publication: string },
  ) {}

  async open(onMessage: (message: PgOutputMessage) => void): Promise<ReplicationSession> {
    // The slot lives on the primary: after a failover, another server of the URL's list.
    const connectionString = await writableServerUrl(this.url);
    // A new service per session: a reused one would resume from the last position it *received*.
    const service = new LogicalReplicationService(
      { connectionString, replication: 'database', application_name: 'relay' } as never,
      // Acknowledgements are the relay's to send, only after JetStream's; never on a timer.
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    let confirmed = '0/0';
    service.on('data', (_lsn: string, message: PgOutputMessage) => onMessage(message));
    // The server asks for a status now and then (and ends a silent session after
    // wal_sender_timeout): answer with the position confirmed so far, never further.
    service.on('heartbeat', (_lsn: string, _time: number, shouldRespond: boolean) => {
      if (shouldRespond) void service.acknowledge(confirmed).catch(() => {});
    });
    const errored = new Promise<never>((_, reject) => service.once('error', reject));
    const ended = Promise.race([
      service.subscribe(new Pgoutput({ publication: this.options.publication }) as never, this.options.slot).then(() => undefined),
      errored,
    ]);
    ended.catch(() => {}); // the relay awaits it; an early failure must not be unhandled
    return {
      async acknowledge(lsn) {
        confirmed = lsn;
        await service.acknowledge(lsn);
      },
      ended,
      async stop() {
        await service.destroy();
      },
    };
  }
}

/**
 * The one-server URL of the server that takes writes now. node-postgres (under the replication
 * library) connects to one host and knows no target_session_attrs, so a shard group's multi-host
 * URL (primary and standby) is resolved here, at the start of each session, by asking each server.
 */
export async function writableServerUrl(url: string, connectTimeoutS = 2): Promise<string> {
  const hosts = postgresHosts(url);
  if (hosts.length === 1) return url;
  for (const host of hosts) {
    const one = withPostgresUrl(url, { hosts: [host], dropParams: ['target_session_attrs'] });
    const sql = postgres(one, { max: 1, connect_timeout: connectTimeoutS, onnotice: () => {}, connection: { application_name: 'relay' } });
    try {
      const [row] = await sql<{ recovery: boolean; ro: string }[]>`
        select pg_is_in_recovery() as recovery, current_setting('transaction_read_only') as ro`;
      if (row && !row.recovery && row.ro === 'off') return one;
    } catch {
      // down, or not accepting connections yet: the next one
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
  throw new Error('no server of DATABASE_URL takes writes (a failover in progress?)');
}
