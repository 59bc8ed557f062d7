import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestVoter, TokenIssuer } from '@onevote/auth/client';
import { freshDatabase, uniqueName, waitFor } from '@onevote/stack/testing';
import { anAdmin, anElection, aPlainVoter, client, type RunningBallot, startBallot } from './support.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('elections API (API.md, Elections)', () => {
  let issuer: TokenIssuer;
  let ballot: RunningBallot;
  let call: ReturnType<typeof client>;
  let admin: TestVoter;
  let voter: TestVoter;

  before(async () => {
    issuer = await TokenIssuer.start();
    const db = await freshDatabase();
    ballot = await startBallot({ databaseUrl: db.urls.ballot!, bucket: uniqueName('elections'), issuer });
    call = client(ballot.base);
    admin = await anAdmin(issuer);
    voter = await aPlainVoter(issuer);
  });
  after(async () => {
    await ballot?.stop();
    await issuer?.stop();
  });

  const create = async (overrides: Record<string, unknown> = {}) => {
    const res = await call('POST', '/v1/elections', { as: admin, body: anElection(overrides) });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };

  test('an admin creates a draft: UUIDs for it, its questions and options; trimmed text; defaults', async () => {
    const res = await call('POST', '/v1/elections', {
      as: admin,
      body: anElection({ title: '  Board election  ', resultsVisibility: undefined }),
    });
    assert.equal(res.status, 201, res.text);
    const e = res.body;
    assert.match(e.id, uuid);
    assert.equal(e.title, 'Board election');
    assert.equal(e.status, 'draft');
    assert.equal(e.resultsVisibility, 'live');
    assert.equal(e.requireChallenge, false);
    assert.equal(e.eligibility, 'open');
    assert.equal(e.opensAt, null);
    assert.equal(e.revision, 1);
    assert.ok(!Number.isNaN(Date.parse(e.createdAt)));
    assert.equal(e.questions[0].minSelections, 1);
    assert.equal(e.questions[0].maxSelections, 1);
    assert.equal(e.questions[1].maxSelections, 2);
    for (const q of e.questions) {
      assert.match(q.id, uuid);
      for (const o of q.options) assert.match(o.id, uuid);
    }
  });

  test('invalid definitions are refused with 400 invalid_request and nothing is stored', async () => {
    const before = (await call('GET', '/v1/elections', { as: admin })).body.items.length;
    const q = (o: Record<string, unknown>) => [
      { title: 'Q', options: [{ label: 'a' }, { label: 'b' }], ...o },
    ];
    const invalid: [string, unknown][] = [
      ['no questions', anElection({ questions: [] })],
      ['one option', anElection({ questions: q({ options: [{ label: 'only' }] }) })],
      ['min > max', anElection({ questions: q({ minSelections: 2, maxSelections: 1 }) })],
      ['max > options', anElection({ questions: q({ maxSelections: 3 }) })],
      ['missing title', { ...anElection(), title: undefined }],
      ['blank title', anElection({ title: '   ' })],
      ['blank option label', anElection({ questions: q({ options: [{ label: ' ' }, { label: 'b' }] }) })],
      [
        'duplicate option labels',
        anElection({ questions: q({ options: [{ label: 'a' }, { label: 'a ' }] }) }),
      ],
      ['unknown visibility', anElection({ resultsVisibility: 'sometimes' })],
      ['unknown eligibility', anElection({ eligibility: 'everyone' })],
      ['eligibility not a string', anElection({ eligibility: true })],
      ['unknown field', anElection({ colour: 'red' })],
      ['title too long', anElection({ title: 'x'.repeat(201) })],
      [
        'closes before it opens',
        anElection({ opensAt: '2099-01-02T00:00:00Z', closesAt: '2099-01-01T00:00:00Z' }),
      ],
      ['closes in the past', anElection({ closesAt: '2001-01-01T00:00:00Z' })],
      ['not a time', anElection({ opensAt: 'tomorrow' })],
    ];
    for (const [why, body] of invalid) {
      const res = await call('POST', '/v1/elections', { as: admin, body });
      assert.equal(res.status, 400, `${why}: ${res.text}`);
      assert.equal(res.body.code, 'invalid_request', why);
      assert.match(res.headers.get('content-type')!, /application\/problem\+json/);
    }
    const malformed = await call('POST', '/v1/elections', {
      as: admin,
      headers: { 'content-type': 'application/json' },
      body: undefined,
    });
    assert.equal(malformed.status, 400);
    assert.equal((await call('GET', '/v1/elections', { as: admin })).body.items.length, before);
  });

  test('writes need a valid DPoP-bound token (401) with the admin role (403)', async () => {
    const e = await create();
    const writes: [string, string, unknown?][] = [
      ['POST', '/v1/elections', anElection()],
      ['PATCH', `/v1/elections/${e.id}`, { title: 'x' }],
      ['DELETE', `/v1/elections/${e.id}`],
      ['POST', `/v1/elections/${e.id}/open`],
      ['POST', `/v1/elections/${e.id}/close`],
      ['GET', `/v1/elections/${e.id}/history`],
      ['GET', `/v1/elections/${e.id}/export`],
    ];
    for (const [method, path, body] of writes) {
      const anonymous = await call(method, path, { body });
      assert.equal(anonymous.status, 401, `${method} ${path}`);
      assert.equal(anonymous.body.code, 'invalid_token');
      const bearer = await call(method, path, { body, headers: { authorization: `Bearer ${admin.token}` } });
      assert.equal(bearer.status, 401, `${method} ${path} bearer`);
      const notAdmin = await call(method, path, { as: voter, body });
      assert.equal(notAdmin.status, 403, `${method} ${path} voter`);
      assert.equal(notAdmin.body.code, 'forbidden');
    }
    // A replayed proof is refused even with the admin's token.
    const url = `${ballot.base}/v1/elections/${e.id}/open`;
    const headers = await admin.headers('POST', url);
    const replay = await fetch(url, { method: 'POST', headers });
    const again = await fetch(url, { method: 'POST', headers });
    assert.equal(replay.status, 200);
    assert.equal(again.status, 401);
    assert.equal(((await again.json()) as { code: string }).code, 'invalid_dpop_proof');
  });

  test('a draft is visible to admins only: 404 to anyone else, and left out of their lists', async () => {
    const draft = await create();
    assert.equal((await call('GET', `/v1/elections/${draft.id}`, { as: admin })).status, 200);
    const anonymous = await call('GET', `/v1/elections/${draft.id}`);
    assert.equal(anonymous.status, 404);
    assert.equal(anonymous.body.code, 'not_found');
    assert.equal((await call('GET', `/v1/elections/${draft.id}`, { as: voter })).status, 404);
    const publicList = (await call('GET', '/v1/elections')).body.items as { id: string }[];
    assert.ok(!publicList.some((x) => x.id === draft.id));
    const adminList = (await call('GET', '/v1/elections', { as: admin })).body.items as { id: string }[];
    assert.ok(adminList.some((x) => x.id === draft.id));
    // Same answer for a draft, a missing id and a malformed id: no way to probe for drafts.
    assert.equal((await call('GET', '/v1/elections/7d0e2a4e-1111-4a6b-9c1d-2f0e8a1b3c4d')).status, 404);
    assert.equal((await call('GET', '/v1/elections/not-a-uuid')).status, 400);
  });

  test('open then close: 200 with the new status for anyone to read; wrong transitions are 409', async () => {
    const e = await create();
    const closeDraft = await call('POST', `/v1/elections/${e.id}/close`, { as: admin });
    assert.equal(closeDraft.status, 409);
    assert.equal(closeDraft.body.code, 'invalid_transition');

    const opened = await call('POST', `/v1/elections/${e.id}/open`, { as: admin });
    assert.equal(opened.status, 200, opened.text);
    assert.equal(opened.body.status, 'open');
    assert.equal(opened.body.revision, 2);
    assert.equal((await call('GET', `/v1/elections/${e.id}`)).body.status, 'open');
    const openList = (await call('GET', '/v1/elections?status=open')).body.items as { id: string }[];
    assert.ok(openList.some((x) => x.id === e.id));
    assert.equal((await call('POST', `/v1/elections/${e.id}/open`, { as: admin })).status, 409);

    const closed = await call('POST', `/v1/elections/${e.id}/close`, { as: admin });
    assert.equal(closed.status, 200);
    assert.equal(closed.body.status, 'closed');
    const reopen = await call('POST', `/v1/elections/${e.id}/open`, { as: admin });
    assert.equal(reopen.status, 409);
    assert.equal(reopen.body.code, 'invalid_transition');
    assert.equal((await call('POST', `/v1/elections/${e.id}/close`, { as: admin })).status, 409);

    const missing = await call('POST', '/v1/elections/7d0e2a4e-1111-4a6b-9c1d-2f0e8a1b3c4d/open', {
      as: admin,
    });
    assert.equal(missing.status, 404);
    assert.equal((await call('GET', '/v1/elections?status=bogus')).status, 400);
  });

  test('opening and closing by hand pin opensAt and closesAt to the moment, and the history says so (issue 14, item 14)', async () => {
    const inAnHour = new Date(Date.now() + 3600_000).toISOString();
    const inADay = new Date(Date.now() + 86_400_000).toISOString();
    const e = await create({ opensAt: inAnHour, closesAt: inADay });
    const before = Date.now();
    const opened = await call('POST', `/v1/elections/${e.id}/open`, { as: admin });
    assert.equal(opened.status, 200);
    assert.ok(Date.parse(opened.body.opensAt) <= Date.now() && Date.parse(opened.body.opensAt) >= before - 1000, opened.body.opensAt);
    assert.equal(opened.body.closesAt, inADay, 'opening keeps the scheduled close');
    const closed = await call('POST', `/v1/elections/${e.id}/close`, { as: admin });
    assert.ok(Date.parse(closed.body.closesAt) <= Date.now(), 'a vote-api that missed the close stops taking ballots by the time');
    const history = (await call('GET', `/v1/elections/${e.id}/history`, { as: admin })).body.items as {
      action: string;
      changes: Record<string, { from: unknown; to: unknown }>;
    }[];
    const open = history.find((h) => h.action === 'open')!;
    assert.deepEqual(open.changes.opensAt, { from: inAnHour, to: opened.body.opensAt });
    const close = history.find((h) => h.action === 'close')!;
    assert.deepEqual(close.changes.closesAt, { from: inADay, to: closed.body.closesAt });
  });

  test('PATCH changes a draft only (409 not_draft after open) and keeps what it does not mention', async () => {
    const e = await create();
    const patched = await call('PATCH', `/v1/elections/${e.id}`, {
      as: admin,
      body: { title: ' Renamed ', requireChallenge: true },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.title, 'Renamed');
    assert.equal(patched.body.requireChallenge, true);
    assert.deepEqual(patched.body.questions, e.questions);
    assert.equal(patched.body.revision, 2);

    const bad = await call('PATCH', `/v1/elections/${e.id}`, {
      as: admin,
      body: { questions: [{ title: 'Q', options: [{ label: 'only' }] }] },
    });
    assert.equal(bad.status, 400);
    assert.equal((await call('PATCH', `/v1/elections/${e.id}`, { as: admin, body: {} })).status, 400);

    await call('POST', `/v1/elections/${e.id}/open`, { as: admin });
    const late = await call('PATCH', `/v1/elections/${e.id}`, { as: admin, body: { title: 'Too late' } });
    assert.equal(late.status, 409);
    assert.equal(late.body.code, 'not_draft');
    const missing = await call('PATCH', '/v1/elections/7d0e2a4e-1111-4a6b-9c1d-2f0e8a1b3c4d', {
      as: admin,
      body: { title: 'x' },
    });
    assert.equal(missing.status, 404);
  });

  test('DELETE removes a draft (204, then 404); an open election is 409 not_draft', async () => {
    const draft = await create();
    const removed = await call('DELETE', `/v1/elections/${draft.id}`, { as: admin });
    assert.equal(removed.status, 204);
    assert.equal((await call('GET', `/v1/elections/${draft.id}`, { as: admin })).status, 404);
    assert.equal((await call('DELETE', `/v1/elections/${draft.id}`, { as: admin })).status, 404);

    const open = await create();
    await call('POST', `/v1/elections/${open.id}/open`, { as: admin });
    const refused = await call('DELETE', `/v1/elections/${open.id}`, { as: admin });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'not_draft');
  });

  test('history records who did what, when: create, edit, open, close, delete', async () => {
    const e = await create();
    await call('PATCH', `/v1/elections/${e.id}`, { as: admin, body: { title: 'Edited' } });
    await call('POST', `/v1/elections/${e.id}/open`, { as: admin });
    await call('POST', `/v1/elections/${e.id}/close`, { as: admin });
    const res = await call('GET', `/v1/elections/${e.id}/history`, { as: admin });
    assert.equal(res.status, 200);
    const items = res.body.items as {
      at: string;
      actor: string;
      action: string;
      changes: Record<string, unknown>;
    }[];
    assert.deepEqual(
      items.map((i) => i.action),
      ['create', 'edit', 'open', 'close'],
    );
    for (const i of items) {
      assert.equal(i.actor, admin.voterId);
      assert.ok(!Number.isNaN(Date.parse(i.at)));
    }
    assert.deepEqual(items[1]!.changes.title, { from: 'Board election 2026', to: 'Edited' });
    assert.deepEqual(items[2]!.changes.status, { from: 'draft', to: 'open' });

    const draft = await create();
    await call('DELETE', `/v1/elections/${draft.id}`, { as: admin });
    const deleted = await call('GET', `/v1/elections/${draft.id}/history`, { as: admin });
    assert.deepEqual(
      (deleted.body.items as { action: string }[]).map((i) => i.action),
      ['create', 'delete'],
    );
    assert.equal(
      (await call('GET', '/v1/elections/7d0e2a4e-1111-4a6b-9c1d-2f0e8a1b3c4d/history', { as: admin })).status,
      404,
    );
  });

  test('every change reaches the KV bucket with its status and revision; a delete removes the key', async () => {
    const e = await create();
    const revisionInKv = async () =>
      (await ballot.kv.get(e.id))?.json<{ revision: number; status: string }>();
    await waitFor('draft in KV', async () => (await revisionInKv())?.revision === 1, { timeoutMs: 5000 });
    await call('POST', `/v1/elections/${e.id}/open`, { as: admin });
    await waitFor('open in KV', async () => (await revisionInKv())?.status === 'open', { timeoutMs: 5000 });
    const stored = await revisionInKv();
    assert.equal(stored?.revision, 2);

    const draft = await create();
    await waitFor('draft in KV', async () => (await ballot.kv.get(draft.id))?.operation === 'PUT', {
      timeoutMs: 5000,
    });
    await call('DELETE', `/v1/elections/${draft.id}`, { as: admin });
    await waitFor('key deleted', async () => (await ballot.kv.get(draft.id))?.operation === 'DEL', {
      timeoutMs: 5000,
    });
  });

  describe('eligibility (API.md, Eligibility and verified identity)', () => {
    test('each value is kept at creation, read back by get and list, and published in the KV config', async () => {
      for (const eligibility of ['open', 'verified_email', 'roll']) {
        const e = await create({ eligibility });
        assert.equal(e.eligibility, eligibility);
        assert.equal((await call('GET', `/v1/elections/${e.id}`, { as: admin })).body.eligibility, eligibility);
        const listed = (await call('GET', '/v1/elections', { as: admin })).body.items.find((i: { id: string }) => i.id === e.id);
        assert.equal(listed.eligibility, eligibility);
        await waitFor(`${eligibility} in the KV config`, async () => (await ballot.kv.get(e.id))?.json<{ eligibility: string }>().eligibility === eligibility, {
          timeoutMs: 5000,
        });
      }
    });

    test('it is patched in a draft (history and KV follow); once open, patching it is 409 not_draft and changes nothing', async () => {
      const e = await create();
      const patched = await call('PATCH', `/v1/elections/${e.id}`, { as: admin, body: { eligibility: 'verified_email' } });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.eligibility, 'verified_email');
      assert.equal(patched.body.title, e.title, 'the rest is kept');
      const history = (await call('GET', `/v1/elections/${e.id}/history`, { as: admin })).body.items;
      assert.deepEqual(history.at(-1).changes, { eligibility: { from: 'open', to: 'verified_email' } });
      const invalid = await call('PATCH', `/v1/elections/${e.id}`, { as: admin, body: { eligibility: 'anyone' } });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.code, 'invalid_request');

      const opened = await call('POST', `/v1/elections/${e.id}/open`, { as: admin });
      assert.equal(opened.body.eligibility, 'verified_email');
      await waitFor('the open election in KV', async () => (await ballot.kv.get(e.id))?.json<{ status: string }>().status === 'open', {
        timeoutMs: 5000,
      });
      const late = await call('PATCH', `/v1/elections/${e.id}`, { as: admin, body: { eligibility: 'open' } });
      assert.equal(late.status, 409);
      assert.equal(late.body.code, 'not_draft');
      const after = (await call('GET', `/v1/elections/${e.id}`, { as: admin })).body;
      assert.equal(after.eligibility, 'verified_email');
      assert.equal(after.revision, opened.body.revision);
      assert.equal((await ballot.kv.get(e.id))?.json<{ eligibility: string }>().eligibility, 'verified_email');
    });
  });
});
