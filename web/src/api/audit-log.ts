import { createAuditClient } from '@onevote/verifier';
import {
  checkReceiptInLog,
  readSignedHead,
  type ReceiptLogCheck,
  type ReceiptLogCheckOptions,
  type HeadRead,
  TreeHeadKeys,
} from '../domain/receipt-log-check.ts';

// The public audit log on this origin (the gateway routes it; CSP connect-src 'self' allows it).
// One client and one key cache for the page: the keys change only at a rotation. This module and
// the verifier load on demand (a chunk of their own), so the ballot's first screen stays small.
const client = createAuditClient({ url: location.origin, timeoutMs: 15_000 });
const keys = new TreeHeadKeys(client);

export function checkReceipt(
  input: { electionId: string; receiptId: string },
  options: ReceiptLogCheckOptions,
): Promise<ReceiptLogCheck> {
  return checkReceiptInLog(client, { ...input, keys }, options);
}

export function readHead(electionId: string): Promise<HeadRead> {
  return readSignedHead(client, keys, electionId);
}
