import postgres from 'postgres';

/** Each service's own PostgreSQL role and schema (least privilege: a role owns only its schema). */
export const databaseRoles = [
  { service: 'identity', role: 'onevote_identity', schema: 'identity' },
  { service: 'ballot', role: 'onevote_ballot', schema: 'ballot' },
  { service: 'vote-api', role: 'onevote_votes', schema: 'votes' },
  { service: 'results', role: 'onevote_results', schema: 'results' },
] as const;

// Read-only grants across schemas: ballot streams a closed election's ballots for export and
// results sums tallies. Both read tables that vote-api owns; neither may write them.
const readGrants = [
  { schema: 'votes', owner: 'onevote_votes', readers: ['onevote_ballot', 'onevote_results'] },
];

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
    for (const { role } of databaseRoles) {
      await admin.unsafe(
        `do $$ begin create role ${ident(role)} login; exception when duplicate_object or unique_violation then null; end $$`,
      );
    }
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

  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await db.unsafe(`revoke all on database ${ident(database)} from public`);
    await db.unsafe(`revoke create on schema public from public`);
    for (const { role, schema } of databaseRoles) {
      await db.unsafe(`grant connect on database ${ident(database)} to ${ident(role)}`);
      await db.unsafe(`create schema if not exists ${ident(schema)} authorization ${ident(role)}`);
    }
    for (const { schema, owner, readers } of readGrants) {
      const list = readers.map(ident).join(', ');
      await db.unsafe(`grant usage on schema ${ident(schema)} to ${list}`);
      await db.unsafe(`grant select on all tables in schema ${ident(schema)} to ${list}`);
      await db.unsafe(
        `alter default privileges for role ${ident(owner)} in schema ${ident(schema)} grant select on tables to ${list}`,
      );
    }
  } finally {
    await db.end();
  }

  const urls: Record<string, string> = {};
  for (const { service, role } of databaseRoles) {
    const u = new URL(adminUrl);
    u.pathname = `/${database}`;
    u.username = role;
    u.password = '';
    urls[service] = u.toString();
  }
  return urls;
}
