import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { createLogger, createMetrics } from '@onevote/platform';
import { createVoteMetrics } from '../metrics.ts';
import type { BallotStore, BallotToCommit, CommitResult } from '../adapters/ballot-store.ts';
import { type GroupCommitOptions, GroupCommitter } from './group-commit.ts';

/** A store whose commits finish when the test says so: the queue logic without a database. */
class GatedStore {
  calls: BallotToCommit[][] = [];
  private gates: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private seats = new Map<string, BallotToCommit & { countedAt: Date }>();

  commit(ballots: BallotToCommit[]): Promise<CommitResult> {
    this.calls.push(ballots);
    return new Promise<void>((resolve, reject) => this.gates.push({ resolve, reject })).then(() => {
      const result: CommitResult = { inserted: [], existing: [] };
      for (const b of ballots) {
        const key = `${b.electionId}/${b.voterId}`;
        const existing = this.seats.get(key);
        if (existing) result.existing.push(existing);
        else {
          const row = { ...b, countedAt: new Date() };
          this.seats.set(key, row);
          result.inserted.push(row);
        }
      }
      return result;
    });
  }

  get waiting() {
    return this.gates.length;
  }

  release() {
    this.gates.shift()?.resolve();
  }

  fail() {
    this.gates.shift()?.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  }
}

const options: GroupCommitOptions = {
  maxBatch: 100,
  maxWaitMs: 0,
  concurrency: 1,
  maxQueue: 3,
  latencyLimitMs: 60_000,
  timeoutMs: 60_000,
  breakerFailures: 1,
  breakerOpenMs: 60_000,
};

function setUp(overrides: Partial<GroupCommitOptions> = {}) {
  const store = new GatedStore();
  const clock = { ms: 1_000_000 };
  const committer = new GroupCommitter(
    store as unknown as BallotStore,
    { ...options, ...overrides },
    {
      logger: createLogger('test', 'silent'),
      metrics: createVoteMetrics(createMetrics('test')),
      now: () => clock.ms,
    },
  );
  return { store, committer, clock };
}

const election = randomUUID();
const aBallot = (voterId: string = randomUUID(), idempotencyKey: string = randomUUID()): BallotToCommit => ({
  electionId: election,
  voterId,
  receiptId: randomUUID(),
  idempotencyKey,
  selections: [],
});

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

const until = async (probe: () => boolean) => {
  while (!probe()) await new Promise((r) => setImmediate(r));
};

describe('group commit', () => {
  test('concurrent ballots share one commit, one row per voter; the later attempts resolve against the winner', async () => {
    const { store, committer } = setUp({ maxQueue: 100 });
    const voter = randomUUID();
    const first = committer.submit(aBallot(voter, 'key-1'));
    const sameKey = committer.submit(aBallot(voter, 'key-1'));
    const otherKey = committer.submit(aBallot(voter, 'key-2'));
    const someoneElse = committer.submit(aBallot());
    await until(() => store.waiting === 1);
    assert.equal(store.calls[0]!.length, 2, 'one row per voter goes to the database');
    store.release();
    const [a, b, c, d] = await Promise.all([first, sameKey, otherKey, someoneElse]);
    assert.equal(a.counted, true);
    assert.equal(b.counted, false);
    assert.equal(b.stored.receiptId, a.stored.receiptId);
    assert.equal(c.counted, false);
    assert.equal(c.stored.idempotencyKey, 'key-1');
    assert.equal(d.counted, true);
  });

  test('past the queue bound a ballot is refused at once with 503 and never reaches the store', async () => {
    const { store, committer } = setUp({ maxBatch: 1 });
    const pending = [committer.submit(aBallot())]; // in flight
    await until(() => store.waiting === 1);
    for (let i = 0; i < 3; i++) pending.push(committer.submit(aBallot())); // queued, up to the bound
    assert.equal(code(() => committer.submit(aBallot())), 'unavailable');
    while (store.calls.length < 4 || store.waiting > 0) {
      store.release();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(pending);
    assert.equal(store.calls.flat().length, 4);
  });

  test('a failed commit answers its ballots 503, opens the breaker (503 at once), and a later success closes it', async () => {
    const { store, committer, clock } = setUp({ breakerOpenMs: 50 });
    const failing = committer.submit(aBallot());
    await until(() => store.waiting === 1);
    store.fail();
    await assert.rejects(failing, { code: 'unavailable' });
    assert.equal(code(() => committer.submit(aBallot())), 'unavailable');
    assert.equal(store.calls.length, 1, 'nothing was sent while the breaker was open');

    clock.ms += 50; // the breaker's open period passes
    const probe = committer.submit(aBallot());
    await until(() => store.waiting === 1);
    store.release();
    assert.equal((await probe).counted, true);
    assert.equal(committer.breakerState, 'closed');
  });

  test('half open: one batch tries the store, ballots arriving meanwhile are refused at once (fast 503s while it is down)', async () => {
    const { store, committer, clock } = setUp({ breakerOpenMs: 50, maxQueue: 100 });
    const failing = committer.submit(aBallot());
    await until(() => store.waiting === 1);
    store.fail();
    await assert.rejects(failing, { code: 'unavailable' });

    clock.ms += 50;
    const trial = committer.submit(aBallot());
    await until(() => store.waiting === 1);
    assert.equal(committer.breakerState, 'half_open');
    // Without the rule these would queue behind the trial and wait for the store's failure.
    assert.equal(code(() => committer.submit(aBallot())), 'unavailable');
    store.fail();
    await assert.rejects(trial, { code: 'unavailable' });
    assert.equal(committer.breakerState, 'open');
    assert.equal(store.calls.length, 2, 'only the trial reached the store');
  });

  test('while a commit runs longer than the latency limit new ballots are refused with 503', async () => {
    const { store, committer, clock } = setUp({ latencyLimitMs: 10 });
    const slow = committer.submit(aBallot());
    await until(() => store.waiting === 1);
    clock.ms += 11;
    assert.equal(code(() => committer.submit(aBallot())), 'unavailable');
    store.release();
    await slow;
    const next = committer.submit(aBallot());
    await until(() => store.waiting === 1);
    store.release();
    assert.equal((await next).counted, true);
  });
});
