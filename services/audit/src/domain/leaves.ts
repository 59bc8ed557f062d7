import { createHash } from 'node:crypto';

/**
 * The leaves of the audit log, byte for byte as API.md ("Audit log") defines them: the UTF-8 of a
 * JSON text with its members in the documented order. Verifiers hash exactly what is served, so
 * these builders are the format's one definition on the server side.
 */

export interface Selection {
  questionId: string;
  optionIds: string[];
}

/** base64url SHA-256 of a receipt id's UTF-8: what the log names a ballot by (never the receipt). */
export function ballotHash(receiptId: string): string {
  return createHash('sha256').update(receiptId, 'utf8').digest('base64url');
}

/** `ballot` is the receipt's `ballotHash` (computed once by the caller, who also keys the leaf by it). */
export function ballotLeaf(input: { electionId: string; ballot: string; selections: Selection[]; countedAt: string }): string {
  return JSON.stringify({
    v: 1,
    kind: 'ballot',
    electionId: input.electionId,
    ballot: input.ballot,
    // Rebuilt member by member: the stored JSON (jsonb) orders keys its own way.
    selections: input.selections.map((s) => ({ questionId: s.questionId, optionIds: [...s.optionIds] })),
    countedAt: input.countedAt,
  });
}

export type LifecycleEvent = 'created' | 'edited' | 'opened' | 'closed' | 'deleted' | 'roll_replaced' | 'ballots_voided';

export function eventLeaf(input: { electionId: string; event: LifecycleEvent; at: string }): string {
  return JSON.stringify({ v: 1, kind: 'event', electionId: input.electionId, event: input.event, at: input.at });
}

export function voidLeaf(input: { electionId: string; ballot: string; reason: string; at: string }): string {
  return JSON.stringify({ v: 1, kind: 'void', electionId: input.electionId, ballot: input.ballot, reason: input.reason, at: input.at });
}
