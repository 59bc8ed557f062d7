/**
 * Issue 9, "Hostile input": generated malformed requests against every public endpoint of API.md,
 * through the gateway. Every answer must be a 4xx application/problem+json with a catalogued
 * `code` (never a 5xx), and nothing stored may change (I5). Then the OWASP API Security Top 10
 * (2023) cases that apply: object- and function-level authorization, resource consumption and
 * mass assignment. Generation is property-based (fast-check) with a fixed seed, so runs repeat.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { solveAltcha } from '@onevote/auth/client';
import { accessTokenHash, audienceOnOneAddress, BenchIssuer, dpopProof, mintToken, newVoterKey, signJws } from '@onevote/bench';
import { repoRoot, shardDatabaseAdminUrls, waitFor } from '@onevote/stack';
import { startTestStack } from '@onevote/stack/testing';
import fc from 'fast-check';
import postgres from 'postgres';
import { fingerprint, type RawAnswer, refusalProblem, sendRaw } from '../src/hostile.ts';

const SEED = 20_230_509;
const AUDIENCE = 'onevote';

type Auth = 'none' | 'voter' | 'admin' | 'proof';
interface Case {
  endpoint: string;
  category: string;
  method: string;
  path: string;
  auth: Auth;
  headers?: Record<string, string>;
  body?: Buffer | string;
  chunked?: boolean;
  /** Exact statuses allowed; any 4xx when absent. */
  expect?: readonly number[];
}

const json = 'application/json';
const sqlAndScript = [
  "' OR '1'='1' --",
  "'; DROP TABLE ballot.elections; --",
  "1; UPDATE votes.tallies SET votes = votes + 1000 --",
  "\" OR \"\"=\"",
  "admin@onevote.local' --",
  "x' UNION SELECT password_hash FROM identity.voters --",
  '<script>alert(document.cookie)</script>',
  '"><img src=x onerror=alert(1)>',
  '{{7*7}}${7*7}<%= 7*7 %>',
  '\u0000\u0001\u202e\ufeff',
  '../../../../etc/passwd',
  '$where: 1 == 1',
];

// ---------------------------------------------------------------- generators

/** Every path (as keys) to a member of `value`: objects, arrays and leaves. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return prefix.length ? [prefix] : [];
  const own = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  const nested = own.flatMap(([k, v]) => paths(v, [...prefix, k]));
  return prefix.length ? [prefix, ...nested] : nested;
}

function setAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = replacement;
  return copy;
}

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

const anyJson = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20 }),
  fc.array(fc.integer(), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.integer(), { maxKeys: 3 }),
);

/** Each member of `base` replaced with a value of another JSON type (fast-check, fixed seed). */
function wrongTypes(base: object, seed: number, perPath = 2): { label: string; body: string }[] {
  const out: { label: string; body: string }[] = [];
  for (const [i, path] of paths(base).entries()) {
    const original = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], base);
    const values = fc
      .sample(anyJson.filter((v) => jsonType(v) !== jsonType(original)), { seed: seed + i, numRuns: perPath });
    for (const v of values) out.push({ label: `${path.join('.')}=${jsonType(v)}`, body: JSON.stringify(setAt(base, path, v)) });
  }
  return out;
}

/** Unknown members added at the top or inside nested objects (names never in the schemas). */
function unknownFields(base: object, seed: number, n: number): string[] {
  const objects = [[], ...paths(base)].filter((p) => {
    const v = p.reduce<unknown>((x, k) => (x as Record<string | number, unknown>)[k], base);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  });
  const name = fc.string({ minLength: 1, maxLength: 12 }).map((s) => `x_${s}`);
  return fc
    .sample(fc.tuple(fc.nat(objects.length - 1), name, anyJson), { seed, numRuns: n })
    .map(([at, key, v]) => {
      const path = objects[at]!;
      const target = path.reduce<unknown>((x, k) => (x as Record<string | number, unknown>)[k], base) as object;
      return JSON.stringify(path.length ? setAt(base, path, { ...target, [key]: v }) : { ...base, [key]: v });
    });
}

const badJson = [
  '{',
  '{"a":}',
  '[1, 2',
  'nul',
  "{'single': 'quotes'}",
  '{"trailing": 1,}',
  'NaN',
  '{"a": 1} garbage',
  '{"a": undefined}',
  '{"a": 0x10}',
  '"unterminated',
  '\u0000',
  ' ',
  '{"a": "\\uZZZZ"}',
  '{"a": 1}{"b": 2}',
];

function protoBodies(base: object): string[] {
  const inner = JSON.stringify(base).slice(1, -1);
  const sep = inner ? ', ' : '';
  return [
    `{"__proto__": {"roles": ["admin"], "status": "open"}${sep}${inner}}`,
    `{"constructor": {"prototype": {"isAdmin": true}}${sep}${inner}}`,
    `{${inner}${sep}"nested": {"__proto__": {"polluted": true}}}`,
    `{"__proto__": null${sep}${inner}}`,
  ];
}

