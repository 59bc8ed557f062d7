// A voter's check that their ballot is in the log, runnable in the browser (receipt screen) and by
// the CLI (`--receipt`).
import { fromBase64Url, toBase64Url, utf8Bytes } from './encoding.ts';
import { verifyInclusion } from './inclusion.ts';
import { InvalidLeafError, parseLeaf } from './leaf.ts';
import { leafHash, sha256 } from './merkle.ts';
import type { TreeHead } from './tree-head.ts';

/** `GET /v1/elections/:id/log/proof`. */
export interface InclusionProof {
  leafIndex: number;
  /** the leaf's JSON text, as served */
  leaf: string;
  /** base64url */
  leafHash: string;
  treeSize: number;
  /** base64url hashes */
  auditPath: string[];
}

/** The `ballot` member of a receipt's leaf: base64url SHA-256 of the receiptId's UTF-8. */
export async function ballotHashOfReceipt(receiptId: string): Promise<string> {
  return toBase64Url(await sha256(utf8Bytes(receiptId)));
}

export type ReceiptInclusionCheck = { ok: true; leafIndex: number; ballotHash: string } | { ok: false; message: string };

/**
 * Checks an inclusion proof for a receipt against a head (whose signature the caller has checked):
 * the proof is for the head's size, its leafHash is SHA-256(0x00 || leaf), the leaf is a ballot of
 * this election whose `ballot` is the receipt's hash, and the audit path leads to the head's root.
 */
export async function checkReceiptInclusion(input: {
  receiptId: string;
  proof: InclusionProof;
  head: TreeHead;
}): Promise<ReceiptInclusionCheck> {
  const { proof, head } = input;
  const ballotHash = await ballotHashOfReceipt(input.receiptId);
  if (proof.treeSize !== head.treeSize) {
    return { ok: false, message: `the inclusion proof is for tree size ${proof.treeSize}, not the head's ${head.treeSize}` };
  }
  const computedLeafHash = await leafHash(proof.leaf);
  if (toBase64Url(computedLeafHash) !== proof.leafHash) {
    return { ok: false, message: `the inclusion proof's leafHash is not SHA-256(0x00 || leaf)` };
  }
  let leaf;
  try {
    leaf = parseLeaf(proof.leaf);
  } catch (error) {
    if (!(error instanceof InvalidLeafError)) throw error;
    return { ok: false, message: `the inclusion proof's leaf is not valid: ${error.message}` };
  }
  if (leaf.kind !== 'ballot' || leaf.electionId !== head.electionId) {
    return { ok: false, message: `the inclusion proof's leaf is not a ballot of election ${head.electionId}` };
  }
  if (leaf.ballot !== ballotHash) {
    return { ok: false, message: `the inclusion proof's leaf is ballot ${leaf.ballot}, not the receipt's ${ballotHash}` };
  }
  const auditPath = proof.auditPath.map((hash) => fromBase64Url(hash));
  const rootHash = fromBase64Url(head.rootHash);
  const included =
    rootHash !== undefined &&
    auditPath.every((hash) => hash !== undefined) &&
    (await verifyInclusion({
      leafHash: computedLeafHash,
      leafIndex: proof.leafIndex,
      treeSize: proof.treeSize,
      auditPath: auditPath as Uint8Array[],
      rootHash,
    }));
  if (!included) {
    return { ok: false, message: `the inclusion proof for entry ${proof.leafIndex} does not lead to the signed root` };
  }
  return { ok: true, leafIndex: proof.leafIndex, ballotHash };
}
