import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import {
  aRegisteredVoter,
  Client,
  decodeJwt,
  type Identity,
  type Shared,
  sharedStores,
  startIdentity,
  testKeyEncryptionKey,
} from './support.ts';

const cliPath = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

describe('identity CLI (seed, grant-admin, revoke-admin, rotate-key)', () => {
  let shared: Shared;
  let identity: Identity;
  const admin = { email: 'Chief@OneVote.example', password: 'admin-password-123' };

  const cli = async (...args: string[]) => {
    try {
      await promisify(execFile)(process.execPath, ['--import', 'tsx', cliPath, ...args], {
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: shared.databaseUrl,
          KEY_ENCRYPTION_KEY: testKeyEncryptionKey,
          ONEVOTE_ADMIN_EMAIL: admin.email,
          ONEVOTE_ADMIN_PASSWORD: admin.password,
          LOG_LEVEL: 'silent',
        },
      });
      return 0;
    } catch (err) {
      return (err as { code?: number }).code ?? 1;
    }
  };

  const rolesAfterLogin = async (email: string, password: string) => {
    const answer = await new Client(identity.base).login(email, password);
    assert.equal(answer.status, 200);
    return decodeJwt(answer.body.access_token).payload.roles;
  };

  before(async () => {
    shared = await sharedStores();
    identity = await startIdentity(shared);
  });
  after(() => identity.stop());

  test('seed creates the admin once; running it again changes nothing', async () => {
    assert.equal(await cli('seed'), 0);
    assert.equal(await cli('seed'), 0);
    const rows = await identity.sql`select roles from identity.voters where email = 'chief@onevote.example'`;
    assert.equal(rows.length, 1);
    assert.deepEqual(await rolesAfterLogin(admin.email, admin.password), ['voter', 'admin']);
  });

  test('grant-admin puts the admin role in the next token; revoke-admin takes it out', async () => {
    const voter = await aRegisteredVoter(identity.base);
    assert.equal(await cli('grant-admin', voter.email.toUpperCase()), 0);
    assert.deepEqual(await rolesAfterLogin(voter.email, voter.password), ['voter', 'admin']);
    assert.equal(await cli('grant-admin', voter.email), 0, 'granting twice is harmless');
    assert.equal(await cli('revoke-admin', voter.email), 0);
    assert.deepEqual(await rolesAfterLogin(voter.email, voter.password), ['voter']);
  });

  test('an unknown email or command fails with a non-zero status', async () => {
    assert.notEqual(await cli('grant-admin', 'nobody@example.org'), 0);
    assert.notEqual(await cli('make-coffee'), 0);
  });

  test('rotate-key adds a signing key', async () => {
    const [{ count: before }] = (await identity.sql`select count(*)::int as count from identity.signing_keys`) as unknown as [
      { count: number },
    ];
    assert.equal(await cli('rotate-key'), 0);
    const [{ count: afterRotation }] = (await identity.sql`select count(*)::int as count from identity.signing_keys`) as unknown as [
      { count: number },
    ];
    assert.equal(afterRotation, before + 1);
  });
});
