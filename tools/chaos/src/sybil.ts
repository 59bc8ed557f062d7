/**
 * The Sybil run (issue 16): one script registers N accounts from one IPv6 /64 and votes with each,
 * against a stack with default settings (nothing raised, unlike the bench), in an `open` election and
 * in a `verified_email` one. It never reads a mailbox, so it cannot verify an address: the second
 * election must count none of its ballots.
 *
 *   npm run sybil -- [--accounts 500] [--concurrency 4]
 *
 * Prints per-outcome counts and one JSON line. The clients' addresses reach the services through the
 * gateway's X-Forwarded-For, as a farm behind one provider's /64 would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { killChildrenOnSignal, startStack, waitFor } from '@onevote/stack';
import { type Answer, isSession, PublicApi } from './public-api.ts';

const { values } = parseArgs({ options: { accounts: { type: 'string', default: '500' }, concurrency: { type: 'string', default: '4' } } });
const accounts = Number(values.accounts);
const concurrency = Number(values.concurrency);
const prefix = '2001:db8:5b1:7a00::';

killChildrenOnSignal();
const dir = mkdtempSync(join(tmpdir(), 'onevote-sybil-'));
const stack = await startStack({ dir, portMode: 'random', logTo: 'files', logLevel: 'warn' });
const base = stack.gatewayUrl;
const counts = new Map<string, number>();
const count = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1);

const api = new PublicApi(base);

// Two elections, as the seeded admin.
const admin = await api.login('127.0.0.1', stack.admin.email, stack.admin.password);
if (!isSession(admin)) throw new Error(`admin login: ${admin.status} ${JSON.stringify(admin.body)}`);
const asAdmin = (method: string, path: string, body?: unknown) => admin.call(method, path, body);
const elections: Record<string, { id: string; questionId: string; optionId: string }> = {};
for (const eligibility of ['open', 'verified_email']) {
  const created = await asAdmin('POST', '/v1/elections', {
    title: `Sybil run (${eligibility})`,
    eligibility,
    questions: [{ title: 'Which?', options: [{ label: 'A' }, { label: 'B' }] }],
    resultsVisibility: 'live',
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
  const q = (created.body.questions as { id: string; options: { id: string }[] }[])[0]!;
  await asAdmin('POST', `/v1/elections/${created.body.id}/open`);
  elections[eligibility] = { id: String(created.body.id), questionId: q.id, optionId: q.options[0]!.id };
}
// Both opens reach vote-api and results through NATS KV.
for (const e of Object.values(elections)) {
  await waitFor('the election open everywhere', async () => (await api.call('GET', `/v1/elections/${e.id}/results`, { ip: '127.0.0.1' })).body.status === 'open');
}

async function oneAccount(i: number) {
  const ip = `${prefix}${(i + 1).toString(16)}`;
  const email = `sybil-${i}-${Date.now()}@example.org`;
  const password = `sybil-password-${i}-x`;
  const registered = await api.register(ip, email, password);
  count(`register ${registered.status}${registered.body.code ? ` ${registered.body.code}` : ''}`);
  if (registered.status !== 201) return;
  const session = await api.login(ip, email, password);
  count(`login ${isSession(session) ? 200 : session.status}`);
  if (!isSession(session)) return;
  for (const [eligibility, e] of Object.entries(elections)) {
    const answer = await api.vote(ip, session, e);
    count(`vote ${eligibility} ${answer.status}${answer.body.code ? ` ${answer.body.code}` : ''}`);
  }
}

const started = Date.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < accounts) {
      const i = next++;
      await oneAccount(i).catch((err: Error & { answer?: Answer }) => count(`error ${err.answer?.status ?? err.message}`));
      if ((i + 1) % 50 === 0) process.stderr.write(`[sybil] ${i + 1} accounts, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    }
  }),
);

const tallies: Record<string, number> = {};
for (const [eligibility, e] of Object.entries(elections)) {
  const results = await api.call('GET', `/v1/elections/${e.id}/results`, { ip: '127.0.0.1' });
  tallies[eligibility] = Number(results.body.totalBallots ?? -1);
}
const summary = { accounts, subnet: `${prefix}/64`, seconds: Math.round((Date.now() - started) / 1000), outcomes: Object.fromEntries([...counts].sort()), counted: tallies };
for (const [k, v] of [...counts].sort()) process.stdout.write(`${k.padEnd(44)} ${v}\n`);
process.stdout.write(`counted: open ${tallies.open}, verified_email ${tallies.verified_email}\n${JSON.stringify(summary)}\n`);
await stack.stop();
rmSync(dir, { recursive: true, force: true });
