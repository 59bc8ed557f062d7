import { randomUUID } from 'node:crypto';
import type { KeyVault, Sql } from '@onevote/platform';
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { type PublicationPolicy, publishedKeys, retiredKeys, signingKey } from '../domain/key-ring.ts';

export const signingAlgorithm = 'ES256';

export type PublicJwk = JWK & { kid: string; kty: string; alg: string };

export interface SigningKey {
  kid: string;
  activatesAt: Date;
  publicJwk: PublicJwk;
  privateKey: CryptoKey;
}

interface KeyRow {
  kid: string;
  activates_at: Date;
  public_jwk: PublicJwk;
  private_key_encrypted: Buffer;
}

/**
 * The token-signing keys, read from PostgreSQL and decrypted once per key. Replicas re-read them
 * periodically (`load`), so a rotation made anywhere reaches all of them before the new key signs.
 */
export class SigningKeys {
  private keys: SigningKey[] = [];

  constructor(
    private readonly sql: Sql,
    private readonly vault: KeyVault,
    private readonly policy: PublicationPolicy,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async load(): Promise<void> {
    const rows = await this.sql<KeyRow[]>`
      select kid, activates_at, public_jwk, private_key_encrypted from identity.signing_keys`;
    const known = new Map(this.keys.map((k) => [k.kid, k]));
    const next: SigningKey[] = [];
    for (const row of rows) {
      const existing = known.get(row.kid);
      if (existing) {
        next.push(existing);
        continue;
      }
      const privateJwk = JSON.parse(this.vault.open(row.private_key_encrypted, row.kid)) as JWK;
      const privateKey = (await importJWK(privateJwk, signingAlgorithm)) as CryptoKey;
      next.push({ kid: row.kid, activatesAt: row.activates_at, publicJwk: row.public_jwk, privateKey });
    }
    this.keys = next;
  }

  /** The key that signs now; there always is one once `ensureSigningKey` has run. */
  signer(): SigningKey {
    const key = signingKey(this.keys, this.now());
    if (!key) throw new Error('no active signing key');
    return key;
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: publishedKeys(this.keys, this.now(), this.policy).map((k) => k.publicJwk) };
  }
}

async function newKeyRow(vault: KeyVault) {
  const kid = randomUUID();
  const { privateKey, publicKey } = await generateKeyPair(signingAlgorithm, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: signingAlgorithm, use: 'sig' };
  const sealed = vault.seal(JSON.stringify(await exportJWK(privateKey)), kid);
  return { kid, publicJwk, sealed };
}

/** Creates the first signing key, active at once, unless one exists (safe for replicas starting together). */
export async function ensureSigningKey(sql: Sql, vault: KeyVault): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('onevote.identity.signing_keys'))`;
    const [any] = await tx`select 1 from identity.signing_keys limit 1`;
    if (any) return;
    const { kid, publicJwk, sealed } = await newKeyRow(vault);
    await tx`
      insert into identity.signing_keys (kid, alg, public_jwk, private_key_encrypted, activates_at)
      values (${kid}, ${signingAlgorithm}, ${tx.json(publicJwk as never)}, ${sealed}, now())`;
  });
}

/**
 * Rotation: publishes a new key that starts signing after `activateInSeconds` (verifiers fetch it
 * meanwhile); deletes keys whose every token has expired.
 */
export async function rotateSigningKey(
  sql: Sql,
  vault: KeyVault,
  options: { activateInSeconds: number; policy: PublicationPolicy },
): Promise<{ kid: string; activatesAt: Date; deleted: string[] }> {
  const { kid, publicJwk, sealed } = await newKeyRow(vault);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('onevote.identity.signing_keys'))`;
    const [row] = await tx<{ activates_at: Date }[]>`
      insert into identity.signing_keys (kid, alg, public_jwk, private_key_encrypted, activates_at)
      values (${kid}, ${signingAlgorithm}, ${tx.json(publicJwk as never)}, ${sealed},
              now() + make_interval(secs => ${options.activateInSeconds}))
      returning activates_at`;
    const all = await tx<{ kid: string; activates_at: Date }[]>`
      select kid, activates_at from identity.signing_keys`;
    const [{ now }] = (await tx`select now() as now`) as unknown as [{ now: Date }];
    const stale = retiredKeys(
      all.map((k) => ({ kid: k.kid, activatesAt: k.activates_at })),
      now,
      options.policy,
    ).map((k) => k.kid);
    if (stale.length > 0) await tx`delete from identity.signing_keys where kid in ${tx(stale)}`;
    return { kid, activatesAt: row!.activates_at, deleted: stale };
  }) as Promise<{ kid: string; activatesAt: Date; deleted: string[] }>;
}
