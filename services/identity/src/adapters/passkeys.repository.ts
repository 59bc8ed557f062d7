import { randomUUID } from 'node:crypto';
import type { Sql } from '@onevote/platform';

export interface StoredPasskey {
  id: string;
  voterId: string;
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
  name: string;
  backedUp: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface NewPasskey {
  voterId: string;
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
  name: string;
  aaguid: string;
  backedUp: boolean;
}

interface PasskeyRow {
  id: string;
  voter_id: string;
  credential_id: string;
  public_key: Buffer;
  counter: string;
  transports: string[];
  name: string;
  backed_up: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

const toPasskey = (r: PasskeyRow): StoredPasskey => ({
  id: r.id,
  voterId: r.voter_id,
  credentialId: r.credential_id,
  publicKey: new Uint8Array(r.public_key),
  counter: Number(r.counter),
  transports: r.transports,
  name: r.name,
  backedUp: r.backed_up,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

/** Voters' WebAuthn credentials (identity.passkeys): public keys only. */
export class PasskeysRepository {
  constructor(private readonly sql: Sql) {}

  async ofVoter(voterId: string): Promise<StoredPasskey[]> {
    const rows = await this.sql<PasskeyRow[]>`
      select * from identity.passkeys where voter_id = ${voterId} order by created_at desc, id`;
    return rows.map(toPasskey);
  }

  async byCredentialId(credentialId: string): Promise<StoredPasskey | undefined> {
    const [row] = await this.sql<PasskeyRow[]>`select * from identity.passkeys where credential_id = ${credentialId}`;
    return row ? toPasskey(row) : undefined;
  }

  /** Undefined when the credential id is registered already (to anyone). */
  async add(passkey: NewPasskey): Promise<StoredPasskey | undefined> {
    const [row] = await this.sql<PasskeyRow[]>`
      insert into identity.passkeys (id, voter_id, credential_id, public_key, counter, transports, name, aaguid, backed_up)
      values (${randomUUID()}, ${passkey.voterId}, ${passkey.credentialId}, ${Buffer.from(passkey.publicKey)},
              ${passkey.counter}, ${passkey.transports}, ${passkey.name}, ${passkey.aaguid}, ${passkey.backedUp})
      on conflict (credential_id) do nothing
      returning *`;
    return row ? toPasskey(row) : undefined;
  }

  /**
   * Records a login: the new counter, only if the stored one is still what the signature was checked
   * against. Of two logins racing with the same assertion counter, one wins (clone detection).
   */
  async used(id: string, expectedCounter: number, newCounter: number, backedUp: boolean): Promise<boolean> {
    const rows = await this.sql`
      update identity.passkeys
      set counter = ${newCounter}, backed_up = ${backedUp}, last_used_at = now()
      where id = ${id} and counter = ${expectedCounter}
      returning id`;
    return rows.length > 0;
  }

  async remove(voterId: string, id: string): Promise<boolean> {
    const rows = await this.sql`delete from identity.passkeys where id = ${id} and voter_id = ${voterId} returning id`;
    return rows.length > 0;
  }
}
