import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText } from '@onevote/platform';
import { operationsSnapshot, type Scrape, type TargetScrape } from './operations.ts';

const E1 = '11111111-1111-4111-8111-111111111111';
const E2 = '22222222-2222-4222-8222-222222222222';

function voteApi(target: string, lines: string[]): TargetScrape {
  return { service: 'vote-api', target, up: true, samples: parsePrometheusText(lines.join('\n')) };
}

function votes(counted: number, duplicates: number, denied: number, limited: number, e1: number, latency: number[]) {
  return [
    `vote_ballots_total{outcome="counted",reason=""} ${counted}`,
    `vote_ballots_total{outcome="already_voted",reason=""} ${duplicates}`,
    `vote_ballots_total{outcome="rate_limited",reason="voters_per_key"} ${denied}`,
    `vote_ballots_total{outcome="rate_limited",reason=""} ${limited}`,
    `vote_election_ballots_total{election="${E1}",outcome="counted"} ${e1}`,
    `vote_election_ballots_total{election="${E2}",outcome="counted"} ${counted - e1}`,
    `vote_commit_queue_depth 7`,
    `vote_commit_batch_size_sum ${counted}`,
    `vote_commit_batch_size_count ${counted / 10}`,
    ...['0.005', '0.05', '+Inf'].map((le, i) => `http_request_duration_seconds_bucket{method="POST",route="/v1/elections/:id/votes",le="${le}"} ${latency[i]}`),
    // Another route's buckets are not the vote latency.
    `http_request_duration_seconds_bucket{method="GET",route="/v1/elections/:id/votes/me",le="+Inf"} 1000`,
  ];
}

const results: TargetScrape = {
  service: 'results',
  target: 'r',
  up: true,
  samples: parsePrometheusText(
    [
      'results_connections_open{transport="sse"} 40',
      'results_connections_open{transport="ws"} 2',
      `results_election_viewers{election="${E1}",transport="sse"} 30`,
    ].join('\n'),
  ),
};

test('rates by outcome category, per election, summed over vote-api processes; latency and batch over the window', () => {
  const windowStart: Scrape = { at: 0, targets: [voteApi('a', votes(100, 10, 0, 0, 50, [0, 0, 0])), voteApi('b', votes(0, 0, 0, 0, 0, [0, 0, 0])), results] };
  const previous: Scrape = { at: 9000, targets: [voteApi('a', votes(900, 90, 5, 1, 450, [100, 100, 100])), voteApi('b', votes(100, 0, 0, 0, 0, [0, 0, 0])), results] };
  const now: Scrape = {
    at: 10_000,
    targets: [voteApi('a', votes(1000, 100, 8, 3, 500, [100, 199, 200])), voteApi('b', votes(200, 0, 0, 0, 0, [0, 0, 0])), results],
  };
  const all = operationsSnapshot({ now, previous, windowStart }, null);
  // a: +100 counted, b: +100 counted, in 1 s.
  assert.equal(all.ballotsPerSecond, 200);
  assert.equal(all.outcomesPerSecond.already_voted, 10);
  assert.equal(all.outcomesPerSecond.denied, 3);
  assert.equal(all.outcomesPerSecond.rate_limited, 2);
  assert.equal(all.requestsPerSecond, 215);
  assert.equal(all.outcomeTotals.counted, 1200);
  assert.equal(all.commitQueueDepth, 14);
  assert.equal(all.commitBatchSize, 10);
  // 200 vote calls in the window: 100 <= 5 ms, 99 more <= 50 ms, 1 slower.
  assert.ok(all.latencyP99Seconds! > 0.005 && all.latencyP99Seconds! <= 0.05);
  assert.equal(all.sseViewers, 40);
  assert.equal(all.wsViewers, 2);
  assert.equal(all.relayLagP99Seconds, null);
  assert.deepEqual(all.elections?.map((e) => e.electionId), [E2, E1]);

  const one = operationsSnapshot({ now, previous, windowStart }, E1);
  assert.equal(one.electionId, E1);
  assert.equal(one.ballotsPerSecond, 50);
  assert.equal(one.outcomeTotals.counted, 500);
  assert.equal(one.sseViewers, 30);
  assert.equal(one.wsViewers, 0);
  assert.equal(one.elections, undefined);
});

test('a restarted process counts from zero, a process that did not answer counts nothing, and sources say so', () => {
  const previous: Scrape = { at: 0, targets: [voteApi('a', votes(1000, 0, 0, 0, 0, [0, 0, 0])), voteApi('b', votes(50, 0, 0, 0, 0, [0, 0, 0]))] };
  const now: Scrape = {
    at: 2000,
    targets: [voteApi('a', votes(40, 0, 0, 0, 0, [0, 0, 0])), { service: 'vote-api', target: 'b', up: false, samples: [] }],
  };
  const s = operationsSnapshot({ now, previous, windowStart: previous }, null);
  assert.equal(s.ballotsPerSecond, 20);
  assert.equal(s.intervalSeconds, 2);
  assert.deepEqual(s.sources, [
    { service: 'vote-api', up: true },
    { service: 'vote-api', up: false },
  ]);
});
