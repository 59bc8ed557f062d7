import type { RedisClient } from '@onevote/platform';

/**
 * Pending WebAuthn challenges in Redis rather than PostgreSQL: they live minutes, are read once and
 * then deleted, and every replica must see them. A key's TTL expires them with no sweeper, and
 * GETDEL takes one exactly once (two verifications racing with one challenge: one gets it), with no
 * row churn in the table the votes' database shares. Losing Redis loses only ceremonies under way.
 */
export class WebauthnChallenges {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: { prefix: string; ttlSeconds: number },
  ) {}

  /** A registration's challenge: one pending per voter (new options replace the last). */
  async putRegistration(voterId: string, challenge: string): Promise<void> {
    await this.redis.set(this.key('reg', voterId), challenge, 'EX', this.options.ttlSeconds);
  }

  /** Takes the voter's pending registration challenge (undefined if none, expired or taken). */
  async takeRegistration(voterId: string): Promise<string | undefined> {
    return (await this.redis.getdel(this.key('reg', voterId))) ?? undefined;
  }

  /** A login's challenge: not tied to anyone (the credential is discoverable). */
  async putLogin(challenge: string): Promise<void> {
    await this.redis.set(this.key('login', challenge), '1', 'EX', this.options.ttlSeconds);
  }

  /** True once for a challenge this service issued and that has not expired. */
  async takeLogin(challenge: string): Promise<boolean> {
    return (await this.redis.getdel(this.key('login', challenge))) !== null;
  }

  private key(kind: 'reg' | 'login', id: string): string {
    return `${this.options.prefix}webauthn:${kind}:${id}`;
  }
}
