// Test data factories: leaves as API.md defines them, with the ballot hash computed by node:crypto
// (not by the verifier's ballotHashOfReceipt).
import { createHash } from 'node:crypto';

export interface TestSelection {
  questionId: string;
  optionIds: string[];
}

export function ballotHash(receiptId: string): string {
  return createHash('sha256').update(receiptId, 'utf8').digest('base64url');
}

export function aBallotLeaf(options: { electionId: string; receiptId: string; selections: TestSelection[]; countedAt?: string }): string {
  return JSON.stringify({
    v: 1,
    kind: 'ballot',
    electionId: options.electionId,
    ballot: ballotHash(options.receiptId),
    selections: options.selections,
    countedAt: options.countedAt ?? '2025-06-01T10:00:00.000Z',
  });
}

export function aVoidLeaf(options: { electionId: string; receiptId: string; reason?: string }): string {
  return JSON.stringify({
    v: 1,
    kind: 'void',
    electionId: options.electionId,
    ballot: ballotHash(options.receiptId),
    reason: options.reason ?? 'fraud review',
    at: '2025-06-01T11:00:00.000Z',
  });
}

export function anEventLeaf(options: { electionId: string; event: string }): string {
  return JSON.stringify({ v: 1, kind: 'event', electionId: options.electionId, event: options.event, at: '2025-06-01T09:00:00.000Z' });
}
