/**
 * The messages of PostgreSQL's `pgoutput` logical decoding plugin, protocol version 1, that the
 * relay needs: Begin, Relation, Insert and Commit (PostgreSQL docs, "Logical Replication Message
 * Formats"). Column values arrive in text form. Other messages (Origin, Type, Truncate, Update,
 * Delete, Message) are skipped; the publication sends inserts only.
 */

export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: bigint; xid: number }
  | { tag: 'commit'; commitLsn: bigint; endLsn: bigint; committedAt: Date }
  | { tag: 'relation'; relationId: number; namespace: string; name: string; columns: string[] }
  | { tag: 'insert'; relationId: number; values: (string | null)[] }
  | { tag: 'other'; code: string };

// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const postgresEpochMicros = 946_684_800_000_000n;

export function parsePgOutput(data: Uint8Array): PgOutputMessage {
  const reader = new Reader(data);
  const code = String.fromCharCode(reader.byte());
  switch (code) {
    case 'B': {
      const finalLsn = reader.int64();
      reader.int64(); // commit timestamp (again in Commit)
      return { tag: 'begin', finalLsn, xid: reader.int32() };
    }
    case 'C': {
      reader.byte(); // flags
      const commitLsn = reader.int64();
      const endLsn = reader.int64();
      const micros = reader.int64() + postgresEpochMicros;
      return { tag: 'commit', commitLsn, endLsn, committedAt: new Date(Number(micros / 1000n)) };
    }
    case 'R': {
      const relationId = reader.int32();
      const namespace = reader.cstring();
      const name = reader.cstring();
      reader.byte(); // replica identity
      const count = reader.int16();
      const columns: string[] = [];
      for (let i = 0; i < count; i++) {
        reader.byte(); // flags (part of the key)
        columns.push(reader.cstring());
        reader.int32(); // type oid
        reader.int32(); // type modifier
      }
      return { tag: 'relation', relationId, namespace, name, columns };
    }
    case 'I': {
      const relationId = reader.int32();
      const kind = String.fromCharCode(reader.byte());
      if (kind !== 'N') throw new Error(`insert tuple of kind ${kind}`);
      return { tag: 'insert', relationId, values: reader.tuple() };
    }
    default:
      return { tag: 'other', code };
  }
}

/** `0/16B3748` -> bigint, and back: how PostgreSQL writes an LSN. */
export function lsnToBigInt(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

export function bigIntToLsn(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}

class Reader {
  private offset = 0;
  private readonly view: DataView;
  private static readonly text = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  byte(): number {
    return this.view.getUint8(this.offset++);
  }

  int16(): number {
    const v = this.view.getInt16(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    const v = this.view.getInt32(this.offset);
    this.offset += 4;
    return v;
  }

  int64(): bigint {
    const v = this.view.getBigInt64(this.offset);
    this.offset += 8;
    return v;
  }

  cstring(): string {
    const end = this.data.indexOf(0, this.offset);
    if (end < 0) throw new Error('unterminated string');
    const s = Reader.text.decode(this.data.subarray(this.offset, end));
    this.offset = end + 1;
    return s;
  }

  /** TupleData: Int16 column count, then per column 'n' (null), 'u' (unchanged TOAST) or 't' + Int32 length + text. */
  tuple(): (string | null)[] {
    const count = this.int16();
    const values: (string | null)[] = [];
    for (let i = 0; i < count; i++) {
      const kind = String.fromCharCode(this.byte());
      if (kind === 'n' || kind === 'u') values.push(null);
      else if (kind === 't' || kind === 'b') {
        const length = this.int32();
        values.push(Reader.text.decode(this.data.subarray(this.offset, this.offset + length)));
        this.offset += length;
      } else throw new Error(`tuple column of kind ${kind}`);
    }
    return values;
  }
}
