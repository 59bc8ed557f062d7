/**
 * Identity's CPU per login: with a password (argon2id at the default parameters) and with a passkey
 * (WebAuthn assertion: one P-256 signature check), end to end over HTTP against a real identity
 * process on real PostgreSQL and Redis; and per email verification (a code mailed through the test
 * mail catcher's SMTP, then proven).
 *
 *   node --import tsx services/identity/bench/login-cost.ts [logins]
 *
 * identity runs as a child process (as under `npm start`); its CPU is read from its own
 * `process_cpu_seconds_total` (prom-client, from process.cpuUsage(): user + system, every thread,
 * so argon2's libuv workers count) before and after each phase, so the client's work (solving the
 * ALTCHA, signing DPoP proofs and assertions) is not in the figures. Both kinds of login carry the
 * same DPoP proof, ALTCHA (cheap here: cost 1, as in the tests; it is the same for both), throttle
 * look-ups, refresh family and token signing; a passkey login adds its options call, included.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import argon2 from 'argon2';
import { freePort } from '@onevote/stack';
import { freshDatabase, testInfra } from '@onevote/stack/testing';
import { storeConfigProperties } from '../src/config.ts';
import { SoftwareAuthenticator } from '../test/software-authenticator.ts';
import { nextCode } from '../test/mail.ts';
import { Client } from '../test/support.ts';

const n = Number(process.argv[2] ?? 100);
const warmUp = 50;
const origin = 'http://localhost:8080';
const [port, opsPort] = [await freePort(), await freePort()];
const base = `http://127.0.0.1:${port}`;
const db = await freshDatabase();
const infra = await testInfra();

const identity = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []), '--import', 'tsx', fileURLToPath(new URL('../src/main.ts', import.meta.url))], {
  env: {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: String(port),
    OPS_PORT: String(opsPort),
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.urls.identity!,
    REDIS_URL: infra.redisUrl,
    TOKEN_ISSUER: base,
    TRUSTED_ISSUERS: JSON.stringify([{ issuer: base, jwksUrl: `${base}/.well-known/jwks.json`, roles: ['voter', 'admin'] }]),
    ALTCHA_HMAC_KEY: randomBytes(32).toString('base64url'),
    ALTCHA_COST: '1',
    ALTCHA_BASE_WORK: '10',
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    EMAIL_HASH_KEY: randomBytes(32).toString('base64url'),
    REDIS_PREFIX: `bench-login-${process.pid}:`,
    WEBAUTHN_RP_ID: 'localhost',
    WEBAUTHN_ORIGINS: origin,
    SMTP_URL: infra.smtpUrl,
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});

async function cpuSeconds(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const line = /^process_cpu_seconds_total(?:\{[^}]*\})? ([0-9.e+-]+)$/m.exec(text);
  if (!line) throw new Error('no process_cpu_seconds_total');
  return Number(line[1]);
}

try {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error('identity did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const client = new Client(base);
  const email = `bench-${randomBytes(4).toString('hex')}@example.org`;
  const password = 'correct horse battery staple';
  if ((await client.register(email, password)).status !== 201) throw new Error('register failed');
  const first = await client.login(email, password);
  const token = first.body.access_token;
  const authenticator = new SoftwareAuthenticator(origin);
  const options = await client.authorized<PublicKeyCredentialCreationOptionsJSON>('POST', '/v1/auth/passkeys/registration/options', token);
  const made = await client.authorized('POST', '/v1/auth/passkeys/registration/verify', token, { response: authenticator.create(options.body) });
  if (made.status !== 201) throw new Error(`passkey registration failed: ${JSON.stringify(made.body)}`);

  async function phase(label: string, login: (altcha: string) => Promise<number>) {
    // Client work that is not identity's: challenges solved before the clock starts.
    const altchas = [];
    for (let i = 0; i < n + warmUp; i++) altchas.push(await client.altcha({ purpose: 'login' }));
    for (let i = 0; i < warmUp; i++) await login(altchas.pop()!); // warm-up (JIT, connection pools)
    const before = await cpuSeconds();
    const start = performance.now();
    for (const altcha of altchas) {
      const status = await login(altcha);
      if (status !== 200) throw new Error(`${label}: ${status}`);
    }
    const wallMs = (performance.now() - start) / n;
    const us = ((await cpuSeconds()) - before) * 1e6 / n;
    return { label, us, wallMs };
  }

  const passwordLogin = async (altcha: string) => (await client.login(email, password, { altcha })).status;
  const passkeyLogin = async (altcha: string) => {
    const opts = await client.call<PublicKeyCredentialRequestOptionsJSON>('POST', '/v1/auth/passkeys/login/options', { body: {} });
    const response = authenticator.get(opts.body);
    const answer = await client.call('POST', '/v1/auth/passkeys/login', {
      body: { response, altcha },
      headers: { dpop: await client.proof('POST', '/v1/auth/passkeys/login') },
    });
    return answer.status;
  };

  const results = [await phase('password (argon2id)', passwordLogin), await phase('passkey (options + P-256 assertion)', passkeyLogin)];

  // Email verification: one voter per verification (a code per address, with its cooldown);
  // registering and signing them in is not counted, and reading the mailed code is the client's.
  const voters = [];
  for (let i = 0; i < Math.min(n, 100); i++) {
    const c = new Client(base);
    const address = `bench-verify-${i}-${randomBytes(4).toString('hex')}@example.org`;
    if ((await c.register(address, password)).status !== 201) throw new Error('register failed');
    voters.push({ c, address, token: (await c.login(address, password)).body.access_token });
  }
  const beforeVerify = await cpuSeconds();
  for (const v of voters) {
    if ((await v.c.authorized('POST', '/v1/auth/email/verification', v.token)).status !== 202) throw new Error('no code sent');
    const code = await nextCode(v.address, 1);
    const verified = await v.c.authorized('POST', '/v1/auth/email/verify', v.token, { code });
    if (verified.status !== 200) throw new Error(`verify: ${verified.status}`);
  }
  const verifyCostUs = ((await cpuSeconds()) - beforeVerify) * 1e6 / voters.length;
  const params = `m=${storeConfigProperties.ARGON2_MEMORY_KIB.default} KiB, t=${storeConfigProperties.ARGON2_TIME_COST.default}, p=${storeConfigProperties.ARGON2_PARALLELISM.default}`;
  console.log(`identity CPU per login, n=${n} each, argon2id ${params}`);
  for (const r of results) {
    const vcpu = (20_000 * r.us) / 1e6;
    console.log(`${r.label.padEnd(38)} ${r.us.toFixed(0).padStart(7)} µs CPU  ${r.wallMs.toFixed(1).padStart(6)} ms wall  -> 20,000 logins/s need ${vcpu.toFixed(0)} vCPU`);
  }
  console.log(`ratio: a password login costs ${(results[0]!.us / results[1]!.us).toFixed(1)}x a passkey login`);
  console.log(`email verification (code mailed by SMTP + proven), n=${voters.length}: ${verifyCostUs.toFixed(0)} µs CPU`);

  // The distinctive step of each alone, in this process: argon2id verify, and SimpleWebAuthn's
  // assertion check (CBOR, SHA-256, WebCrypto P-256 key import and verify).
  const cpu = async (work: () => Promise<unknown>, count: number) => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < count; i++) await work();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / count;
  };
  const hash = await argon2.hash(password, { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  await cpu(() => argon2.verify(hash, password), 5);
  const argonUs = await cpu(() => argon2.verify(hash, password), 50);
  const soft = new SoftwareAuthenticator(origin);
  const ro = await generateRegistrationOptions({ rpName: 'bench', rpID: 'localhost', userName: 'bench' });
  const reg = await verifyRegistrationResponse({ response: soft.create(ro), expectedChallenge: ro.challenge, expectedOrigin: origin, expectedRPID: 'localhost' });
  const credential = reg.registrationInfo!.credential;
  const assertions: { challenge: string; response: ReturnType<SoftwareAuthenticator["get"]> }[] = [];
  for (let i = 0; i < 550; i++) {
    const o = await generateAuthenticationOptions({ rpID: 'localhost' });
    assertions.push({ challenge: o.challenge, response: soft.get(o) });
  }
  let counter = 0;
  const verifyNext = async () => {
    const { challenge, response } = assertions.shift()!;
    const v = await verifyAuthenticationResponse({ response, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: 'localhost', credential: { ...credential, counter } });
    counter = v.authenticationInfo.newCounter;
  };
  await cpu(verifyNext, 50);
  const verifyUs = await cpu(verifyNext, 500);
  console.log(`alone: argon2id verify ${argonUs.toFixed(0)} µs CPU; verifyAuthenticationResponse ${verifyUs.toFixed(0)} µs CPU (${(argonUs / verifyUs).toFixed(0)}x less)`);
} finally {
  identity.kill('SIGTERM');
  await new Promise((resolve) => identity.once('exit', resolve));
}
