import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sql } from './clients.ts';
import type { Logger } from './logger.ts';

const migrationFile = /^(\d{3,})_[\w-]+\.sql$/;

/**
 * Applies a service's numbered SQL migrations to its own schema, once each, all pending ones in one
 * transaction under an advisory lock, so replicas starting together never race.
 */
export async function migrate(sql: Sql, options: { schema: string; dir: string; logger: Logger }) {
  const { schema, dir, logger } = options;
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  const files = (await readdir(dir)).filter((f) => migrationFile.test(f)).sort();
  await sql.begin(async (tx) => {
    // A pool's statement_timeout is for requests (vote-api's is under a second): a replica waiting
    // here for another's migrations, or a migration that takes a while, must not be cancelled by it.
    await tx`set local statement_timeout = 0`;
    await tx`select pg_advisory_xact_lock(hashtext(${`onevote.migrate.${schema}`}))`;
    // The stack provisions the schema owned by the service's role; creating it is the fallback for
    // a database where the role itself may create schemas.
    const [exists] = await tx`select 1 from pg_namespace where nspname = ${schema}`;
    if (!exists) await tx.unsafe(`create schema ${schema}`);
    await tx.unsafe(
      `create table if not exists ${schema}.schema_migrations (version text primary key, applied_at timestamptz not null default now())`,
    );
    const applied = new Set(
      (await tx.unsafe(`select version from ${schema}.schema_migrations`)).map((r) => String(r.version)),
    );
    for (const file of files) {
      if (applied.has(file)) continue;
      await tx.unsafe(await readFile(join(dir, file), 'utf8'));
      await tx.unsafe(`insert into ${schema}.schema_migrations (version) values ($1)`, [file]);
      logger.info({ schema, migration: file }, 'migration applied');
    }
  });
}
