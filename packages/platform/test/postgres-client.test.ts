import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freshDatabase } from '@onevote/stack/testing';

const fixture = fileURLToPath(new URL('./fixtures/terminated-transaction.ts', import.meta.url));

test('a transaction whose backend dies mid-statement rejects with CONNECTION_CLOSED; the process lives on', async () => {
  // Seen in the fault suite: audit exited when PostgreSQL was killed (postgres.js crashed on its own ROLLBACK).
  const db = await freshDatabase();
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { PATH: process.env.PATH, DATABASE_URL: db.adminUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, `the process crashed:\n${err}`);
  assert.match(out, /^RESULT (CONNECTION_CLOSED|57P01) 1$/m);
});
