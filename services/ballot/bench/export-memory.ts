/**
 * Memory of the ballot service while it streams the export of a closed election with many ballots.
 * The ballot service runs as its own process; its RSS is sampled from /proc every 10 ms.
 *   npm run bench:export --workspace services/ballot   [BALLOTS=100000 FORMAT=csv|json]
 */
import { fileURLToPath } from 'node:url';
import { aVoter } from '@onevote/auth/client';
import { createLogger, createPostgres, migrate } from '@onevote/platform';
import { benchEnvironment, rssMiB } from './harness.ts';

const ballots = Number(process.env.BALLOTS ?? 100_000);
const formats = (process.env.FORMAT ?? 'csv,json').split(',');
const env = await benchEnvironment();
const pid = env.ballot.pid!;
const admin = await aVoter(env.issuer, ['admin']);
const call = async (method: string, path: string, body?: unknown) => {
  const url = `${env.base}${path}`;
  const res = await fetch(url, {
    method,
    headers: {
      ...(await admin.headers(method, url)),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
};

const votes = createPostgres(env.urls['vote-api']!, { applicationName: 'bench', max: 1 });
await migrate(votes, {
  schema: 'votes',
  dir: fileURLToPath(new URL('../../vote-api/migrations', import.meta.url)),
  logger: createLogger('bench', 'warn'),
});
const election = (await (
  await call('POST', '/v1/elections', {
    title: 'Export bench',
    questions: [{ title: 'Q', maxSelections: 2, options: [{ label: 'a' }, { label: 'b' }, { label: 'c' }] }],
  })
).json()) as { id: string; questions: { id: string; options: { id: string }[] }[] };
await call('POST', `/v1/elections/${election.id}/open`);
const q = election.questions[0]!;
await votes`
  insert into votes.ballots (election_id, voter_id, receipt_id, idempotency_key, selections)
  select ${election.id}, 'voter-' || i, gen_random_uuid(), 'k' || i,
         jsonb_build_array(jsonb_build_object('questionId', ${q.id}::text,
           'optionIds', jsonb_build_array(${q.options[0]!.id}::text, ${q.options[1]!.id}::text)))
    from generate_series(1, ${ballots}) i`;
await votes.end();
await call('POST', `/v1/elections/${election.id}/close`);

for (const format of formats) {
  const before = rssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid));
  }, 10);
  const started = performance.now();
  const res = await call('GET', `/v1/elections/${election.id}/export?format=${format}`);
  let bytes = 0;
  let newlines = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { value: chunk, done } = await reader.read();
    if (done) break;
    bytes += chunk.length;
    for (const b of chunk) if (b === 10) newlines++;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  console.log(
    `${format}: ${ballots} ballots, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${seconds.toFixed(2)} s (${newlines} lines); ballot RSS before ${before.toFixed(1)} MiB, peak during ${peak.toFixed(1)} MiB (+${(peak - before).toFixed(1)}), VmHWM ${rssMiB(pid, 'VmHWM').toFixed(1)} MiB`,
  );
}
await env.stop();
process.exit(0);
