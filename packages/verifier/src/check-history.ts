import { AuditAnswerError, type AuditClient } from './audit-client.ts';
import { decodeHashes, fail } from './check-failed.ts';
import { verifyConsistency } from './consistency.ts';
import { fromBase64Url } from './encoding.ts';
import type { TreeHead } from './tree-head.ts';
import type { KnownHead } from './verify-election.ts';

/**
 * The head (whose root the caller recomputed) must extend every head seen before: none larger, one
 * of the same size with the same root, a smaller one by a verifying consistency proof.
 */
export async function checkHistory(input: {
  client: AuditClient;
  head: TreeHead;
  root: Uint8Array;
  knownHeads: readonly KnownHead[];
}): Promise<void> {
  const { client, head } = input;
  for (const earlier of input.knownHeads) {
    const seen = earlier.seenAt ? ` (seen ${earlier.seenAt})` : '';
    if (earlier.treeSize > head.treeSize) {
      fail(`the log shrank: a head of size ${earlier.treeSize} was seen before${seen}, this head has size ${head.treeSize}`);
    }
    if (earlier.treeSize === head.treeSize) {
      if (earlier.rootHash !== head.rootHash) {
        fail(`a head of the same size ${head.treeSize} with another root was seen before${seen}: the history was rewritten`);
      }
      continue;
    }
    let proof: Uint8Array[] = [];
    // From the empty tree there is nothing to prove (and nothing to ask the server for).
    if (earlier.treeSize > 0) {
      let served;
      try {
        served = await client.consistency(head.electionId, { from: earlier.treeSize, to: head.treeSize });
      } catch (error) {
        if (error instanceof AuditAnswerError) fail(`no consistency proof from size ${earlier.treeSize} to ${head.treeSize}: ${error.message}`);
        throw error;
      }
      if (served.from !== earlier.treeSize || served.to !== head.treeSize) {
        fail(`asked for a consistency proof from size ${earlier.treeSize} to ${head.treeSize}, got one from ${served.from} to ${served.to}`);
      }
      proof = decodeHashes(served.proof, fromBase64Url);
    }
    const earlierRoot = fromBase64Url(earlier.rootHash);
    const consistent =
      earlierRoot !== undefined &&
      (await verifyConsistency({ fromSize: earlier.treeSize, toSize: head.treeSize, fromRoot: earlierRoot, toRoot: input.root, proof }));
    if (!consistent) fail(`consistency proof from size ${earlier.treeSize} to ${head.treeSize} does not verify`);
  }
}
