import assert from 'node:assert/strict';
import { test } from 'node:test';
import { provisionDatabase } from '../src/provision.ts';
import { testInfra, uniqueName } from '../src/testing.ts';

// Test files provision their databases at the same time on one PostgreSQL. The roles are shared by
// the whole server, and two `alter role` of one role at once fail with "tuple concurrently updated"
// (seen in a full `npm test`): provisioning must be safe to run from several processes at once.
test('many databases provisioned at once on one server: none fails, each has every role', async () => {
  const { postgresAdminUrl } = await testInfra();
  for (let round = 0; round < 3; round++) {
    const urls = await Promise.all(Array.from({ length: 8 }, () => provisionDatabase(postgresAdminUrl, uniqueName('prov'))));
    for (const u of urls) assert.ok(u.identity && u['vote-api'] && u.audit, JSON.stringify(Object.keys(u)));
  }
});
