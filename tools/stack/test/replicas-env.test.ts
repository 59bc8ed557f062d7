/**
 * Issue 18: what the stack tells each service when services run as several replicas. Every caller
 * of a service gets every replica (or a balanced address), so losing one replica loses nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configVariables } from '../src/config-reference.ts';
import { serviceDefs, serviceEnv, type StackContext } from '../src/services.ts';
import { startStack } from '../src/stack.ts';
import { testDir } from '../src/testing.ts';

const base = {
  ports: { identity: 1, ballot: 2, 'vote-api': 3, results: 4, relay: 6, audit: 7, gateway: 5 },
  opsPorts: { identity: 11, ballot: 12, 'vote-api': 13, results: 14, relay: 16, audit: 17, gateway: 15 },
  databaseUrls: {},
  redisUrl: 'redis://r',
  natsUrl: 'nats://n',
  smtpUrl: 'smtp://s',
  secrets: { ALTCHA_HMAC_KEY: 'a', KEY_ENCRYPTION_KEY: 'k', AUDIT_KEY_ENCRYPTION_KEY: 'q', EMAIL_HASH_KEY: 'e', ONEVOTE_ADMIN_PASSWORD: 'p' },
  logLevel: 'info',
} satisfies StackContext;

const envOf = (ctx: StackContext, name: string) => serviceEnv(serviceDefs.find((d) => d.name === name)!, ctx);

test('with replicas: the gateway and audit get every replica, the operations view scrapes each, and identity keys come through the gateway', async () => {
  const ctx: StackContext = {
    ...base,
    replicaPorts: { identity: [1, 101], ballot: [2, 102], 'vote-api': [3, 103], results: [4, 104], relay: [6], audit: [7, 107], gateway: [5] },
    replicaOpsPorts: { identity: [11, 111], ballot: [12, 112], 'vote-api': [13, 113], results: [14, 114], relay: [16], audit: [17, 117], gateway: [15] },
    variables: await configVariables(),
  };
  const gateway = envOf(ctx, 'gateway');
  assert.equal(gateway.VOTE_API_URL, 'http://127.0.0.1:3,http://127.0.0.1:103');
  assert.equal(gateway.IDENTITY_URL, 'http://127.0.0.1:1,http://127.0.0.1:101');
  assert.equal(gateway.BALLOT_URL, 'http://127.0.0.1:2,http://127.0.0.1:102');
  assert.equal(gateway.RESULTS_URL, 'http://127.0.0.1:4,http://127.0.0.1:104');
  assert.equal(gateway.AUDIT_URL, 'http://127.0.0.1:7,http://127.0.0.1:107');
  assert.equal(envOf(ctx, 'audit').RESULTS_URL, 'http://127.0.0.1:4,http://127.0.0.1:104');
  assert.equal(
    envOf(ctx, 'ballot').OPERATIONS_METRICS_URLS,
    'vote-api=http://127.0.0.1:13,vote-api=http://127.0.0.1:113,results=http://127.0.0.1:14,results=http://127.0.0.1:114,' +
      'relay=http://127.0.0.1:16,audit=http://127.0.0.1:17,audit=http://127.0.0.1:117',
  );
  for (const service of ['vote-api', 'ballot', 'results', 'identity']) {
    const [trusted] = JSON.parse(envOf(ctx, service).TRUSTED_ISSUERS!) as { issuer: string; jwksUrl: string }[];
    // One name for the issuer whichever replica signs; its keys from the balanced address.
    assert.equal(trusted!.issuer, 'http://127.0.0.1:1', service);
    assert.equal(trusted!.jwksUrl, 'http://127.0.0.1:5/.well-known/jwks.json', service);
  }
  assert.equal(envOf(ctx, 'identity').TOKEN_ISSUER, 'http://127.0.0.1:1');
});

test('one replica each (the default): every address as before', async () => {
  const ctx: StackContext = { ...base, variables: await configVariables() };
  assert.equal(envOf(ctx, 'gateway').VOTE_API_URL, 'http://127.0.0.1:3');
  assert.equal(envOf(ctx, 'audit').RESULTS_URL, 'http://127.0.0.1:4');
  const [trusted] = JSON.parse(envOf(ctx, 'vote-api').TRUSTED_ISSUERS!) as { jwksUrl: string }[];
  assert.equal(trusted!.jwksUrl, 'http://127.0.0.1:1/.well-known/jwks.json');
  assert.equal(
    envOf(ctx, 'ballot').OPERATIONS_METRICS_URLS,
    'vote-api=http://127.0.0.1:13,results=http://127.0.0.1:14,relay=http://127.0.0.1:16,audit=http://127.0.0.1:17',
  );
});

test('the relay and the gateway run once: asking for more is refused before anything starts', async () => {
  for (const [name, reason] of [
    ['relay', /replication slot has one reader/],
    ['gateway', /one public port/],
  ] as const) {
    await assert.rejects(
      startStack({ dir: testDir('replicas'), portMode: 'random', logTo: 'files', replicas: { [name]: 2 }, infra: fakeInfra() }),
      reason,
    );
  }
});

// Never used: the replica counts are checked before any server is asked for anything.
function fakeInfra() {
  return {
    postgresAdminUrl: 'postgres://127.0.0.1:1/x',
    redisUrl: 'redis://127.0.0.1:1',
    natsUrl: 'nats://127.0.0.1:1',
    smtpUrl: 'smtp://127.0.0.1:1',
    servers: {},
    stop: async () => {},
  };
}
