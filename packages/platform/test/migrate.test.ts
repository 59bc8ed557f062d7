import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freshDatabase } from '@onevote/stack/testing';
import { createLogger, createPostgres, migrate } from '../src/index.ts';

test('replicas starting together: one waits for the other\'s migrations past its pool\'s statement_timeout', async () => {
  // Seen with `npm start -- --cluster`: vote-api's second replica waited on the migration lock held
  // by the first, and its pool's statement_timeout (a second or less) cancelled the wait: it exited.
  const db = await freshDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
  writeFileSync(join(dir, '001_slow.sql'), 'select pg_sleep(0.6); create table public.t_migrated (id int);');
  const logger = createLogger('test', 'silent');
  const pool = () => createPostgres(db.adminUrl, { applicationName: 'migrate-test', max: 1, session: { statement_timeout: 200 } });
  const [a, b] = [pool(), pool()];
  try {
    await Promise.all([
      migrate(a, { schema: 'public', dir, logger }),
      migrate(b, { schema: 'public', dir, logger }),
    ]);
    const rows = await a`select version from public.schema_migrations`;
    assert.deepEqual(rows.map((r) => r.version), ['001_slow.sql']);
  } finally {
    await Promise.all([a.end(), b.end()]);
  }
});
