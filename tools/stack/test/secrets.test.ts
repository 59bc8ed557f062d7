import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadOrCreateSecrets } from '../src/secrets.ts';
import { testDir } from '../src/testing.ts';

test('a data directory gets its own random admin password, kept 0600 and shown as new only once (issue 14, item 8)', () => {
  const file = join(testDir('secrets'), 'secrets.json');
  const first = loadOrCreateSecrets(file);
  assert.equal(first.created, true);
  assert.ok(first.ONEVOTE_ADMIN_PASSWORD.length >= 20);
  assert.notEqual(first.ONEVOTE_ADMIN_PASSWORD, 'admin-password-123');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const again = loadOrCreateSecrets(file);
  assert.equal(again.created, false);
  assert.equal(again.ONEVOTE_ADMIN_PASSWORD, first.ONEVOTE_ADMIN_PASSWORD);
  const elsewhere = loadOrCreateSecrets(join(testDir('secrets'), 'secrets.json'));
  assert.notEqual(elsewhere.ONEVOTE_ADMIN_PASSWORD, first.ONEVOTE_ADMIN_PASSWORD, 'each data directory its own');
});
