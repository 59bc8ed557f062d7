import { randomUUID } from 'node:crypto';
import type { KeyVault, Sql } from '@onevote/platform';
import { type HeadKey, headKeyFrom, newHeadKey } from '../domain/tree-head.ts';

export interface PublishedKey {
  jwk: Record<string, unknown>;
  status: 'current' | 'retired';
}

/**
 * The tree-head signing keys in schema `audit`. The current key signs; a rotation retires it (it
 * stays published, so every head it signed still verifies) and makes a new one current.
 */
export class HeadKeysRepository {
  /** The key last read, imported once (decrypting and importing it per head cost ~70 µs each). */
  private cached: HeadKey | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly vault: KeyVault,
  ) {}

  /** The current key, made on the very first start. */
  async current(): Promise<HeadKey> {
    const [row] = (await this.sql.unsafe(
      'select kid, private_key_encrypted from audit.signing_keys where retired_at is null',
    )) as unknown as { kid: string; private_key_encrypted: Buffer }[];
    if (row) {
      if (this.cached?.kid !== row.kid) this.cached = headKeyFrom(row.kid, this.vault.open(row.private_key_encrypted, row.kid));
      return this.cached;
    }
    try {
      return await this.insert();
    } catch (err) {
      // Another replica made the first key meanwhile (the unique index on the current key).
      if ((err as { code?: string }).code !== '23505') throw err;
      return this.current();
    }
  }

  /** Retires the current key and makes a new one current, in one transaction. */
  async rotate(): Promise<HeadKey> {
    return (await this.sql.begin(async (tx) => {
      await tx.unsafe('update audit.signing_keys set retired_at = now() where retired_at is null');
      return this.insert(tx as unknown as Sql);
    })) as HeadKey;
  }

  async published(): Promise<PublishedKey[]> {
    const rows = (await this.sql.unsafe(
      'select public_jwk, retired_at from audit.signing_keys order by created_at desc',
    )) as unknown as { public_jwk: Record<string, unknown>; retired_at: Date | null }[];
    return rows.map((r) => ({ jwk: r.public_jwk, status: r.retired_at ? 'retired' : 'current' }));
  }

  private async insert(runner: Sql = this.sql): Promise<HeadKey> {
    const kid = randomUUID();
    const { key, privatePem } = newHeadKey(kid);
    await runner.unsafe('insert into audit.signing_keys (kid, public_jwk, private_key_encrypted) values ($1, $2, $3)', [
      kid,
      key.publicJwk as never,
      this.vault.seal(privatePem, kid),
    ]);
    return key;
  }
}
