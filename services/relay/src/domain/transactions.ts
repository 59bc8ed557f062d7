import type { PgOutputMessage } from './pgoutput.ts';

/** A counted ballot as the audit log needs it (never the voter: the publication does not carry it). */
export interface CountedBallot {
  electionId: string;
  receiptId: string;
  /** The ballot's selections as JSON text, passed on as they are (no parse, no re-serialisation). */
  selections: string;
  /** RFC 3339, as vote-api answered it (millisecond precision). */
  countedAt: string;
}

/** A ballot an admin voided (fraud review): the audit log appends a `void` leaf for it. */
export interface VoidedBallot {
  electionId: string;
  receiptId: string;
  reason: string;
  /** RFC 3339 with milliseconds. */
  at: string;
}

/** One committed transaction (one group commit, or one void) of vote-api, in commit order. */
export interface CommittedTransaction {
  /** The WAL position of the commit record: unique, and the order transactions committed in. */
  commitLsn: bigint;
  /** Where decoding may resume after this transaction (what the slot is advanced to). */
  endLsn: bigint;
  committedAt: Date;
  ballots: CountedBallot[];
  voids: VoidedBallot[];
}

interface Relation {
  name: string;
  columns: string[];
}

/**
 * Turns a stream of pgoutput messages into committed transactions. Relation messages describe the
 * columns before the first insert into a table (and again after a change); inserts between Begin
 * and Commit belong to that transaction.
 */
export class TransactionAssembler {
  private readonly relations = new Map<number, Relation>();
  private ballots: CountedBallot[] | undefined;
  private voids: VoidedBallot[] | undefined;

  /** Feeds one message; returns a transaction when it was its Commit. */
  push(message: PgOutputMessage): CommittedTransaction | undefined {
    switch (message.tag) {
      case 'relation':
        this.relations.set(message.relationId, { name: message.name, columns: message.columns });
        return undefined;
      case 'begin':
        this.ballots = [];
        this.voids = [];
        return undefined;
      case 'insert': {
        const relation = this.relations.get(message.relationId);
        if (!relation) throw new Error(`insert into relation ${message.relationId} before its description`);
        // The publication holds votes.ballots and votes.voided_ballots (vote-api's migrations).
        if (relation.name === 'voided_ballots') (this.voids ??= []).push(voidOf(relation.columns, message.values));
        else (this.ballots ??= []).push(ballotOf(relation.columns, message.values));
        return undefined;
      }
      case 'commit': {
        const ballots = this.ballots ?? [];
        const voids = this.voids ?? [];
        this.ballots = undefined;
        this.voids = undefined;
        return { commitLsn: message.commitLsn, endLsn: message.endLsn, committedAt: message.committedAt, ballots, voids };
      }
      default:
        return undefined;
    }
  }
}

function columnReader(what: string, columns: string[], values: (string | null)[]) {
  return (name: string) => {
    const value = values[columns.indexOf(name)];
    if (value === undefined || value === null) throw new Error(`a ${what} without ${name}`);
    return value;
  };
}

function voidOf(columns: string[], values: (string | null)[]): VoidedBallot {
  const column = columnReader('void', columns, values);
  return {
    electionId: column('election_id'),
    receiptId: column('receipt_id'),
    reason: column('reason'),
    at: timestampToIso(column('voided_at')),
  };
}

function ballotOf(columns: string[], values: (string | null)[]): CountedBallot {
  const column = columnReader('ballot', columns, values);
  return {
    electionId: column('election_id'),
    receiptId: column('receipt_id'),
    selections: column('selections'),
    countedAt: timestampToIso(column('counted_at')),
  };
}

/**
 * PostgreSQL's text form of a timestamptz in a UTC session (`2026-12-01 10:00:00.123456+00`) as
 * RFC 3339 with milliseconds, exactly as vote-api's receipts show it (a JavaScript Date's
 * `toISOString`, which drops the microseconds).
 */
export function timestampToIso(text: string): string {
  // The usual case, a UTC session: `2026-12-01 10:00:00.123456+00`, rewritten without a Date.
  if (text.length >= 22 && text.endsWith('+00') && text[10] === ' ' && text[19] === '.') {
    const ms = text.slice(20, -3).padEnd(3, '0').slice(0, 3);
    return `${text.slice(0, 10)}T${text.slice(11, 19)}.${ms}Z`;
  }
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?([+-]\d{2})(?::?(\d{2}))?$/.exec(text);
  if (!m) throw new Error(`not a timestamp: ${text}`);
  const [, date, time, fraction = '', hours, minutes = '00'] = m;
  const ms = fraction.padEnd(3, '0').slice(0, 3);
  return new Date(`${date}T${time}.${ms}${hours}:${minutes}`).toISOString();
}
