import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aVoter } from '@onevote/auth/client';
import { WebSocket } from 'ws';
import { anElection, metricValue, ResultsWorld, SseClient, waitFor } from './harness.ts';

describe('results service', () => {
  let world: ResultsWorld;
  let base: string;
  let ops: string;

  before(async () => {
    world = await ResultsWorld.start();
    ({ url: base, opsUrl: ops } = await world.startResults());
  });
  after(() => world.stop());

  const resultsUrl = (id: string, suffix = '') => `${base}/v1/elections/${id}/results${suffix}`;

  /** Publishes the election and waits until this results process knows it. */
  async function anOpenElection(overrides: Parameters<typeof anElection>[0] = {}) {
    const election = anElection(overrides);
    await world.publish(election);
    await waitFor('results knows the election', async () => {
      const res = await fetch(resultsUrl(election.id));
      return res.status !== 404;
    });
    return election;
  }

  test('a void (fraud review) lowers the results live: the stream frames the lower tally with a higher version', async () => {
    const election = await anOpenElection();
    await world.countBallots(election, [0, 1, 1, 1]);
    const stream = await SseClient.open(resultsUrl(election.id, '/stream'));
    try {
      await waitFor('the stream shows 4 ballots', () => stream.latest().totalBallots === 4);
      const before = stream.frames.at(-1)!;
      await world.voidBallots(election, [1, 1]);
      await waitFor('the stream shows 2 ballots', () => stream.latest().totalBallots === 2);
      const after = stream.frames.at(-1)!;
      assert.ok(Number(after.id) > Number(before.id), `version ${after.id} after ${before.id}`);
      const votes = (stream.latest() as unknown as { questions: { options: { votes: number }[] }[] }).questions[0]!.options.map((o) => o.votes);
      assert.deepEqual(votes, [1, 1]);
      const snapshot = await (await fetch(resultsUrl(election.id))).json();
      assert.equal(snapshot.totalBallots, 2);
    } finally {
      stream.close();
    }
  });

  test('the snapshot has the tally with labels, is cacheable for 1 s, and answers 304 to its ETag', async () => {
    const election = await anOpenElection();
    await world.countBallots(election, [0, 0, 1]);
    await waitFor('the tally counts 3 ballots', async () => {
      const body = await (await fetch(resultsUrl(election.id))).json();
      return body.totalBallots === 3;
    });

    const res = await fetch(resultsUrl(election.id));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=1');
    const body = await res.json();
    const [question] = election.questions;
    assert.deepEqual(
      { ...body, asOf: undefined },
      {
        electionId: election.id,
        status: 'open',
        totalBallots: 3,
        questions: [
          {
            questionId: question!.id,
            options: [
              { optionId: question!.options[0]!.id, label: 'Song 1', votes: 2 },
              { optionId: question!.options[1]!.id, label: 'Song 2', votes: 1 },
            ],
          },
        ],
        asOf: undefined,
        final: false,
      },
    );
    const etag = res.headers.get('etag');
    assert.ok(etag);
    const again = await fetch(resultsUrl(election.id), { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), etag);

    await world.countBallots(election, [1]);
    await waitFor('a new ETag after a new ballot', async () => {
      const r = await fetch(resultsUrl(election.id), { headers: { 'if-none-match': etag } });
      return r.status === 200 && r.headers.get('etag') !== etag;
    });
  });

  test('an unknown election and a draft are 404 problems on every results call', async () => {
    const draft = anElection({ status: 'draft' });
    await world.publish(draft);
    for (const id of [crypto.randomUUID(), draft.id]) {
      for (const suffix of ['', '/stream']) {
        const res = await fetch(resultsUrl(id, suffix));
        assert.equal(res.status, 404);
        assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        assert.equal((await res.json()).code, 'not_found');
      }
    }
    const bad = await fetch(resultsUrl('not-a-uuid'));
    assert.equal(bad.status, 400);
  });

  test('SSE: the first frame at once with id and retry hint, then a frame for a counted ballot', async () => {
    const election = await anOpenElection();
    const sse = await SseClient.open(resultsUrl(election.id, '/stream'));
    try {
      assert.equal(sse.response.statusCode, 200);
      assert.match(String(sse.response.headers['content-type']), /^text\/event-stream/);
      await waitFor('the first frame', () => sse.frames.length >= 1);
      assert.equal(sse.retry, 2000);
      assert.equal(sse.frames[0]!.event, 'results');
      assert.equal(sse.latest().totalBallots, 0);
      const firstId = Number(sse.frames[0]!.id);

      await world.countBallots(election, [1]);
      await waitFor('a frame with the ballot', () => sse.latest().totalBallots === 1, { timeoutMs: 5000 });
      assert.ok(Number(sse.frames.at(-1)!.id) > firstId, 'ids increase');
    } finally {
      sse.close();
    }
  });

  test('SSE: Last-Event-ID of the current version skips the first frame; an older one gets it', async () => {
    const election = await anOpenElection();
    await world.countBallots(election, [0]);
    const first = await SseClient.open(resultsUrl(election.id, '/stream'));
    await waitFor(
      'a frame with the ballot',
      () => first.frames.length > 0 && first.latest().totalBallots === 1,
    );
    const id = first.frames.at(-1)!.id!;
    first.close();

    const resumed = await SseClient.open(resultsUrl(election.id, '/stream'), { 'last-event-id': id });
    const behind = await SseClient.open(resultsUrl(election.id, '/stream'), {
      'last-event-id': String(Number(id) - 3),
    });
    try {
      await waitFor('the client that is behind gets the current frame', () => behind.frames.length === 1);
      await world.countBallots(election, [1]);
      await waitFor('the resumed client gets the next change', () => resumed.frames.length >= 1);
      assert.equal(resumed.latest().totalBallots, 2, 'its first frame is the change, not a repeat');
    } finally {
      resumed.close();
      behind.close();
    }
  });

  test('a burst of commits is coalesced into fewer frames that end at the exact tally', async () => {
    const election = await anOpenElection();
    const sse = await SseClient.open(resultsUrl(election.id, '/stream'));
    try {
      await waitFor('the first frame', () => sse.frames.length === 1);
      const commits = 60;
      await Promise.all(Array.from({ length: commits }, (_, i) => world.countBallots(election, [i % 2])));
      await waitFor('the last frame counts every ballot', () => sse.latest().totalBallots === commits);
      const options = (sse.latest().questions as { options: { votes: number }[] }[])[0]!.options;
      assert.deepEqual(
        options.map((o) => o.votes),
        [commits / 2, commits / 2],
      );
      assert.ok(sse.frames.length - 1 < commits, `${sse.frames.length - 1} frames for ${commits} commits`);
    } finally {
      sse.close();
    }
  });

  test('a notification dropped on purpose is healed by the periodic re-read', async () => {
    const election = await anOpenElection();
    const sse = await SseClient.open(resultsUrl(election.id, '/stream'));
    try {
      await waitFor('the first frame', () => sse.frames.length === 1);
      await world.countBallots(election, [0, 1], { notify: false });
      // REREAD_INTERVAL_MS is 2000: the frame must come within one interval (plus frame pacing).
      await waitFor('the re-read finds the ballots', () => sse.latest().totalBallots === 2, {
        timeoutMs: 2000 + 1000,
        intervalMs: 20,
      });
    } finally {
      sse.close();
    }
  });

  test('WebSocket: the same JSON at once and on each change', async () => {
    const election = await anOpenElection();
    const ws = new WebSocket(`${resultsUrl(election.id, '/ws').replace('http', 'ws')}`);
    const messages: { totalBallots: number; electionId: string }[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    try {
      await waitFor('the first message', () => messages.length === 1);
      assert.equal(messages[0]!.electionId, election.id);
      const snapshot = await (await fetch(resultsUrl(election.id))).json();
      assert.deepEqual({ ...messages[0], asOf: 0 }, { ...snapshot, asOf: 0 });
      await world.countBallots(election, [0, 1, 1]);
      await waitFor('a message with the ballots', () => messages.at(-1)!.totalBallots === 3);
    } finally {
      ws.terminate();
    }
  });

  test('after_close results are 403 results_hidden until closed, admins see them live, then final', async () => {
    const election = await anOpenElection({ resultsVisibility: 'after_close' });
    await world.countBallots(election, [1, 1]);

    for (const suffix of ['', '/stream']) {
      const res = await fetch(resultsUrl(election.id, suffix));
      assert.equal(res.status, 403);
      assert.equal((await res.json()).code, 'results_hidden');
    }
    const ws = new WebSocket(`${resultsUrl(election.id, '/ws').replace('http', 'ws')}`);
    const wsStatus = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    assert.equal(wsStatus, 403);

    const admin = await aVoter(world.issuer, ['admin']);
    await waitFor('an admin sees the live tally', async () => {
      const res = await fetch(resultsUrl(election.id), {
        headers: await admin.headers('GET', resultsUrl(election.id)),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'private, no-store');
      return (await res.json()).totalBallots === 2;
    });
    const voter = await aVoter(world.issuer, ['voter']);
    const asVoter = await fetch(resultsUrl(election.id), {
      headers: await voter.headers('GET', resultsUrl(election.id)),
    });
    assert.equal(asVoter.status, 403);

    await world.publish({ ...election, status: 'closed', revision: 2 });
    await waitFor(
      'the public sees results once closed',
      async () => (await fetch(resultsUrl(election.id))).ok,
    );
    const sse = await SseClient.open(resultsUrl(election.id, '/stream'));
    try {
      await waitFor('the first frame', () => sse.frames.length >= 1);
      assert.equal(sse.latest().status, 'closed');
      await waitFor('final once every commit is in', () => sse.latest().final === true, {
        timeoutMs: 10_000,
      });
      assert.equal(sse.latest().totalBallots, 2);
      const snapshot = await (await fetch(resultsUrl(election.id))).json();
      assert.equal(snapshot.final, true);
    } finally {
      sse.close();
    }
  });

  test('a commit that lands after the close (in flight at close time) is in before final', async () => {
    const election = await anOpenElection();
    await world.countBallots(election, [0]);
    const sse = await SseClient.open(resultsUrl(election.id, '/stream'));
    try {
      await waitFor('the first frame', () => sse.frames.length >= 1);
      // Written before the close and committed after it, with no TallyChanged: only the re-read
      // after the settle period can find it. (Committing it only once the closed frame had arrived
      // raced the 300 ms settle period of these tests: that frame can take a frame interval.)
      let commit!: () => void;
      const late = world.countBallots(election, [1, 1], {
        notify: false,
        commitAfter: new Promise<void>((resolve) => (commit = resolve)),
      });
      await world.publish({ ...election, status: 'closed', revision: 2 });
      commit();
      await late;
      await waitFor('closed', () => sse.latest().status === 'closed');
      await waitFor('final', () => sse.latest().final === true, { timeoutMs: 10_000 });
      assert.equal(sse.latest().totalBallots, 3);
    } finally {
      sse.close();
    }
  });

  test('metrics count open streams and frames sent', async () => {
    const election = await anOpenElection();
    const before = await metricValue(ops, 'results_frames_sent_total', 'transport="sse"');
    const sse = await SseClient.open(resultsUrl(election.id, '/stream'));
    try {
      await waitFor('the first frame', () => sse.frames.length === 1);
      await world.countBallots(election, [0]);
      await waitFor('the second frame', () => sse.frames.length === 2);
      assert.equal(await metricValue(ops, 'results_connections_open', 'transport="sse"'), 1);
      assert.equal(await metricValue(ops, 'results_frames_sent_total', 'transport="sse"'), before + 2);
      assert.ok((await metricValue(ops, 'results_commit_to_frame_seconds_count')) >= 1);
    } finally {
      sse.close();
    }
    await waitFor('the stream is counted closed', async () => {
      return (await metricValue(ops, 'results_connections_open', 'transport="sse"')) === 0;
    });
  });
});
