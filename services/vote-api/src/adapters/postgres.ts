import type { Sql } from '@onevote/platform';
import postgres from 'postgres';

export interface VotesDatabaseOptions {
  url: string;
  max: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * The vote path's PostgreSQL pool. Not `createPostgres` from platform: an unreachable server must
 * turn into a 503 within a second, so the connect timeout here is sub-second, and a statement that
 * hangs is aborted by the server (it rolls back rather than committing after we answered 503).
 */
export function createVotesDatabase(options: VotesDatabaseOptions): Sql {
  return postgres(options.url, {
    max: options.max,
    connect_timeout: options.connectTimeoutMs / 1000,
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    onnotice: () => {},
    connection: {
      application_name: 'vote-api',
      // I1: a ballot is answered only after a durable commit; never trust a server default for it.
      synchronous_commit: 'on',
      statement_timeout: options.statementTimeoutMs,
      idle_in_transaction_session_timeout: options.statementTimeoutMs * 2,
    },
  }) as Sql;
}