/** Invalid UTF-8 inside the first string member of `base` (or a bare string). */
function invalidUtf8(base: object): Buffer[] {
  const text = JSON.stringify(base);
  const at = text.indexOf('":"');
  const [head, tail] = at >= 0 ? [text.slice(0, at + 3), text.slice(at + 3)] : ['{"x":"', '"}'];
  return [
    [0xc3, 0x28],
    [0xc0, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xff, 0xfe, 0xfd],
  ].map((bytes) => Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]));
}

const wrongContentTypes = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/jsonx',
  'text/html',
];

const deep = (n: number, open: string, close: string) => `${open.repeat(n)}${close.repeat(n)}`;
const deepBodies = [deep(5000, '[', ']'), deep(1500, '{"a":', '}'), `{"x": ${deep(3000, '[', ']')}}`];

/** Every route that takes an election id: [endpoint, method, suffix, auth]. */
const idRoutes: [string, string, string, Auth][] = [
  ['GET /v1/elections/:id', 'GET', '', 'none'],
  ['PATCH /v1/elections/:id', 'PATCH', '', 'admin'],
  ['DELETE /v1/elections/:id', 'DELETE', '', 'admin'],
  ['POST /v1/elections/:id/open', 'POST', '/open', 'admin'],
  ['POST /v1/elections/:id/close', 'POST', '/close', 'admin'],
  ['GET /v1/elections/:id/history', 'GET', '/history', 'admin'],
  ['GET /v1/elections/:id/export', 'GET', '/export', 'admin'],
  ['POST /v1/elections/:id/votes', 'POST', '/votes', 'voter'],
  ['GET /v1/elections/:id/votes/me', 'GET', '/votes/me', 'voter'],
  ['GET /v1/elections/:id/results', 'GET', '/results', 'none'],
  ['GET /v1/elections/:id/results/stream', 'GET', '/results/stream', 'none'],
];

// ---------------------------------------------------------------- the suite

