import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { dpopProof } from './signer.ts';
import { Samples } from './stats.ts';
import type { Voter } from './voters.ts';

export interface LoadOptions {
  /** Where ballots go: the gateway, or vote-api replicas directly (round robin, failing over). */
  baseUrls: string[];
  electionId: string;
  questionId: string;
  optionIds: string[];
  voters: Voter[];
  durationSeconds: number;
  concurrency: number;
  /** Ballots per second to aim at; 0 = as fast as possible. */
  rate: number;
  duplicateShare: number;
  retryShare: number;
  onProgress?: (s: LoadState) => void;
  /** Where to record the times of counted ballots (shared with the SSE subscribers, for lag). */
  countedAt?: number[];
  /** Told of every answer (status 0: no connection), e.g. to split figures by vote shard group. */
  onAnswer?: (answer: { voterId: string; status: number; ms: number; at: number }) => void;
}

interface Counted {
  voter: Voter;
  idempotencyKey: string;
  body: string;
  receiptId: string;
}

export interface LoadState {
  startedAt: number;
  sent: number;
  counted: number;
  /** Receipts answered 201 (first answers and same-key retries), voter id -> receipt id. */
  receipts: Map<string, string>;
  latency201: Samples;
  errors: Record<string, number>;
  /** Answers that contradict the API contract (a 409 with another receipt, a retry with another body). */
  contractViolations: number;
  /** 5xx answers other than `503 unavailable`: never acceptable, even during a fault. */
  serverErrors: number;
  duplicates409: number;
  retries201: number;
  /** Ballots still without a definite answer when settling gave up. */
  unsettled: number;
  /** First and last time an attempt got no usable answer (503 or no connection), epoch ms. */
  firstFailureAt: number | undefined;
  lastFailureAt: number | undefined;
  /** Times of the counted ballots (201) in the order answered, epoch ms. */
  countedAt: number[];
  /** Answers per second of the run, by status: `{ "12": { "503": 40, "201": 3 } }`. */
  timeline: Record<string, Record<string, number>>;
}

/**
 * The audience: fresh ballots by new voters, plus duplicates by voters who already voted (another
 * Idempotency-Key: must be 409 with their receipt) and retries (same key: must be the same 201).
 * A 503 or network error is retried later with the same key, as a real client does.
 */
