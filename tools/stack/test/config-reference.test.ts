import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderConfigReference, variables } from '../src/config-reference.ts';
import { repoRoot } from '../src/services.ts';
import { serviceEnv, serviceDefs, type StackContext } from '../src/services.ts';

test('docs/configuration.md lists every variable of every config schema, as generated (npm run docs:config)', async () => {
  const written = readFileSync(join(repoRoot, 'docs', 'configuration.md'), 'utf8');
  assert.equal(written, await renderConfigReference(), 'docs/configuration.md is out of date: run npm run docs:config');
  for (const v of await variables()) assert.ok(v.description, `${v.name} has no description where it is declared`);
});

test('npm start passes a setting to the services that know it, and <SERVICE>__<NAME> to one service (issue 14, item 17)', async () => {
  const all = await variables();
  const known = (service: string) => all.filter((v) => v.services.includes(service as never)).map((v) => v.name);
  const ctx: StackContext = {
    ports: { identity: 1, ballot: 2, 'vote-api': 3, results: 4, relay: 6, audit: 7, gateway: 5 },
    opsPorts: { identity: 11, ballot: 12, 'vote-api': 13, results: 14, relay: 16, audit: 17, gateway: 15 },
    databaseUrls: {},
    redisUrl: 'redis://r',
    natsUrl: 'nats://n',
    smtpUrl: 'smtp://s',
    secrets: { ALTCHA_HMAC_KEY: 'a', KEY_ENCRYPTION_KEY: 'k', AUDIT_KEY_ENCRYPTION_KEY: 'q', EMAIL_HASH_KEY: 'e', ONEVOTE_ADMIN_PASSWORD: 'p' },
    logLevel: 'info',
    variables: Object.fromEntries(serviceDefs.map((d) => [d.name, known(d.name)])),
    userEnv: { RATE_PER_VOTER: '7', VOTE_API__RATE_PER_IP: '123', RATE_PER_IP: '999', FRAME_INTERVAL_MS: '150', PORT: '1234', UNRELATED: 'x' },
  };
  const env = (name: string) => serviceEnv(serviceDefs.find((d) => d.name === name)!, ctx);
  assert.equal(env('vote-api').RATE_PER_VOTER, '7');
  assert.equal(env('vote-api').RATE_PER_IP, '123', 'the per-service form wins');
  assert.equal(env('results').FRAME_INTERVAL_MS, '150');
  assert.equal(env('identity').RATE_PER_VOTER, undefined, 'only services that know a setting get it');
  assert.equal(env('vote-api').PORT, '3', 'the addresses stay the stack’s');
  assert.equal(env('vote-api').UNRELATED, undefined);
});
