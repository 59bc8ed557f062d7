import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** argon2id with parameters from config (at least OWASP's minimums; see config.ts). */
export class PasswordHasher {
  private dummy: Promise<string> | undefined;

  constructor(private readonly params: Argon2Params) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.params });
  }

  verify(hash: string, password: string): Promise<boolean> {
    return argon2.verify(hash, password);
  }

  /** True when `hash` was made with other parameters than today's: rehash after a successful login. */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.params);
  }

  /**
   * The same work as a real check, for an email nobody registered: the answer then takes as long
   * as for a wrong password, so timing does not tell whether an account exists.
   */
  async verifyNobody(password: string): Promise<false> {
    this.dummy ??= this.hash(randomBytes(24).toString('base64url'));
    await argon2.verify(await this.dummy, password);
    return false;
  }
}