export async function runLoad(o: LoadOptions): Promise<LoadState> {
  const path = `/v1/elections/${o.electionId}/votes`;
  const targets = o.baseUrls.map((base) => {
    const origin = new URL(base).origin;
    const pool = new Pool(origin, { connections: o.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
    return { pool, htu: `${origin}${path}` };
  });
  let turn = 0;
  const state: LoadState = {
    startedAt: Date.now(),
    sent: 0,
    counted: 0,
    receipts: new Map(),
    latency201: new Samples(),
    errors: {},
    contractViolations: 0,
    serverErrors: 0,
    duplicates409: 0,
    retries201: 0,
    unsettled: 0,
    firstFailureAt: undefined,
    lastFailureAt: undefined,
    countedAt: o.countedAt ?? [],
    timeline: {},
  };
  const counted: Counted[] = [];
  const pendingRetry: { voter: Voter; idempotencyKey: string; body: string; dueAt: number }[] = [];
  const dueRetry = () => {
    const now = Date.now();
    const i = pendingRetry.findIndex((r) => r.dueAt <= now);
    return i >= 0 ? pendingRetry.splice(i, 1)[0] : undefined;
  };
  let nextVoter = 0;
  const deadline = state.startedAt + o.durationSeconds * 1000;
  const interval = o.rate > 0 ? 1000 / o.rate : 0;
  let nextSlot = Date.now();

  const failed = () => {
    const now = Date.now();
    state.firstFailureAt ??= now;
    state.lastFailureAt = now;
  };

  const record = (status: number) => {
    const second = String(Math.floor((Date.now() - state.startedAt) / 1000));
    const slot = (state.timeline[second] ??= {});
    slot[status] = (slot[status] ?? 0) + 1;
  };

  const send = async (voter: Voter, idempotencyKey: string, body: string) => {
    state.sent++;
    const { pool, htu } = targets[turn++ % targets.length]!;
    const started = performance.now();
    try {
      const res = await pool.request({
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: voter.authorization,
          dpop: dpopProof(voter.key, 'POST', htu, voter.ath),
          'idempotency-key': idempotencyKey,
        },
        body,
      });
      const text = await res.body.text();
      if (res.statusCode >= 500 && res.statusCode !== 503) state.serverErrors++;
      if (res.statusCode === 503) failed();
      const retryAfter = Number(res.headers['retry-after'] ?? 1);
      record(res.statusCode);
      const ms = performance.now() - started;
      o.onAnswer?.({ voterId: voter.voterId, status: res.statusCode, ms, at: Date.now() });
      return { status: res.statusCode, text, ms, retryAfter };
    } catch (err) {
      failed();
      record(0);
      const ms = performance.now() - started;
      o.onAnswer?.({ voterId: voter.voterId, status: 0, ms, at: Date.now() });
      return { status: 0, text: (err as Error).message, ms, retryAfter: 1 };
    }
  };

  const ballotBody = () =>
    JSON.stringify({
      selections: [{ questionId: o.questionId, optionIds: [o.optionIds[Math.floor(Math.random() * o.optionIds.length)]] }],
    });

  const worker = async () => {
    while (Date.now() < deadline) {
      if (interval > 0) {
        const wait = nextSlot - Date.now();
        nextSlot = Math.max(nextSlot, Date.now()) + interval;
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const roll = Math.random();
      const retry = dueRetry();
      if (retry) {
        await fresh(retry.voter, retry.idempotencyKey, retry.body);
      } else if (counted.length > 0 && roll < o.duplicateShare) {
        const c = counted[Math.floor(Math.random() * counted.length)]!;
        const res = await send(c.voter, randomUUID(), ballotBody());
        if (res.status === 409) {
          state.duplicates409++;
          if (JSON.parse(res.text).receiptId !== c.receiptId) state.contractViolations++;
        } else count(res.status);
      } else if (counted.length > 0 && roll < o.duplicateShare + o.retryShare) {
        const c = counted[Math.floor(Math.random() * counted.length)]!;
        const res = await send(c.voter, c.idempotencyKey, c.body);
        if (res.status === 201) {
          state.retries201++;
          if (JSON.parse(res.text).receiptId !== c.receiptId) state.contractViolations++;
        } else count(res.status);
      } else {
        const voter = o.voters[nextVoter++];
        if (!voter) break;
        await fresh(voter, randomUUID(), ballotBody());
      }
    }
  };

  const count = (status: number) => {
    state.errors[String(status)] = (state.errors[String(status)] ?? 0) + 1;
  };

  const fresh = async (voter: Voter, idempotencyKey: string, body: string) => {
    const res = await send(voter, idempotencyKey, body);
    if (res.status === 201) {
      const receiptId = JSON.parse(res.text).receiptId as string;
      state.counted++;
      state.countedAt.push(Date.now());
      state.latency201.add(res.ms);
      state.receipts.set(voter.voterId, receiptId);
      counted.push({ voter, idempotencyKey, body, receiptId });
    } else {
      count(res.status);
      if (res.status === 503 || res.status === 0 || res.status === 429) {
        // Like a real client: retry with the same key after Retry-After (capped at 2 s so a run
        // stays bounded; the server's limits still apply to the retry).
        const waitMs = Math.min(2000, Math.max(100, (Number.isFinite(res.retryAfter) ? res.retryAfter : 1) * 1000));
        pendingRetry.push({ voter, idempotencyKey, body, dueAt: Date.now() + waitMs });
      }
    }
  };

  const progress = o.onProgress ? setInterval(() => o.onProgress!(state), 1000) : undefined;
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  clearInterval(progress);
  // Ballots still waiting for a retry after the deadline: settle them, so every voter that got a
  // 503 ends with a definite answer (and the verification can hold the stack to every 201).
  const settleBy = Date.now() + 60_000;
  while (pendingRetry.length > 0 && Date.now() < settleBy) {
    const r = dueRetry();
    if (r) await fresh(r.voter, r.idempotencyKey, r.body);
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  state.unsettled = pendingRetry.length;
  await Promise.all(targets.map((t) => t.pool.close()));
  return state;
}
