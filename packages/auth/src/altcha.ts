import { createHmac, randomInt } from 'node:crypto';
import { AppError, type RedisClient } from '@onevote/platform';
import { type Static, type TObject, Type } from '@sinclair/typebox';
import { type Challenge, createChallenge, type Solution, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { type ChallengePurpose, expectedAttempts, type IssuedPurpose } from './challenge-level.ts';
import { RedisReplayStore, type ReplayStore } from './replay.ts';

/** Settings of a service that issues or checks proof-of-work challenges. */
export const altchaConfigProperties = {
  /** HMAC key signing challenges; every replica that issues or verifies must share it. */
  ALTCHA_HMAC_KEY: Type.String({ minLength: 32 }),
  /**
   * SHA-256 iterations per attempt. Kept small: the work is set by the number of attempts (the
   * level), and issuing a challenge derives one key at this cost.
   */
  ALTCHA_COST: Type.Integer({ minimum: 1, maximum: 10_000, default: 10 }),
  /**
   * Expected attempts at level 0; each level doubles them. The default takes about 0.15 s in
   * desktop Chromium with two workers (web/bench/solve-time.ts), a few tenths of a second on a phone.
   */
  ALTCHA_BASE_WORK: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
  /** Highest level ever issued or required (2^level × the base work). */
  ALTCHA_MAX_LEVEL: Type.Integer({ minimum: 0, maximum: 20, default: 12 }),
  /** A challenge must be solved and used within this long of being issued. */
  ALTCHA_EXPIRES_SECONDS: Type.Integer({ minimum: 10, maximum: 3600, default: 300 }),
  /**
   * Redis key prefix of spent solutions. Every service that verifies challenges (identity,
   * vote-api) must use the same one: a solution is accepted once across all of them.
   */
  ALTCHA_SPENT_PREFIX: Type.String({ default: 'altcha:spent:', pattern: '^[A-Za-z0-9_:.-]*$' }),
};

export type AltchaConfig = Static<TObject<typeof altchaConfigProperties>>;

/** The challenges of a service, spending solutions in the store every service shares. */
export function createAltchaChallenges(config: AltchaConfig, redis: RedisClient): AltchaChallenges {
  return new AltchaChallenges({
    hmacKey: config.ALTCHA_HMAC_KEY,
    cost: config.ALTCHA_COST,
    baseWork: config.ALTCHA_BASE_WORK,
    maxLevel: config.ALTCHA_MAX_LEVEL,
    expiresInSeconds: config.ALTCHA_EXPIRES_SECONDS,
    spent: new RedisReplayStore(redis, config.ALTCHA_SPENT_PREFIX),
  });
}

export interface AltchaOptions {
  hmacKey: string;
  /** SHA-256 iterations per attempt. */
  cost: number;
  /** Expected attempts at level 0. */
  baseWork: number;
  maxLevel: number;
  expiresInSeconds: number;
  /** The spent-solution store (shared by every service, see `ALTCHA_SPENT_PREFIX`). */
  spent: ReplayStore;
}

/** What a client asks for; `level` is raised to what the server requires, never lowered. */
export interface ChallengeRequest {
  purpose: IssuedPurpose;
  level: number;
}

/** What a verifier requires of a solution. */
export interface ChallengeRequirement {
  purpose: ChallengePurpose;
  /** Lowest level accepted. */
  minLevel: number;
}

/**
 * Signed into each challenge (`parameters.data`): what it is good for and, for the client's
 * progress estimate, how much work it is.
 */
export interface ChallengeData {
  purpose: IssuedPurpose;
  level: number;
  /** The mean number of attempts; the solution lies in [0, maxAttempts). */
  expectedAttempts: number;
  maxAttempts: number;
}

// uint32 counters: altcha-lib's v2 encoding.
const maxCounter = 0xffff_ffff;

/**
 * Proof-of-work challenges (ALTCHA, altcha-lib v2) in its deterministic mode: the server draws a
 * secret counter from a range set by the level, derives the key for it once, and publishes half of
 * that key (`keyPrefix`) and an HMAC of the whole key (`keySignature`). The client must try counters
 * until it finds the one whose key has that prefix: on average half the range, so the work doubles
 * with each level, while verifying is two HMACs whatever the level (no key is derived again).
 *
 * A challenge is HMAC-signed, expires, names its purpose and level, and is accepted once on any
 * replica of any service (the spent store is shared).
 */
export class AltchaChallenges {
  private readonly keySignatureSecret: string;

  constructor(private readonly options: AltchaOptions) {
    if (2 * expectedAttempts(options.baseWork, options.maxLevel) > maxCounter + 1) {
      throw new Error(
        `ALTCHA_BASE_WORK × 2^ALTCHA_MAX_LEVEL must be at most 2^31 (counters are 32-bit): ${options.baseWork} × 2^${options.maxLevel}`,
      );
    }
    // A key of its own for the derived-key signatures, from the shared one (domain separation).
    this.keySignatureSecret = createHmac('sha256', options.hmacKey).update('altcha derived key').digest('hex');
  }

  get maxLevel(): number {
    return this.options.maxLevel;
  }

  /** A challenge at `level` (clamped to the maximum) for `purpose`. */
  create(request: ChallengeRequest = { purpose: 'any', level: 0 }): Promise<Challenge> {
    const level = clampLevel(request.level, this.options.maxLevel);
    const expected = expectedAttempts(this.options.baseWork, level);
    const data: ChallengeData = {
      purpose: request.purpose,
      level,
      expectedAttempts: expected,
      maxAttempts: 2 * expected,
    };
    return createChallenge({
      algorithm: 'SHA-256',
      cost: this.options.cost,
      // Uniform in [0, 2 × expected): the mean is `expected` attempts for any search order.
      counter: randomInt(0, 2 * expected),
      // Half of the 32-byte key is published: no other counter matches it in practice.
      keyPrefixLength: 16,
      deriveKey,
      data: { ...data },
      hmacSignatureSecret: this.options.hmacKey,
      hmacKeySignatureSecret: this.keySignatureSecret,
      expiresAt: new Date(Date.now() + this.options.expiresInSeconds * 1000),
    });
  }

  /**
   * Checks a client's `altcha` field (base64 of JSON `{ challenge, solution }`) against what the
   * action requires, then spends it. Throws `challenge_failed`; a challenge below the level asked
   * for carries `challengeLevel` (the level to fetch) in the problem.
   */
  async verify(payload: string, required: ChallengeRequirement): Promise<void> {
    const { challenge, solution } = decode(payload);
    if (challenge.parameters.algorithm !== 'SHA-256') {
      throw new AppError('challenge_failed', { detail: 'unexpected challenge algorithm' });
    }
    // Only deterministic challenges (ours) are accepted: without a key signature altcha-lib would
    // fall back to deriving the key again, and the prefix alone would say nothing about the work.
    if (typeof challenge.parameters.keySignature !== 'string') {
      throw new AppError('challenge_failed', { detail: 'the challenge was not issued here' });
    }
    const result = await verifySolution({
      challenge,
      solution,
      deriveKey,
      hmacSignatureSecret: this.options.hmacKey,
      hmacKeySignatureSecret: this.keySignatureSecret,
    });
    if (!result.verified) {
      const why = result.expired
        ? 'the challenge has expired'
        : result.invalidSignature
          ? 'the challenge was not issued here'
          : 'the solution is wrong';
      throw new AppError('challenge_failed', { detail: why });
    }
    // The signature covers `data`: purpose and level are the server's own.
    const data = challenge.parameters.data ?? {};
    if (data.purpose !== required.purpose && data.purpose !== 'any') {
      throw new AppError('challenge_failed', {
        detail: `the challenge was issued for ${String(data.purpose)}, not ${required.purpose}`,
      });
    }
    const level = typeof data.level === 'number' ? data.level : -1;
    const minLevel = clampLevel(required.minLevel, this.options.maxLevel);
    if (level < minLevel) throw tooEasy(required.purpose, minLevel);

    const expiresAt =
      challenge.parameters.expiresAt ?? Math.floor(Date.now() / 1000) + this.options.expiresInSeconds;
    const ttl = Math.max(1, expiresAt - Math.floor(Date.now() / 1000) + 1);
    if (!(await this.options.spent.claim(challenge.signature!, ttl))) {
      throw new AppError('challenge_failed', { detail: 'this challenge was already used' });
    }
  }
}

/** The refusal of a challenge easier than `level`; API.md: the client fetches one at that level. */
function tooEasy(purpose: ChallengePurpose, level: number): AppError {
  return new AppError('challenge_failed', {
    detail: `this needs a harder challenge: fetch one with GET /v1/auth/challenge?purpose=${purpose}&level=${level}`,
    extra: { challengeLevel: level },
  });
}

function clampLevel(level: number, maxLevel: number): number {
  return Math.max(0, Math.min(maxLevel, Math.floor(level)));
}

function decode(payload: string): { challenge: Challenge; solution: Solution } {
  try {
    const decoded = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as {
      challenge?: Challenge;
      solution?: Solution;
    };
    if (
      !decoded?.challenge?.parameters ||
      !decoded.solution ||
      typeof decoded.challenge.signature !== 'string'
    ) {
      throw new Error('incomplete');
    }
    return decoded as { challenge: Challenge; solution: Solution };
  } catch (err) {
    throw new AppError('challenge_failed', {
      detail: 'the altcha field is not a solved challenge',
      cause: err,
    });
  }
}

/** The client side (tests, tools): solves a challenge and encodes the `altcha` field. */
export async function solveAltcha(challenge: Challenge): Promise<string> {
  const { solveChallenge } = await import('altcha-lib');
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error('could not solve the challenge');
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}
