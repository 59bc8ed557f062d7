/**
 * The admin operations view against the whole stack, through the gateway: figures read from the
 * services' own metrics move when ballots are cast (counted and already_voted rise, in the overall
 * and the per-election view), the SSE stream sends its history then a frame a second, one scrape
 * loop serves every viewer, and non-admins or unknown elections get problem+json refusals.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import {
  accessTokenHash,
  audienceOnOneAddress,
  BenchIssuer,
  createOpenElection,
  dpopProof,
  mintToken,
  newVoterKey,
} from '@onevote/bench';
import { waitFor } from '@onevote/stack';
import { startTestStack } from '@onevote/stack/testing';

type Outcomes = Record<'counted' | 'already_voted' | 'rate_limited' | 'denied' | 'challenged', number>;

interface Snapshot {
  electionId: string | null;
  at: string;
  ballotsPerSecond: number;
  requestsPerSecond: number;
  outcomesPerSecond: Outcomes;
  outcomeTotals: Outcomes;
  latencyP99Seconds: number | null;
  commitQueueDepth: number;
  commitBatchSize: number | null;
  sseViewers: number;
  wsViewers: number;
  relayLagP99Seconds: number | null;
  auditLagP99Seconds: number | null;
  frameLagP99Seconds: number | null;
  sources: { service: string; up: boolean }[];
  elections?: { electionId: string; ballotsPerSecond: number; requestsPerSecond: number }[];
}

/** Polls until `probe` gives a value (not a fixed sleep); its value. */
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, options?: { timeoutMs?: number; intervalMs?: number }): Promise<T> {
  let found: T | undefined;
  await waitFor(what, async () => (found = await probe()) !== undefined, options);
  return found!;
}

/** Reads `event:` frames of an SSE body as they come. */
class Frames {
  readonly frames: { event: string; data: unknown }[] = [];
  private readonly abort = new AbortController();
  status = 0;

  static async open(url: string, headers: Record<string, string>): Promise<Frames> {
    const self = new Frames();
    const res = await fetch(url, { headers, signal: self.abort.signal });
    self.status = res.status;
    assert.equal(res.status, 200, await (res.status === 200 ? Promise.resolve('') : res.text()));
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    void self.read(res.body!);
    return self;
  }

  private async read(body: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    const reader = body.getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) this.frames.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted
    }
  }

  snapshots(): Snapshot[] {
    return this.frames.filter((f) => f.event === 'operations').map((f) => f.data as Snapshot);
  }

  close() {
    this.abort.abort();
  }
}