test('hostile input (issue 9): 4xx problem+json for every malformed request, nothing changes', { timeout: 240_000 }, async (t) => {
  const issuer = await BenchIssuer.start();
  t.after(() => issuer.stop());
  const stack = await startTestStack({
    extraIssuers: [issuer.trustEntry],
    extraEnv: {
      ...audienceOnOneAddress,
      LOGIN_MAX_FAILURES_PER_IP: '1000000',
      LOGIN_MAX_FAILURES_PER_SUBNET: '1000000',
      LOGIN_SLOWDOWN_AFTER_FAILURES: '1000000',
      REGISTRATIONS_PER_IP_PER_HOUR: '1000000',
      REGISTRATIONS_PER_SUBNET_PER_HOUR: '1000000',
      CHALLENGES_PER_IP_PER_MINUTE: '1000000',
    },
  });
  const gw = stack.gatewayUrl;
  const adminDb = new URL(stack.infra.postgresAdminUrl);
  adminDb.pathname = `/${stack.database}`;
  const adminUrl = adminDb.toString();

  // --- identities and calls
  const mint = (roles: string[], sub = randomUUID()) => {
    const { key } = newVoterKey();
    const token = mintToken({ issuer: issuer.issuer, kid: issuer.kid, audience: AUDIENCE, key: issuer.privateKey, sub, jkt: key.jkt, roles, lifetimeSeconds: 600 });
    return {
      sub,
      headers: (method: string, path: string) => ({
        authorization: `DPoP ${token}`,
        dpop: dpopProof(key, method, `${gw}${path.split('?')[0]}`, accessTokenHash(token)),
      }),
    };
  };
  const proofOnly = (method: string, path: string) => {
    const { key } = newVoterKey();
    const iat = Math.floor(Date.now() / 1000);
    return { dpop: signJws(key.proofHeader, { jti: randomUUID(), htm: method, htu: `${gw}${path}`, iat }, key.privateKey) };
  };
  const authFor = (auth: Auth, method: string, path: string): Record<string, string> =>
    auth === 'admin'
      ? mint(['admin']).headers(method, path)
      : auth === 'voter'
        ? mint(['voter']).headers(method, path)
        : auth === 'proof'
          ? proofOnly(method, path)
          : {};
  const call = async (method: string, path: string, auth: Auth | ReturnType<typeof mint>, body?: unknown, headers: Record<string, string> = {}) => {
    const a = typeof auth === 'string' ? authFor(auth, method, path) : auth.headers(method, path);
    const res = await sendRaw(gw, {
      method,
      path,
      headers: { ...a, ...(body !== undefined ? { 'content-type': json } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { ...res, json: () => JSON.parse(res.body) as Record<string, unknown> };
  };
  const send = (c: Case): Promise<RawAnswer> =>
    sendRaw(gw, {
      method: c.method,
      path: c.path,
      headers: { ...authFor(c.auth, c.method, c.path), ...c.headers },
      ...(c.body !== undefined ? { body: c.body } : {}),
      ...(c.chunked ? { chunked: true } : {}),
    });

  // --- fixtures: the seeded demo election (open), a draft, a closed election, one voter's ballot
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  t.after(() => sql.end());
  const [demoRow] = await sql<{ id: string }[]>`select id from ballot.elections where seed_key = 'demo'`;
  assert.ok(demoRow, 'the demo election was not seeded');
  const demoId = demoRow.id;
  const demo = (await call('GET', `/v1/elections/${demoId}`, 'none')).json() as {
    status: string;
    questions: { id: string; options: { id: string }[] }[];
  };
  assert.equal(demo.status, 'open');
  const questionId = demo.questions[0]!.id;
  const optionIds = demo.questions[0]!.options.map((o) => o.id);

  const electionBody = {
    title: 'Hostile fixture',
    description: 'An election for the hostile-input suite',
    questions: [{ title: 'Which?', minSelections: 1, maxSelections: 1, options: [{ label: 'A' }, { label: 'B' }] }],
    resultsVisibility: 'live',
    requireChallenge: false,
  };
  const create = async () => {
    const res = await call('POST', '/v1/elections', 'admin', electionBody);
    assert.equal(res.status, 201, res.body);
    return res.json() as { id: string };
  };
  const draftId = (await create()).id;
  const closedId = (await create()).id;
  assert.equal((await call('POST', `/v1/elections/${closedId}/open`, 'admin')).status, 200);
  assert.equal((await call('POST', `/v1/elections/${closedId}/close`, 'admin')).status, 200);

  const voterA = mint(['voter']);
  const ballot = { selections: [{ questionId, optionIds: [optionIds[0]!] }] };
  let receiptA = '';
  await waitFor('vote-api to know the demo election', async () => {
    const res = await call('POST', `/v1/elections/${demoId}/votes`, voterA, ballot, { 'idempotency-key': 'fixture-vote-a' });
    if (res.status === 201) receiptA = res.json().receiptId as string;
    return res.status === 201;
  }, { timeoutMs: 15_000 });
  await waitFor('results to count the fixture ballot', async () => {
    const res = await call('GET', `/v1/elections/${demoId}/results`, 'none');
    return res.status === 200 && res.json().totalBallots === 1;
  }, { timeoutMs: 15_000 });

  const demoBefore = (await call('GET', `/v1/elections/${demoId}`, 'none')).body;
  const draftBefore = (await call('GET', `/v1/elections/${draftId}`, 'admin')).body;
  // Every vote shard group's ballots (one without shards).
  const adminUrls = shardDatabaseAdminUrls(stack.infra, stack.database);
  const before = await fingerprint(adminUrls);

  // --- the generated cases
  const cases: Case[] = [];
  const missingId = '00000000-0000-4000-8000-000000000000';
  const ballotRefused = { selections: [{ questionId, optionIds: [missingId] }] };
  const bodyEndpoints: { endpoint: string; method: string; path: string; auth: Auth; base: object; headers?: Record<string, string>; strict: boolean }[] = [
    { endpoint: 'POST /v1/auth/register', method: 'POST', path: '/v1/auth/register', auth: 'none', base: { email: 'new@example.org', password: 'correct horse battery', altcha: 'bm90LXNvbHZlZA==' }, strict: true },
    { endpoint: 'POST /v1/auth/login', method: 'POST', path: '/v1/auth/login', auth: 'proof', base: { email: 'admin@onevote.local', password: 'admin-password-123', altcha: 'bm90LXNvbHZlZA==' }, strict: true },
    { endpoint: 'POST /v1/auth/refresh', method: 'POST', path: '/v1/auth/refresh', auth: 'proof', base: { refresh_token: 'r'.repeat(40) }, strict: true },
    { endpoint: 'POST /v1/auth/logout', method: 'POST', path: '/v1/auth/logout', auth: 'voter', base: { refresh_token: 'r'.repeat(40) }, strict: true },
    { endpoint: 'POST /v1/elections', method: 'POST', path: '/v1/elections', auth: 'admin', base: electionBody, strict: true },
    { endpoint: 'PATCH /v1/elections/:id', method: 'PATCH', path: `/v1/elections/${draftId}`, auth: 'admin', base: { title: 'Changed by hostile input', questions: electionBody.questions }, strict: true },
    { endpoint: 'POST /v1/elections/:id/open', method: 'POST', path: `/v1/elections/${draftId}/open`, auth: 'admin', base: {}, strict: true },
    { endpoint: 'POST /v1/elections/:id/close', method: 'POST', path: `/v1/elections/${demoId}/close`, auth: 'admin', base: {}, strict: true },
    { endpoint: 'DELETE /v1/elections/:id', method: 'DELETE', path: `/v1/elections/${draftId}`, auth: 'admin', base: {}, strict: false },
    { endpoint: 'POST /v1/elections/:id/votes', method: 'POST', path: `/v1/elections/${demoId}/votes`, auth: 'voter', base: ballot, headers: { 'idempotency-key': 'hostile-0001' }, strict: true },
  ];
  for (const [n, e] of bodyEndpoints.entries()) {
    const add = (category: string, body: Buffer | string, expect?: readonly number[], extra: Partial<Case> = {}) =>
      cases.push({ endpoint: e.endpoint, category, method: e.method, path: e.path, auth: e.auth, body, expect, ...extra, headers: { 'content-type': json, ...e.headers, ...extra.headers } });
    for (const b of badJson) add('bad JSON', b, [400]);
    for (const b of protoBodies(e.base)) add('__proto__/constructor', b, [400]);
    for (const ct of wrongContentTypes) add('wrong content type', JSON.stringify(e.base), [415], { headers: { 'content-type': ct } });
    add('wrong content type', JSON.stringify(e.base), [415], { headers: { 'content-type': '' } });
    const big = JSON.stringify({ ...e.base, padding: 'x'.repeat(17 * 1024) });
    add('oversized body', big, [413]);
    add('oversized body', JSON.stringify({ ...e.base, padding: 'y'.repeat(300 * 1024) }), [413]);
    add('oversized body', big, [413], { chunked: true });
    add('oversized body', JSON.stringify({ ...e.base, padding: 'z'.repeat(300 * 1024) }), [413], { chunked: true });
    if (!e.strict) continue; // DELETE defines no body: a well-formed one is not bad input
    for (const b of deepBodies) add('deep nesting', b, [400]);
    for (const b of ['[]', '1', '"text"', 'true', 'null']) add('wrong types', b, [400]);
    for (const w of wrongTypes(e.base, SEED + n * 1000)) add('wrong types', w.body, [400]);
    for (const b of unknownFields(e.base, SEED + n, 6)) add('unknown fields', b, [400]);
    for (const b of invalidUtf8(e.base)) add('invalid UTF-8', b, [400]);
  }

  // Huge arrays (within and beyond the body limit).
  const manyQuestions = (k: number) => ({ ...electionBody, questions: Array.from({ length: k }, () => electionBody.questions[0]) });
  const manyOptions = (k: number) => ({ ...electionBody, questions: [{ title: 'Q', options: Array.from({ length: k }, (_, i) => ({ label: `o${i}` })) }] });
  const hugeArrays: [string, string, string, Auth, unknown, number[], Record<string, string>?][] = [
    ['POST /v1/elections', 'POST', '/v1/elections', 'admin', manyQuestions(21), [400]],
    ['POST /v1/elections', 'POST', '/v1/elections', 'admin', manyOptions(51), [400]],
    ['POST /v1/elections', 'POST', '/v1/elections', 'admin', manyQuestions(400), [413]],
    ['POST /v1/elections', 'POST', '/v1/elections', 'admin', { ...electionBody, questions: Array(3000).fill(0) }, [400]],
    ['PATCH /v1/elections/:id', 'PATCH', `/v1/elections/${draftId}`, 'admin', { questions: manyQuestions(21).questions }, [400]],
    ['PATCH /v1/elections/:id', 'PATCH', `/v1/elections/${draftId}`, 'admin', { questions: manyOptions(51).questions }, [400]],
    ['POST /v1/elections/:id/votes', 'POST', `/v1/elections/${demoId}/votes`, 'voter', { selections: Array.from({ length: 21 }, () => ballot.selections[0]) }, [400], { 'idempotency-key': 'hostile-arr-1' }],
    ['POST /v1/elections/:id/votes', 'POST', `/v1/elections/${demoId}/votes`, 'voter', { selections: [{ questionId, optionIds: Array(51).fill(optionIds[0]) }] }, [400], { 'idempotency-key': 'hostile-arr-2' }],
    ['POST /v1/elections/:id/votes', 'POST', `/v1/elections/${demoId}/votes`, 'voter', { selections: [{ questionId, optionIds: [optionIds[0], optionIds[0]] }] }, [422], { 'idempotency-key': 'hostile-arr-3' }],
    ['POST /v1/elections/:id/votes', 'POST', `/v1/elections/${demoId}/votes`, 'voter', { selections: Array(4000).fill(1) }, [400], { 'idempotency-key': 'hostile-arr-4' }],
    ['POST /v1/elections/:id/votes', 'POST', `/v1/elections/${demoId}/votes`, 'voter', { selections: Array(20_000).fill(1) }, [413], { 'idempotency-key': 'hostile-arr-5' }],
  ];
  for (const [endpoint, method, path, auth, body, expect, headers] of hugeArrays) {
    cases.push({ endpoint, category: 'huge arrays', method, path, auth, body: JSON.stringify(body), expect, headers: { 'content-type': json, ...headers } });
  }

  // SQL and script strings in every text field, each request otherwise shaped to be refused.
  const inj = (category: string, endpoint: string, method: string, path: string, auth: Auth, body: unknown, expect?: readonly number[], headers: Record<string, string> = {}) =>
    cases.push({ endpoint, category, method, path, auth, expect, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), headers: { ...(body !== undefined ? { 'content-type': json } : {}), ...headers } });
  const pad = (s: string) => (s.length >= 16 ? s : s.padEnd(16, '-'));
  for (const s of sqlAndScript) {
    const enc = encodeURIComponent(s);
    inj('SQL/script strings', 'POST /v1/auth/register', 'POST', '/v1/auth/register', 'none', { email: s.padEnd(3, '@'), password: 'correct horse battery', altcha: s });
    inj('SQL/script strings', 'POST /v1/auth/register', 'POST', '/v1/auth/register', 'none', { email: 'x@example.org', password: s, altcha: 'bm90LXNvbHZlZA==' });
    inj('SQL/script strings', 'POST /v1/auth/login', 'POST', '/v1/auth/login', 'proof', { email: s.padEnd(3, '@'), password: s, altcha: s });
    inj('SQL/script strings', 'POST /v1/auth/refresh', 'POST', '/v1/auth/refresh', 'proof', { refresh_token: pad(s) }, [401]);
    inj('SQL/script strings', 'POST /v1/auth/logout', 'POST', '/v1/auth/logout', 'none', { refresh_token: pad(s) }, [401]);
    const oneOption = { ...electionBody, questions: [{ title: s, options: [{ label: s }] }] };
    inj('SQL/script strings', 'POST /v1/elections', 'POST', '/v1/elections', 'admin', { ...oneOption, title: s, description: s }, [400]);
    inj('SQL/script strings', 'POST /v1/elections', 'POST', '/v1/elections', 'admin', { ...electionBody, resultsVisibility: s }, [400]);
    inj('SQL/script strings', 'POST /v1/elections', 'POST', '/v1/elections', 'admin', { ...electionBody, opensAt: s }, [400]);
    // The open demo election: the strings pass validation and reach the use case, which refuses (409).
    inj('SQL/script strings', 'PATCH /v1/elections/:id', 'PATCH', `/v1/elections/${demoId}`, 'admin', { title: s, description: s, questions: [{ title: s, options: [{ label: s }, { label: s }] }] }, [409]);
    inj('SQL/script strings', 'POST /v1/elections/:id/votes', 'POST', `/v1/elections/${demoId}/votes`, 'voter', { selections: [{ questionId: s, optionIds: [s] }] }, [400], { 'idempotency-key': 'hostile-inj-1' });
    inj('SQL/script strings', 'POST /v1/elections/:id/votes', 'POST', `/v1/elections/${demoId}/votes`, 'voter', { ...ballotRefused, altcha: s }, undefined, { 'idempotency-key': 'hostile-inj-2' });
    inj('SQL/script strings', 'POST /v1/elections/:id/votes', 'POST', `/v1/elections/${demoId}/votes`, 'voter', ballot, [400], { 'idempotency-key': s.replace(/[^\x20-\x7e]/g, '?') });
    inj('SQL/script strings', 'GET /v1/elections', 'GET', `/v1/elections?status=${enc}`, 'none', undefined, [400]);
    inj('SQL/script strings', 'GET /v1/elections/:id/export', 'GET', `/v1/elections/${closedId}/export?format=${enc}`, 'admin', undefined, [400]);
    inj('SQL/script strings', 'GET /v1/auth/me', 'GET', '/v1/auth/me', 'none', undefined, [401], { authorization: `DPoP ${s.replace(/[^\x20-\x7e]/g, '?')}`, dpop: s.replace(/[^\x20-\x7e]/g, '?') });
    for (const [endpoint, method, suffix, auth] of idRoutes) {
      inj('SQL/script strings', endpoint, method, `/v1/elections/${enc}${suffix}`, auth, undefined, [400, 404]);
    }
  }

  // Malformed ids, queries and credentials on every route without a body.
  const badIds = ['not-a-uuid', '1', '-1', '%00', '%C3%28', '%FF%FE', 'null', `${demoId}x`, demoId.toUpperCase().replace(/-/g, ''), 'a'.repeat(3000), '..%2F..%2Fadmin', '%7B%22%24ne%22%3A1%7D'];
  for (const id of badIds) {
    for (const [endpoint, method, suffix, auth] of idRoutes) {
      cases.push({ endpoint, category: 'malformed id', method, path: `/v1/elections/${id}${suffix}`, auth, expect: [400, 404] });
    }
  }
  const queries: [string, string, Auth][] = [
    ['GET /v1/elections', '/v1/elections?status=archived', 'none'],
    ['GET /v1/elections', '/v1/elections?status=OPEN', 'none'],
    ['GET /v1/elections', '/v1/elections?status=open&status=closed', 'none'],
    ['GET /v1/elections', '/v1/elections?status[]=open', 'none'],
    ['GET /v1/elections', '/v1/elections?__proto__[status]=open', 'none'],
    ['GET /v1/elections', '/v1/elections?constructor=x', 'none'],
    ['GET /v1/elections', '/v1/elections?limit=100000', 'none'],
    ['GET /v1/elections', '/v1/elections?status=%C3%28', 'none'],
    ['GET /v1/elections/:id/export', `/v1/elections/${closedId}/export?format=xml`, 'admin'],
    ['GET /v1/elections/:id/export', `/v1/elections/${closedId}/export?format=csv&format=json`, 'admin'],
    ['GET /v1/elections/:id/export', `/v1/elections/${closedId}/export?format=csv&voterId=1`, 'admin'],
    ['GET /v1/elections/:id/export', `/v1/elections/${closedId}/export?__proto__=1`, 'admin'],
    ['GET /v1/elections/:id/export', `/v1/elections/${closedId}/export?format=%FF`, 'admin'],
    ['GET /v1/auth/challenge', '/v1/auth/challenge?purpose=admin', 'none'],
    ['GET /v1/auth/challenge', '/v1/auth/challenge?purpose=login&purpose=vote', 'none'],
    ['GET /v1/auth/challenge', '/v1/auth/challenge?level=-1', 'none'],
    ['GET /v1/auth/challenge', '/v1/auth/challenge?level=1e3', 'none'],
    ['GET /v1/auth/challenge', '/v1/auth/challenge?level=999999999999', 'none'],
    ['GET /v1/auth/challenge', '/v1/auth/challenge?level[]=1', 'none'],
    ['GET /v1/auth/challenge', '/v1/auth/challenge?__proto__[level]=1', 'none'],
  ];
  for (const [endpoint, path, auth] of queries) cases.push({ endpoint, category: 'bad query', method: 'GET', path, auth, expect: [400] });

  const badAuth: [string, Record<string, string>][] = [
    ['no proof', { authorization: 'DPoP abc.def.ghi' }],
    ['bearer scheme', { authorization: 'Bearer abc.def.ghi', dpop: 'x' }],
    ['garbage token', { authorization: 'DPoP !!!', dpop: '!!!' }],
    ['alg none', { authorization: `DPoP ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x","roles":["admin"]}').toString('base64url')}.`, dpop: 'e30.e30.' }],
    ['huge token', { authorization: `DPoP ${'A'.repeat(8000)}`, dpop: 'B'.repeat(4000) }],
    ['json proof header', { authorization: 'DPoP e30.e30.e30', dpop: `${Buffer.from('{"__proto__":{"alg":"none"},"typ":"dpop+jwt"}').toString('base64url')}.e30.AA` }],
  ];
  const authRoutes: [string, string, string][] = [
    ['GET /v1/auth/me', 'GET', '/v1/auth/me'],
    ['POST /v1/auth/logout', 'POST', '/v1/auth/logout'],
    ['GET /v1/elections/:id/history', 'GET', `/v1/elections/${demoId}/history`],
    ['GET /v1/elections/:id/export', 'GET', `/v1/elections/${closedId}/export`],
    ['GET /v1/elections/:id/votes/me', 'GET', `/v1/elections/${demoId}/votes/me`],
    ['POST /v1/elections/:id/votes', 'POST', `/v1/elections/${demoId}/votes`],
    ['POST /v1/elections', 'POST', '/v1/elections'],
    ['POST /v1/elections/:id/close', 'POST', `/v1/elections/${demoId}/close`],
  ];
  for (const [endpoint, method, path] of authRoutes) {
    for (const [, headers] of badAuth) {
      const body = method === 'POST' ? (path.endsWith('/votes') ? ballot : path.endsWith('/logout') ? { refresh_token: 'r'.repeat(40) } : path.endsWith('/close') ? {} : electionBody) : undefined;
      cases.push({ endpoint, category: 'bad credentials', method, path, auth: 'none', expect: [401], headers: { ...headers, ...(body ? { 'content-type': json, 'idempotency-key': 'hostile-auth-1' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    }
  }

  // Methods a route does not have, with junk bodies.
  const wrongMethods: [string, string, string][] = [
    ['GET /v1/auth/challenge', 'POST', '/v1/auth/challenge'],
    ['GET /v1/auth/challenge', 'DELETE', '/v1/auth/challenge'],
    ['GET /.well-known/jwks.json', 'POST', '/.well-known/jwks.json'],
    ['GET /.well-known/jwks.json', 'PUT', '/.well-known/jwks.json'],
    ['GET /v1/auth/me', 'PUT', '/v1/auth/me'],
    ['GET /v1/elections/:id', 'PUT', `/v1/elections/${demoId}`],
    ['GET /v1/elections/:id/results', 'POST', `/v1/elections/${demoId}/results`],
    ['GET /v1/elections/:id/results/stream', 'POST', `/v1/elections/${demoId}/results/stream`],
    ['GET /v1/elections/:id/votes/me', 'DELETE', `/v1/elections/${demoId}/votes/me`],
    ['GET /v1/elections/:id/history', 'DELETE', `/v1/elections/${demoId}/history`],
    ['GET /v1/elections/:id/export', 'POST', `/v1/elections/${closedId}/export`],
  ];
  for (const [endpoint, method, path] of wrongMethods) {
    for (const body of ['{"status":"closed"}', '{', '{"__proto__":{}}']) {
      cases.push({ endpoint, category: 'wrong method', method, path, auth: 'admin', expect: [400, 404, 405, 415], body, headers: { 'content-type': json } });
    }
  }

  // --- send them all, 16 at a time
  const failures: string[] = [];
  const counts = new Map<string, Map<string, number>>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const perEndpoint = counts.get(c.endpoint) ?? new Map<string, number>();
        counts.set(c.endpoint, perEndpoint.set(c.category, (perEndpoint.get(c.category) ?? 0) + 1));
        try {
          const problem = refusalProblem(await send(c), c.expect);
          if (problem) failures.push(`${c.method} ${c.path.slice(0, 120)} [${c.category}] ${String(c.body ?? '').slice(0, 80)} -> ${problem}`);
        } catch (err) {
          failures.push(`${c.method} ${c.path.slice(0, 120)} [${c.category}] -> no answer: ${(err as Error).message}`);
        }
      }
    }),
  );

  const summary = Object.fromEntries([...counts].map(([e, m]) => [e, Object.fromEntries(m)]));
  const byCategory: Record<string, number> = {};
  for (const m of counts.values()) for (const [k, v] of m) byCategory[k] = (byCategory[k] ?? 0) + v;
  mkdirSync(join(repoRoot, 'tools', 'chaos', 'test-output'), { recursive: true });
  writeFileSync(join(repoRoot, 'tools', 'chaos', 'test-output', 'hostile-input.json'), `${JSON.stringify({ seed: SEED, total: cases.length, byCategory, byEndpoint: summary }, null, 2)}\n`);
  t.diagnostic(`hostile requests: ${cases.length}; by category ${JSON.stringify(byCategory)}`);

  await t.test('every malformed request is a 4xx problem+json with a code, never a 5xx', () => {
    assert.ok(cases.length >= 500, `only ${cases.length} cases`);
    for (const e of ['register', 'login', 'refresh', 'logout', '/me', 'jwks', 'challenge', 'history', 'export', 'votes/me', '/results', 'results/stream', '/votes', '/open', '/close', 'DELETE', 'PATCH'])
      assert.ok([...counts.keys()].some((k) => k.includes(e)), `no case for ${e}`);
    assert.deepEqual(failures.slice(0, 30), [], `${failures.length} of ${cases.length} answers were not proper refusals`);
  });

  // --- OWASP API Security Top 10 (2023)
  await t.test('API1 object-level authorization: votes/me shows only the caller\'s ballot; export by a voter is 403', async () => {
    const own = await call('GET', `/v1/elections/${demoId}/votes/me`, voterA);
    assert.equal(own.status, 200, own.body);
    assert.equal(own.json().receiptId, receiptA);
    const other = mint(['voter']);
    for (const path of [`/v1/elections/${demoId}/votes/me`, `/v1/elections/${demoId}/votes/me?voterId=${voterA.sub}`, `/v1/elections/${demoId}/votes/me?receiptId=${receiptA}`]) {
      const res = await call('GET', path, other);
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
      assert.equal(refusalProblem(res), undefined);
      assert.ok(!res.body.includes(receiptA), 'another voter\'s receipt leaked');
    }
    const res = await call('GET', `/v1/elections/${closedId}/export?format=json`, 'voter');
    assert.equal(res.status, 403);
    assert.equal(refusalProblem(res, [403]), undefined);
    assert.equal(JSON.parse(res.body).code, 'forbidden');
  });

  await t.test('API5 function-level authorization: every admin route is 403 for a voter and 401 anonymously', async () => {
    const adminRoutes: [string, string, unknown?][] = [
      ['POST', '/v1/elections', electionBody],
      ['PATCH', `/v1/elections/${draftId}`, { title: 'voter edit' }],
      ['DELETE', `/v1/elections/${draftId}`],
      ['POST', `/v1/elections/${draftId}/open`],
      ['POST', `/v1/elections/${demoId}/close`],
      ['GET', `/v1/elections/${demoId}/history`],
      ['GET', `/v1/elections/${closedId}/export?format=csv`],
      ['GET', `/v1/elections/${closedId}/export?format=json`],
    ];
    for (const [method, path, body] of adminRoutes) {
      const asVoter = await call(method, path, 'voter', body);
      assert.equal(refusalProblem(asVoter, [403]), undefined, `${method} ${path} as a voter`);
      const anonymous = await call(method, path, 'none', body);
      assert.equal(refusalProblem(anonymous, [401]), undefined, `${method} ${path} anonymously`);
      // A token that claims admin but is signed by an untrusted key.
      const forged = mintToken({ issuer: issuer.issuer, kid: issuer.kid, audience: AUDIENCE, key: newVoterKey().key.privateKey, sub: randomUUID(), jkt: 'x', roles: ['admin'], lifetimeSeconds: 600 });
      const res = await sendRaw(gw, { method, path, headers: { authorization: `DPoP ${forged}`, dpop: 'x', ...(body ? { 'content-type': json } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      assert.equal(refusalProblem(res, [401]), undefined, `${method} ${path} with a forged admin token`);
    }
    // A draft is invisible to voters, one by one and in lists.
    assert.equal((await call('GET', `/v1/elections/${draftId}`, 'voter')).status, 404);
    const list = (await call('GET', '/v1/elections?status=draft', 'voter')).json() as { items: { id: string }[] };
    assert.ok(!list.items.some((e) => e.id === draftId), 'a draft was listed for a voter');
  });

  await t.test('API4 unrestricted resource consumption: body and array limits, many SSE streams from one client', async () => {
    const big = await call('POST', '/v1/elections', 'admin', { ...electionBody, description: 'd'.repeat(20_000) });
    assert.equal(refusalProblem(big, [413]), undefined);
    assert.equal(JSON.parse(big.body).code, 'payload_too_large');
    const arrays = await call('POST', '/v1/elections', 'admin', manyOptions(51));
    assert.equal(refusalProblem(arrays, [400]), undefined);

    // Results has no per-client connection cap; what it promises is that each stream is bounded
    // (MAX_CLIENT_BUFFER_BYTES) and that many streams from one client do not break it.
    const streams = await Promise.all(Array.from({ length: 60 }, () => openStream(`${gw}/v1/elections/${demoId}/results/stream`)));
    for (const s of streams) {
      if (s.status === 200) assert.match(s.first, /event: results/);
      else assert.ok([429, 503].includes(s.status), `stream answered ${s.status}`);
    }
    assert.ok(streams.filter((s) => s.status === 200).length > 0, 'no stream was served');
    const meanwhile = await call('GET', `/v1/elections/${demoId}/results`, 'none');
    assert.equal(meanwhile.status, 200, 'results stopped answering while streams were open');
    const resultsUrl = stack.services.get('results')!.opsUrl;
    assert.equal((await fetch(`${resultsUrl}/healthz`)).status, 200);
    for (const s of streams) s.close();
    // The connections are released (the gauge returns to where it was).
    await waitFor('results to release the closed streams', async () => {
      const text = await (await fetch(`${resultsUrl}/metrics`)).text();
      const open = [...text.matchAll(/^results_connections_open\{[^}]*transport="sse"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
      return open === 0;
    }, { timeoutMs: 10_000 });
    const again = await openStream(`${gw}/v1/elections/${demoId}/results/stream`);
    again.close();
    assert.equal(again.status, 200);
  });

  await t.test('API3 mass assignment: status, roles, voterId, id, createdAt in bodies are refused and not stored', async () => {
    const mass: [string, string, Auth | ReturnType<typeof mint>, unknown, Record<string, string>?][] = [
      ['POST', '/v1/elections', 'admin', { ...electionBody, status: 'open' }],
      ['POST', '/v1/elections', 'admin', { ...electionBody, id: missingId }],
      ['POST', '/v1/elections', 'admin', { ...electionBody, createdAt: '2000-01-01T00:00:00Z' }],
      ['POST', '/v1/elections', 'admin', { ...electionBody, revision: 99 }],
      ['PATCH', `/v1/elections/${draftId}`, 'admin', { status: 'open' }],
      ['PATCH', `/v1/elections/${draftId}`, 'admin', { title: 'renamed', id: missingId }],
      ['PATCH', `/v1/elections/${draftId}`, 'admin', { title: 'renamed', createdAt: '2000-01-01T00:00:00Z' }],
      ['POST', `/v1/elections/${draftId}/open`, 'admin', { status: 'closed' }],
      ['POST', `/v1/elections/${demoId}/votes`, 'voter', { ...ballot, voterId: voterA.sub }, { 'idempotency-key': 'mass-1' }],
      ['POST', `/v1/elections/${demoId}/votes`, 'voter', { ...ballot, receiptId: receiptA }, { 'idempotency-key': 'mass-2' }],
      ['POST', `/v1/elections/${demoId}/votes`, 'voter', { ...ballot, status: 'counted', countedAt: '2000-01-01T00:00:00Z' }, { 'idempotency-key': 'mass-3' }],
      ['POST', `/v1/elections/${demoId}/votes`, 'voter', { selections: [{ ...ballot.selections[0], voterId: voterA.sub }] }, { 'idempotency-key': 'mass-4' }],
    ];
    for (const [method, path, auth, body, headers] of mass) {
      const res = await call(method, path, auth, body, headers);
      assert.equal(refusalProblem(res, [400]), undefined, `${method} ${path} ${JSON.stringify(body)}`);
    }
    // With a really solved challenge, so only the extra member is wrong.
    for (const extra of [{ roles: ['admin'] }, { voterId: missingId }, { id: missingId }, { createdAt: '2000-01-01T00:00:00Z' }]) {
      const challenge = await call('GET', '/v1/auth/challenge', 'none');
      assert.equal(challenge.status, 200);
      const altcha = await solveAltcha(challenge.json() as never);
      const email = `mass-${Object.keys(extra)[0]}@example.org`;
      const res = await call('POST', '/v1/auth/register', 'none', { email, password: 'correct horse battery', altcha, ...extra });
      assert.equal(refusalProblem(res, [400]), undefined, JSON.stringify(extra));
      const [row] = await sql`select count(*)::int as n from identity.voters where email = ${email}`;
      assert.equal(row!.n, 0, `a voter was registered with ${JSON.stringify(extra)}`);
    }
    const draft = (await call('GET', `/v1/elections/${draftId}`, 'admin')).json();
    assert.equal(draft.status, 'draft');
    assert.equal(draft.id, draftId);
  });

  await t.test('nothing changed: stored state and the demo election are as before', async () => {
    assert.deepEqual(await fingerprint(adminUrls), before);
    assert.equal((await call('GET', `/v1/elections/${demoId}`, 'none')).body, demoBefore);
    assert.equal((await call('GET', `/v1/elections/${draftId}`, 'admin')).body, draftBefore);
    const [admins] = await sql`select count(*)::int as n from identity.voters where 'admin' = any(roles)`;
    assert.equal(admins!.n, 1, 'an admin appeared');
    const results = (await call('GET', `/v1/elections/${demoId}/results`, 'none')).json();
    assert.equal(results.totalBallots, 1);
  });
});


/** Opens an SSE stream and waits for its status and, when 200, its first frame. */
function openStream(url: string): Promise<{ status: number; first: string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
      const close = () => req.destroy();
      if (res.statusCode !== 200) {
        res.resume();
        resolve({ status: res.statusCode ?? 0, first: '', close });
        return;
      }
      let seen = '';
      res.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        if (seen.includes('event: results')) resolve({ status: 200, first: seen, close });
      });
      res.on('error', () => {});
    });
    req.on('error', reject);
    req.end();
  });
}
