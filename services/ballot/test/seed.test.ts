import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openElectionsBucket } from '@onevote/election-config';
import { connectNats, createLogger, createPostgres } from '@onevote/platform';
import { freshDatabase, testInfra, uniqueName } from '@onevote/stack/testing';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function runCli(args: string[], env: Record<string, string>): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve) => child.once('exit', resolve));
}

test('seed creates one open demo election, and a second seed (two at once, even) adds none', async () => {
  const infra = await testInfra();
  const db = await freshDatabase();
  const env = {
    DATABASE_URL: db.urls.ballot!,
    NATS_URL: infra.natsUrl,
    ELECTIONS_BUCKET: uniqueName('elections'),
  };
  assert.equal(await runCli(['seed'], env), 0);
  assert.deepEqual(await Promise.all([runCli(['seed'], env), runCli(['seed'], env)]), [0, 0]);

  const sql = createPostgres(db.urls.ballot!, { applicationName: 'seed-test', max: 1 });
  const nc = await connectNats(infra.natsUrl, 'seed-test', createLogger('t', 'silent'));
  try {
    const rows =
      await sql`select id, status, jsonb_array_length(questions -> 0 -> 'options') as options from ballot.elections`;
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 'open');
    assert.ok(Number(rows[0]!.options) >= 3);
    const history = await sql`select action from ballot.history order by seq`;
    assert.deepEqual(
      history.map((h) => h.action),
      ['create', 'open'],
    );
    const kv = await openElectionsBucket(nc, env.ELECTIONS_BUCKET, { create: true });
    assert.equal((await kv.get(String(rows[0]!.id)))?.json<{ status: string }>().status, 'open');
  } finally {
    await nc.close();
    await sql.end();
  }
});
