import { withPostgresUrl } from '@onevote/platform/postgres-url';
import postgres from 'postgres';

/** Each service's own PostgreSQL role and schema (least privilege: a role owns only its schema). */
export const databaseRoles = [
  { service: 'identity', role: 'onevote_identity', schema: 'identity' },
  { service: 'ballot', role: 'onevote_ballot', schema: 'ballot' },
  { service: 'vote-api', role: 'onevote_votes', schema: 'votes' },
  { service: 'results', role: 'onevote_results', schema: 'results' },
  { service: 'relay', role: 'onevote_relay', schema: 'relay' },
  { service: 'audit', role: 'onevote_audit', schema: 'audit' },
] as const;

/**
 * Role attributes beyond LOGIN: the relay reads vote-api's commits by logical decoding of its own
 * replication slot, which needs REPLICATION (and nothing else: it reads no table but through the
 * publication, and the columns a rebuild needs).
 */
const roleAttributes: Partial<Record<(typeof databaseRoles)[number]['role'], string>> = {
  onevote_relay: 'replication',
};

// Read-only access across schemas: ballot streams a closed election's ballots for export and
// results sums tallies, from tables vote-api owns. The schema is reachable here; which tables and
// columns (never voter_id) is granted by vote-api's own migration (002_reader_grants.sql), since
// the tables exist only once it ran.
const schemaReaders = [{ schema: 'votes', readers: ['onevote_ballot', 'onevote_results', 'onevote_relay'] }];

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad identifier ${name}`);
  return `"${name}"`;
};

/**
 * Creates `database` (if missing), one login role and schema per service, and the read grants.
 * Returns each service's connection URL. Needs a superuser URL; idempotent and safe to run from
 * several processes at once.
 */
export async function provisionDatabase(adminUrl: string, database: string): Promise<Record<string, string>> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    // Roles belong to the whole server, so every database's provisioning touches the same rows: two
    // `alter role` of one role at once fail ("tuple concurrently updated"). One at a time, then.
    await admin.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('onevote.provision.roles'))`;
      for (const { role } of databaseRoles) {
        const attributes = `login ${roleAttributes[role] ?? ''}`;
        await tx.unsafe(
          `do $$ begin create role ${ident(role)} ${attributes}; exception when duplicate_object or unique_violation then null; end $$`,
        );
        await tx.unsafe(`alter role ${ident(role)} ${attributes}`);
      }
    });
    const [exists] = await admin`select 1 from pg_database where datname = ${database}`;
    if (!exists) {
      try {
        await admin.unsafe(`create database ${ident(database)}`);
      } catch (err) {
        if ((err as { code?: string }).code !== '42P04') throw err; // created meanwhile by another process
      }
    }
  } finally {
    await admin.end();
  }

  // withPostgresUrl, not URL: a shard group's URL names several hosts (primary and standby).
  const db = postgres(withPostgresUrl(adminUrl, { database }), { max: 1, onnotice: () => {} });
  try {
    await db.unsafe(`revoke all on database ${ident(database)} from public`);
    await db.unsafe(`revoke create on schema public from public`);
    for (const { role, schema } of databaseRoles) {
      await db.unsafe(`grant connect on database ${ident(database)} to ${ident(role)}`);
      await db.unsafe(`create schema if not exists ${ident(schema)} authorization ${ident(role)}`);
    }
    for (const { schema, readers } of schemaReaders) {
      await db.unsafe(`grant usage on schema ${ident(schema)} to ${readers.map(ident).join(', ')}`);
    }
    // vote-api publishes its ballots for the relay (003_relay_publication.sql): creating a
    // publication needs CREATE on the database (it could also create schemas; it owns only votes).
    await db.unsafe(`grant create on database ${ident(database)} to ${ident('onevote_votes')}`);
  } finally {
    await db.end();
  }

  const urls: Record<string, string> = {};
  for (const { service, role } of databaseRoles) {
    urls[service] = withPostgresUrl(adminUrl, { database, user: role, password: '' });
  }
  return urls;
}

/**
 * The superuser URL of `database` on every vote shard group of `infra` (index = shard group; one
 * group: the one PostgreSQL), for tools that check ballots "from every shard".
 */
export function shardDatabaseAdminUrls(
  infra: { postgresAdminUrl: string; postgresShardAdminUrls?: string[] },
  database: string,
): string[] {
  return (infra.postgresShardAdminUrls ?? [infra.postgresAdminUrl]).map((server) => withPostgresUrl(server, { database }));
}