test('the operations view counts ballots by outcome from the services’ metrics, admin-only', { timeout: 180_000 }, async (t) => {
  const issuer = await BenchIssuer.start();
  t.after(() => issuer.stop());
  const stack = await startTestStack({ extraIssuers: [issuer.trustEntry], extraEnv: { ...audienceOnOneAddress } });
  const gw = stack.gatewayUrl;

  const mint = (roles: string[]) => {
    const { key } = newVoterKey();
    const token = mintToken({
      issuer: issuer.issuer,
      kid: issuer.kid,
      audience: 'onevote',
      key: issuer.privateKey,
      sub: randomUUID(),
      jkt: key.jkt,
      roles,
      lifetimeSeconds: 600,
    });
    return (method: string, path: string) => ({
      authorization: `DPoP ${token}`,
      dpop: dpopProof(key, method, `${gw}${path}`, accessTokenHash(token)),
    });
  };
  const admin = mint(['admin']);
  const get = async (path: string, auth = admin) => {
    const res = await fetch(`${gw}${path}`, { headers: auth('GET', path) });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> };
  };
  const snapshot = async (path: string) => {
    const res = await get(path);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as unknown as Snapshot;
  };

  const election = await createOpenElection(gw, issuer);
  const other = await createOpenElection(gw, issuer);
  const electionPath = `/v1/elections/${election.id}/operations`;

  await t.test('a non-admin gets 403, no token 401, an unknown election 404, a malformed id 400: problem+json', async () => {
    const voter = mint(['voter']);
    for (const path of ['/v1/admin/operations', '/v1/admin/operations/stream', electionPath, `${electionPath}/stream`]) {
      const forbidden = await get(path, voter);
      assert.equal(forbidden.status, 403, path);
      assert.match(forbidden.type, /^application\/problem\+json/);
      assert.equal(forbidden.body.code, 'forbidden');
      const anonymous = await fetch(`${gw}${path}`);
      assert.equal(anonymous.status, 401, path);
      assert.match(anonymous.headers.get('content-type') ?? '', /^application\/problem\+json/);
    }
    for (const path of [`/v1/elections/${randomUUID()}/operations`, `/v1/elections/${randomUUID()}/operations/stream`]) {
      const missing = await get(path);
      assert.equal(missing.status, 404, path);
      assert.match(missing.type, /^application\/problem\+json/);
      assert.equal(missing.body.code, 'not_found');
    }
    const malformed = await get('/v1/elections/not-a-uuid/operations');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'invalid_request');
  });

  await t.test('every service is read, and an idle election shows nothing counted', async () => {
    const overall = await snapshot('/v1/admin/operations');
    assert.equal(overall.electionId, null);
    assert.deepEqual(
      overall.sources.map((s) => `${s.service}:${s.up}`).sort(),
      ['audit:true', 'relay:true', 'results:true', 'vote-api:true'],
    );
    const idle = await snapshot(electionPath);
    assert.equal(idle.electionId, election.id);
    assert.equal(idle.outcomeTotals.counted, 0);
    assert.equal(idle.ballotsPerSecond, 0);
  });

  await t.test('cast ballots and a duplicate: counted and already_voted rise, in the stream too', async () => {
    const stream = await Frames.open(`${gw}${electionPath}/stream`, admin('GET', `${electionPath}/stream`));
    const overallStream = await Frames.open(`${gw}/v1/admin/operations/stream`, admin('GET', '/v1/admin/operations/stream'));
    t.after(() => {
      stream.close();
      overallStream.close();
    });
    await waitFor('the history frame', () => stream.frames.some((f) => f.event === 'history'), { timeoutMs: 10_000 });
    assert.equal(stream.frames[0]!.event, 'history');

    const before = await snapshot('/v1/admin/operations');
    const votes = `/v1/elections/${election.id}/votes`;
    const cast = async (auth: ReturnType<typeof mint>) => {
      const res = await fetch(`${gw}${votes}`, {
        method: 'POST',
        headers: { ...auth('POST', votes), 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ selections: [{ questionId: election.questionId, optionIds: [election.optionIds[0]] }] }),
      });
      await res.arrayBuffer();
      return res.status;
    };
    const voters = Array.from({ length: 6 }, () => mint(['voter']));
    assert.deepEqual(await Promise.all(voters.map((v) => cast(v))), [201, 201, 201, 201, 201, 201]);
    assert.equal(await cast(voters[0]!), 409);

    // The per-election totals are this election's own; the overall ones rose by at least as much.
    const after = await until(
      'counted 6 and already_voted 1 in the election view',
      async () => {
        const s = await snapshot(electionPath);
        return s.outcomeTotals.counted === 6 && s.outcomeTotals.already_voted === 1 ? s : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    assert.equal(after.outcomeTotals.rate_limited, 0);
    const overall = await snapshot('/v1/admin/operations');
    assert.equal(overall.outcomeTotals.counted - before.outcomeTotals.counted, 6);
    assert.equal(overall.outcomeTotals.already_voted - before.outcomeTotals.already_voted, 1);
    // The other election saw nothing.
    assert.equal((await snapshot(`/v1/elections/${other.id}/operations`)).outcomeTotals.counted, 0);

    // The stream showed the rates (ballots in the second they were counted) and the pipeline's figures.
    const moved = await until(
      'a frame with ballots/s and an already_voted rate',
      () => {
        const frames = stream.snapshots();
        const counted = frames.find((f) => f.ballotsPerSecond > 0);
        const duplicate = frames.find((f) => f.outcomesPerSecond.already_voted > 0);
        return counted && duplicate ? counted : undefined;
      },
      { timeoutMs: 15_000 },
    );
    assert.equal(moved.electionId, election.id);
    const latest = await until(
      'a frame with the latency and the lags of these ballots',
      () => stream.snapshots().find((f) => f.latencyP99Seconds !== null && f.relayLagP99Seconds !== null && f.auditLagP99Seconds !== null),
      { timeoutMs: 20_000 },
    );
    assert.ok(latest.latencyP99Seconds! > 0 && latest.latencyP99Seconds! < 2.5);
    assert.ok(latest.commitBatchSize! >= 1);
    const busiest = await until(
      'the election in the overall view',
      () => overallStream.snapshots().find((f) => f.elections?.some((e) => e.electionId === election.id && e.ballotsPerSecond > 0)),
      { timeoutMs: 15_000 },
    );
    assert.equal(busiest.electionId, null);
    // Frames a second apart, in order.
    await waitFor('3 frames', () => stream.snapshots().length >= 3, { timeoutMs: 10_000 });
    const times = stream.snapshots().map((f) => Date.parse(f.at));
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!);
  });

  await t.test('an SSE viewer of the election is counted, and three admins share one scrape a second', async () => {
    const results = new AbortController();
    t.after(() => results.abort());
    const viewer = await fetch(`${gw}/v1/elections/${election.id}/results/stream`, { signal: results.signal });
    assert.equal(viewer.status, 200);
    await waitFor('the viewer in the election view', async () => (await snapshot(electionPath)).sseViewers === 1, {
      timeoutMs: 10_000,
      intervalMs: 250,
    });
    assert.equal((await snapshot(`/v1/elections/${other.id}/operations`)).sseViewers, 0);

    const ballotOps = stack.services.get('ballot')!.opsUrl;
    const scrapes = async () => {
      const text = await (await fetch(`${ballotOps}/metrics`)).text();
      return Number(/^operations_scrapes_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 'NaN');
    };
    const streams = await Promise.all(
      [0, 1, 2].map(() => Frames.open(`${gw}/v1/admin/operations/stream`, admin('GET', '/v1/admin/operations/stream'))),
    );
    t.after(() => streams.forEach((s) => s.close()));
    const start = { scrapes: await scrapes(), at: Date.now() };
    await waitFor('4 more frames on every stream', () => streams.every((s) => s.snapshots().length >= 4), { timeoutMs: 20_000 });
    const seconds = (Date.now() - start.at) / 1000;
    const made = (await scrapes()) - start.scrapes;
    // One loop: about one scrape a second for all of them, never one per viewer (3 a second).
    assert.ok(made <= seconds + 2, `${made} scrapes in ${seconds.toFixed(1)} s for 3+ viewers`);
  });
});
