/**
 * A voter roll end to end on the whole stack (issue 16): a roll of 1,000,000 lines uploaded
 * through the gateway, with ballot's and identity's memory sampled during the upload; then enforced on the next
 * votes: a verified voter on it votes, a verified voter not on it and an unverified one are refused.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { startTestStack, testInfra, waitFor } from '@onevote/stack/testing';
import { isSession, PublicApi, type Session } from '../src/public-api.ts';

const stack = await startTestStack({ seed: true });
after(() => stack.stop());
const api = new PublicApi(stack.gatewayUrl);
const mailDir = (await testInfra()).mailDir!;

/** Resident memory of a service process now (VmRSS), in MiB. */
function rssMiB(service: 'ballot' | 'identity'): number {
  const status = readFileSync(`/proc/${stack.services.get(service)!.process.pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

function codeMailedTo(email: string): string | undefined {
  for (const name of readdirSync(mailDir).filter((n) => n.endsWith('.eml'))) {
    const text = readFileSync(join(mailDir, name), 'utf8');
    if (!new RegExp(`^To: .*${email.replace(/[.+]/g, '\\$&')}`, 'im').test(text)) continue;
    const code = /^Subject: (\d{6}) is your OneVote verification code/im.exec(text)?.[1];
    if (code) return code;
  }
  return undefined;
}

let n = 0;
/** A registered voter, signed in; with `verified`, the address proven with the mailed code and signed in again. */
async function aVoter(verified: boolean): Promise<{ email: string; ip: string; session: Session }> {
  const ip = `198.51.100.${++n}`;
  const email = `roll-voter-${n}-${Date.now()}@example.org`;
  const password = `roll-password-${n}-x`;
  assert.equal((await api.register(ip, email, password)).status, 201);
  let session = await api.login(ip, email, password);
  assert.ok(isSession(session));
  if (verified) {
    assert.equal((await session.call('POST', '/v1/auth/email/verification')).status, 202);
    let code: string | undefined;
    await waitFor(`a code mailed to ${email}`, () => (code = codeMailedTo(email)) !== undefined);
    assert.equal((await session.call('POST', '/v1/auth/email/verify', { code })).status, 200);
    session = await api.login(ip, email, password);
    assert.ok(isSession(session));
  }
  return { email, ip, session };
}

describe('a voter roll of 1,000,000 lines', () => {
  test('uploads through the API in bounded memory and is enforced on the next votes', async () => {
    const admin = await api.login('127.0.0.1', stack.admin.email, stack.admin.password);
    assert.ok(isSession(admin));
    const created = await admin.call('POST', '/v1/elections', {
      title: 'Members only',
      eligibility: 'roll',
      questions: [{ title: 'Which?', options: [{ label: 'A' }, { label: 'B' }] }],
      resultsVisibility: 'live',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = String(created.body.id);
    const q = (created.body.questions as { id: string; options: { id: string }[] }[])[0]!;
    const election = { id, questionId: q.id, optionId: q.options[0]!.id };
    assert.equal((await admin.call('POST', `/v1/elections/${id}/open`)).status, 200);

    const member = await aVoter(true);
    const outsider = await aVoter(true);
    const unverified = await aVoter(false);

    // 1,000,000 lines after the header: 999,990 generated addresses, the two voters (one in capitals,
    // as a spreadsheet might have it), 5 repeats and 3 lines that are not addresses.
    const generated = 999_990;
    async function* csv() {
      yield 'email\n';
      const lines: string[] = [];
      for (let i = 0; i < generated; i++) {
        lines.push(`member-${i}@roll.example.org`);
        if (lines.length === 10_000) yield `${lines.splice(0).join('\n')}\n`;
      }
      yield `${lines.join('\n')}\n`;
      yield `${member.email.toUpperCase()}\n ${unverified.email} \n`;
      yield 'member-1@roll.example.org\nMember-2@roll.example.org\nmember-3@roll.example.org\nmember-4@roll.example.org\nmember-5@roll.example.org\n';
      yield 'not an address\n"quoted, with a comma"\nnobody@\n';
    }
    const url = `${stack.gatewayUrl}/v1/elections/${id}/roll`;
    const baseline = { ballot: rssMiB('ballot'), identity: rssMiB('identity') };
    const peak = { ...baseline };
    const sampler = setInterval(() => {
      for (const s of ['ballot', 'identity'] as const) peak[s] = Math.max(peak[s], rssMiB(s));
    }, 50);
    const started = Date.now();
    const res = await fetch(url, {
      method: 'PUT',
      headers: { ...(await admin.key.headers('PUT', url, admin.token)), 'content-type': 'text/csv' },
      body: Readable.toWeb(Readable.from(csv())),
      duplex: 'half',
    } as RequestInit);
    const body = await res.json();
    const seconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body, { size: generated + 2, added: generated + 2, invalid: 3 });
    process.stdout.write(
      `# roll upload: 1,000,000 lines in ${seconds.toFixed(1)} s; RSS ballot ${baseline.ballot.toFixed(0)} -> peak ${peak.ballot.toFixed(0)} MiB, identity ${baseline.identity.toFixed(0)} -> ${peak.identity.toFixed(0)} MiB\n`,
    );
    // What the upload costs each process, over what it held before (a service run through tsx holds
    // its transpiler too: ballot idles at ~170 MiB; see docs/benchmarks.md).
    assert.ok(peak.ballot - baseline.ballot < 150, `ballot grew by ${peak.ballot - baseline.ballot} MiB`);
    assert.ok(peak.identity - baseline.identity < 150, `identity grew by ${peak.identity - baseline.identity} MiB`);

    await waitFor('the election open at vote-api', async () => (await api.call('GET', `/v1/elections/${id}/results`, { ip: '127.0.0.1' })).body.status === 'open');
    const counted = await api.vote(member.ip, member.session, election);
    assert.equal(counted.status, 201, JSON.stringify(counted.body));
    const notOnRoll = await api.vote(outsider.ip, outsider.session, election);
    assert.equal(notOnRoll.status, 403);
    assert.equal(notOnRoll.body.code, 'not_eligible');
    const notVerified = await api.vote(unverified.ip, unverified.session, election);
    assert.equal(notVerified.status, 403);
    assert.equal(notVerified.body.code, 'email_not_verified');

    assert.deepEqual((await admin.call('GET', `/v1/elections/${id}/roll`)).body, { size: generated + 2, voted: 1 });
  });
});
