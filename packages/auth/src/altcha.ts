import { AppError } from '@onevote/platform';
import { Type } from '@sinclair/typebox';
import { type Challenge, createChallenge, type Solution, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import type { ReplayStore } from './replay.ts';

/** Settings of a service that issues or checks proof-of-work challenges. */
export const altchaConfigProperties = {
  /** HMAC key signing challenges; every replica that issues or verifies must share it. */
  ALTCHA_HMAC_KEY: Type.String({ minLength: 32 }),
  /** SHA-256 iterations per attempt: the work a client does is about cost × 16^prefix / 2. */
  ALTCHA_COST: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 2000 }),
  /** Leading zero bytes the derived key must have. */
  ALTCHA_KEY_PREFIX_LENGTH: Type.Integer({ minimum: 1, maximum: 4, default: 1 }),
  ALTCHA_EXPIRES_SECONDS: Type.Integer({ minimum: 10, maximum: 3600, default: 300 }),
};

export interface AltchaOptions {
  hmacKey: string;
  cost: number;
  keyPrefixLength: number;
  expiresInSeconds: number;
  replay: ReplayStore;
}

/**
 * Proof-of-work challenges (ALTCHA, altcha-lib v2): HMAC-signed and expiring; a solution is accepted
 * once, on any replica (the replay store is shared), before its challenge expires.
 */
export class AltchaChallenges {
  constructor(private readonly options: AltchaOptions) {}

  create(): Promise<Challenge> {
    return createChallenge({
      algorithm: 'SHA-256',
      cost: this.options.cost,
      keyPrefixLength: this.options.keyPrefixLength,
      deriveKey,
      hmacSignatureSecret: this.options.hmacKey,
      expiresAt: new Date(Date.now() + this.options.expiresInSeconds * 1000),
    });
  }

  /** Checks a client's `altcha` field (base64 of JSON `{ challenge, solution }`); throws `challenge_failed`. */
  async verify(payload: string): Promise<void> {
    let challenge: Challenge;
    let solution: Solution;
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
      ({ challenge, solution } = decoded as { challenge: Challenge; solution: Solution });
    } catch (err) {
      throw new AppError('challenge_failed', {
        detail: 'the altcha field is not a solved challenge',
        cause: err,
      });
    }
    if (challenge.parameters.algorithm !== 'SHA-256') {
      throw new AppError('challenge_failed', { detail: 'unexpected challenge algorithm' });
    }
    const result = await verifySolution({
      challenge,
      solution,
      deriveKey,
      hmacSignatureSecret: this.options.hmacKey,
    });
    if (!result.verified) {
      const why = result.expired
        ? 'the challenge has expired'
        : result.invalidSignature
          ? 'the challenge was not issued here'
          : 'the solution is wrong';
      throw new AppError('challenge_failed', { detail: why });
    }
    const expiresAt =
      challenge.parameters.expiresAt ?? Math.floor(Date.now() / 1000) + this.options.expiresInSeconds;
    const ttl = Math.max(1, expiresAt - Math.floor(Date.now() / 1000) + 1);
    if (!(await this.options.replay.claim(`altcha:${challenge.signature}`, ttl))) {
      throw new AppError('challenge_failed', { detail: 'this challenge was already used' });
    }
  }
}

/** The client side (tests, tools): solves a challenge and encodes the `altcha` field. */
export async function solveAltcha(challenge: Challenge): Promise<string> {
  const { solveChallenge } = await import('altcha-lib');
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error('could not solve the challenge');
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}
