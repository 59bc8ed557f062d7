import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '@onevote/platform';
import { RateLimits } from './rate-limits.ts';

const limits = new RateLimits({ windowSeconds: 10, perIp: 100, perVoter: 2, perKey: 5 });
const subjects = { ip: '203.0.113.7', voter: 'v1', key: 'k1' };
const window = (count: number, msLeft = 4000) => ({ count, msLeft });

async function refusal(promise: Promise<void>) {
  try {
    await promise;
    return undefined;
  } catch (err) {
    assert.ok(err instanceof AppError);
    return err;
  }
}

describe('RateLimits', () => {
  test('shared counts within every budget pass', async () => {
    assert.equal(await refusal(limits.check(subjects, { ip: window(100), voter: window(2), key: window(5) })), undefined);
  });

  test('a spent budget is 429 rate_limited, naming it, with Retry-After until its window ends', async () => {
    const err = await refusal(limits.check(subjects, { ip: window(1), voter: window(3, 2500), key: window(1) }));
    assert.equal(err?.code, 'rate_limited');
    assert.match(err?.detail ?? '', /this voter/);
    assert.equal(err?.retryAfter, 2.5);
  });

  test('of several spent budgets, the one that frees up last sets Retry-After', async () => {
    const err = await refusal(limits.check(subjects, { ip: window(101, 9000), voter: window(3, 1000), key: window(6, 5000) }));
    assert.match(err?.detail ?? '', /this ip/);
    assert.equal(err?.retryAfter, 9);
  });

  test('without shared counts, each replica spends from its own budgets', async () => {
    const local = new RateLimits({ windowSeconds: 10, perIp: 100, perVoter: 2, perKey: 5 });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await refusal(local.check(subjects, undefined)))?.code ?? 'ok');
    assert.deepEqual(answers, ['ok', 'ok', 'rate_limited', 'rate_limited']);
    // Another voter has its own budget.
    assert.equal(await refusal(local.check({ ...subjects, voter: 'v2' }, undefined)), undefined);
  });
});
