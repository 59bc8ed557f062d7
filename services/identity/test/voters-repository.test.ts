import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, createPostgres, migrate } from '@onevote/platform';
import { freshDatabase } from '@onevote/stack/testing';
import { fileURLToPath } from 'node:url';
import { VotersRepository } from '../src/adapters/voters.repository.ts';

test('a voter id of another issuer (not one of our uuids) is no voter of ours, not a database error', async () => {
  // Seen in fault scenario 3: GET /v1/auth/me with a trusted external issuer's token ("bench:<uuid>")
  // answered 500: PostgreSQL refused the id as a uuid (22P02).
  const db = await freshDatabase();
  const sql = createPostgres(db.urls.identity!, { applicationName: 'voters-repository-test', max: 1 });
  try {
    await migrate(sql, { schema: 'identity', dir: fileURLToPath(new URL('../migrations/', import.meta.url)), logger: createLogger('test', 'silent') });
    const voters = new VotersRepository(sql);
    assert.equal(await voters.byId('bench:cf264937-c0eb-4486-9ce1-026477343961'), undefined);
    assert.equal(await voters.byId('cf264937-c0eb-4486-9ce1-026477343961'), undefined);
  } finally {
    await sql.end();
  }
});
