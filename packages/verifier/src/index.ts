// @onevote/verifier: an independent check of OneVote's public audit log (API.md "Audit log"), on
// WebCrypto and fetch only, so the same code runs in the CLI and in the browser.
export { fromBase64Url, toBase64Url } from './encoding.ts';
export { emptyRoot, leafHash, nodeHash, rootFromLeafHashes, rootFromLeaves } from './merkle.ts';
export { LogTree } from './log-tree.ts';
export { type InclusionProofInput, verifyInclusion } from './inclusion.ts';
export { type ConsistencyProofInput, verifyConsistency } from './consistency.ts';
export {
  importTreeHeadKey,
  type TreeHead,
  type TreeHeadAlgorithm,
  type TreeHeadJwk,
  treeHeadMessage,
  type TreeHeadSignatureCheck,
  verifyTreeHeadSignature,
} from './tree-head.ts';
export {
  type BallotLeaf,
  type EventLeaf,
  InvalidLeafError,
  type Leaf,
  type OtherLeaf,
  parseLeaf,
  type Selection,
  type VoidLeaf,
} from './leaf.ts';
export {
  type BallotInLog,
  type LeafProblem,
  LogTally,
  type LogTallySummary,
  type OptionTally,
  type QuestionTally,
  type TallyOfLeaves,
  tallyLeaves,
} from './tally.ts';
export { compareTallyWithResults, type ElectionResults, type TallyDifference } from './results.ts';
export { ballotHashOfReceipt, checkReceiptInclusion, type InclusionProof, type ReceiptInclusionCheck } from './receipt.ts';
export {
  AuditAnswerError,
  type AuditClient,
  type AuditClientOptions,
  AuditServerUnavailableError,
  type ConsistencyProof,
  createAuditClient,
  entriesPageLimit,
  type LogEntry,
} from './audit-client.ts';
export { firstEntryNotInSignedTree } from './first-mismatch.ts';
export {
  type Check,
  type CheckName,
  type ElectionVerification,
  type KnownHead,
  verifyElection,
  type VerifyElectionOptions,
} from './verify-election.ts';
