import { AppError } from '@onevote/platform';
import type { HeadKeysRepository } from '../adapters/head-keys.repository.ts';
import type { HeadsRepository } from '../adapters/heads.repository.ts';
import { maxEntriesPerCall, type MerkleRepository } from '../adapters/merkle.repository.ts';
import { ballotHash } from '../domain/leaves.ts';
import type { SignedTreeHead } from '../domain/tree-head.ts';
import type { AuditMetrics } from '../metrics.ts';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const number = (digits: string | undefined) => (digits === undefined ? undefined : Number(digits));

/**
 * The public reads of API.md's "Audit log": everything is answered against the newest signed head,
 * so a client never sees a leaf or a proof that no signature covers yet.
 */
export class LogReader {
  constructor(
    private readonly deps: { tree: MerkleRepository; heads: HeadsRepository; keys: HeadKeysRepository; metrics: AuditMetrics },
  ) {}

  async head(electionId: string): Promise<SignedTreeHead> {
    this.deps.metrics.proofs.inc({ kind: 'head' });
    return this.signed(electionId);
  }

  async inclusion(electionId: string, receiptId: string, treeSizeText?: string) {
    this.deps.metrics.proofs.inc({ kind: 'inclusion' });
    const head = await this.signed(electionId);
    const treeSize = number(treeSizeText) ?? head.treeSize;
    if (treeSize > head.treeSize) throw new AppError('invalid_request', { detail: `no head of size ${treeSize} is signed yet` });
    const proof = await this.deps.tree.inclusionProofForBallot(electionId, ballotHash(receiptId), treeSize);
    if (!proof) throw new AppError('not_found', { detail: 'no such ballot in the log (yet)' });
    return {
      leafIndex: proof.leafIndex,
      leaf: text(proof.leaf),
      leafHash: b64(proof.leafHash),
      treeSize: proof.treeSize,
      auditPath: proof.auditPath.map(b64),
    };
  }

  async consistency(electionId: string, fromText: string, toText: string) {
    this.deps.metrics.proofs.inc({ kind: 'consistency' });
    const head = await this.signed(electionId);
    const from = Number(fromText);
    const to = Number(toText);
    if (from > to) throw new AppError('invalid_request', { detail: 'from must not be above to' });
    if (to > head.treeSize) throw new AppError('invalid_request', { detail: `to is above the signed tree size ${head.treeSize}` });
    const proof = await this.deps.tree.consistencyProof(electionId, from, to);
    return { from: proof.from, to: proof.to, proof: proof.proof.map(b64) };
  }

  async entries(electionId: string, startText: string, endText: string) {
    this.deps.metrics.proofs.inc({ kind: 'entries' });
    const head = await this.signed(electionId);
    const start = Number(startText);
    const end = Number(endText);
    if (end < start) throw new AppError('invalid_request', { detail: 'end must not be below start' });
    if (end - start > maxEntriesPerCall) throw new AppError('invalid_request', { detail: `at most ${maxEntriesPerCall} entries per call` });
    const signedEnd = Math.min(end, head.treeSize);
    if (signedEnd <= start) return { entries: [] };
    const entries = await this.deps.tree.entries(electionId, start, signedEnd);
    return { entries: entries.map((e) => ({ leafIndex: e.leafIndex, leaf: text(e.leaf) })) };
  }

  async keys() {
    this.deps.metrics.proofs.inc({ kind: 'keys' });
    const keys = await this.deps.keys.published();
    return { keys: keys.map((k) => ({ ...(k.jwk as { kid: string; alg: 'ES256'; kty: string; crv: string; x: string; y: string }), status: k.status })) };
  }

  private async signed(electionId: string): Promise<SignedTreeHead> {
    const head = await this.deps.heads.newest(electionId);
    if (!head) throw new AppError('not_found', { detail: 'no signed log for this election (yet)' });
    return head;
  }
}
