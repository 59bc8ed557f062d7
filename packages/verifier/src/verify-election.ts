// Every check of one election's public log, in order, stopping at the first that fails. Uses only
// `fetch` and WebCrypto, so a browser page can run it as well as the CLI.
import { AuditAnswerError, AuditServerUnavailableError, type AuditClient } from './audit-client.ts';
import { CheckFailed, decodeHashes, fail } from './check-failed.ts';
import { checkHistory } from './check-history.ts';
import { fromBase64Url, toBase64Url } from './encoding.ts';
import { firstEntryNotInSignedTree } from './first-mismatch.ts';
import { hashLength } from './merkle.ts';
import { readLog } from './read-log.ts';
import { ballotHashOfReceipt, checkReceiptInclusion } from './receipt.ts';
import { compareTallyWithResults, type ElectionResults, type TallyDifference } from './results.ts';
import type { BallotInLog, LogTallySummary } from './tally.ts';
import { verifyTreeHeadSignature, type TreeHead } from './tree-head.ts';

export type CheckName = 'keys' | 'head' | 'entries' | 'root' | 'consistency' | 'leaves' | 'tally' | 'receipt';

export interface Check {
  name: CheckName;
  /** `info` reports something that is not a failure (hidden results, live results ahead of the log, a voided ballot) */
  status: 'pass' | 'fail' | 'info';
  message: string;
}

/** A head verified before, as the state file keeps it. */
export interface KnownHead {
  treeSize: number;
  rootHash: string;
  timestamp: string;
  keyId: string;
  /** when the verifier saw it (RFC 3339) */
  seenAt?: string;
}

export interface VerifyElectionOptions {
  client: AuditClient;
  electionId: string;
  receiptId?: string;
  /** heads of this origin and election verified before; the new head must be consistent with each */
  knownHeads?: readonly KnownHead[];
  /** called as each check completes, for output that keeps pace with a long log */
  onCheck?: (check: Check) => void;
}

export interface ElectionVerification {
  /** `unavailable`: the server could not be reached or answered 5xx; nothing was proven either way */
  outcome: 'verified' | 'failed' | 'unavailable';
  /** the first failure (or why the server was unavailable) */
  failure?: string;
  checks: Check[];
  head?: TreeHead;
  /** the head to remember: its signature holds, its root was recomputed, it is consistent with every known head */
  verifiedHead?: KnownHead;
  tally?: LogTallySummary;
  results?: { hidden: true } | { hidden: false; results: ElectionResults; differences: TallyDifference[] };
  receipt?: { ballotHash: string; leafIndex: number; voided?: BallotInLog['voided'] };
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function shortHash(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}

function formatTally(tally: LogTallySummary): string {
  const questions = tally.questions.map(
    (question) => `${question.questionId}: ${question.options.map((option) => `${option.optionId} ${option.votes}`).join(', ')}`,
  );
  return [`${tally.totalBallots} ballots`, ...questions].join('; ');
}

/** Runs every check against one election's log; never throws for what the server answers. */
export async function verifyElection(options: VerifyElectionOptions): Promise<ElectionVerification> {
  const { client, electionId } = options;
  const report: ElectionVerification = { outcome: 'failed', checks: [] };
  const record = (name: CheckName, status: Check['status'], message: string) => {
    const check = { name, status, message };
    report.checks.push(check);
    options.onCheck?.(check);
  };
  let current: CheckName = 'keys';

  try {
    // keys
    const keys = await client.keys();
    record('keys', 'pass', `${keys.length} tree-head key${keys.length === 1 ? '' : 's'} listed${keys.length ? `: ${keys.map((k) => `${k.kid} (${k.alg})`).join(', ')}` : ''}`);

    // head
    current = 'head';
    const head = await client.head(electionId);
    if (head.electionId !== electionId) fail(`the head is for election ${head.electionId}, not ${electionId}`);
    const signedRoot = fromBase64Url(head.rootHash);
    if (!signedRoot || signedRoot.length !== hashLength || toBase64Url(signedRoot) !== head.rootHash) {
      fail(`the head's rootHash is not a base64url SHA-256`);
    }
    if (!rfc3339.test(head.timestamp) || Number.isNaN(Date.parse(head.timestamp))) {
      fail(`the head's timestamp ${JSON.stringify(head.timestamp)} is not an RFC 3339 date-time`);
    }
    const signature = await verifyTreeHeadSignature(head, keys);
    if (!signature.ok) fail(signature.message);
    report.head = head;
    record(
      'head',
      'pass',
      `size ${head.treeSize}, root ${shortHash(head.rootHash)}, ${head.timestamp}, signed by ${signature.keyId} (${signature.algorithm})${head.final ? ', final' : ''}`,
    );

    // entries and root
    current = 'entries';
    const { tree, tally, pages } = await readLog(client, head);
    record('entries', 'pass', `${tree.size} entries in ${pages} page${pages === 1 ? '' : 's'}, leafIndex 0..${tree.size - 1} contiguous`);

    current = 'root';
    const root = await tree.root();
    if (toBase64Url(root) !== head.rootHash) {
      const entry =
        tree.size === 0
          ? undefined
          : await firstEntryNotInSignedTree({
              tree,
              signedRoot,
              consistencyProof: async (fromSize) =>
                decodeHashes((await client.consistency(electionId, { from: fromSize, to: head.treeSize })).proof, fromBase64Url),
            });
      fail(
        entry === undefined
          ? `the entries do not hash to the signed root (recomputed ${shortHash(toBase64Url(root))}, signed ${shortHash(head.rootHash)})`
          : `entry ${entry} does not match the signed root`,
      );
    }
    record('root', 'pass', `the ${tree.size} entries hash to the signed root`);

    // consistency with every head seen before
    current = 'consistency';
    const known = [...(options.knownHeads ?? [])].sort((a, b) => a.treeSize - b.treeSize);
    await checkHistory({ client, head, root, knownHeads: known });
    report.verifiedHead = { treeSize: head.treeSize, rootHash: head.rootHash, timestamp: head.timestamp, keyId: head.keyId };
    if (known.length === 0) record('consistency', 'info', 'no head of this log seen before; this one is remembered');
    else {
      record(
        'consistency',
        'pass',
        `consistent with the ${known.length} head${known.length === 1 ? '' : 's'} seen before (size${known.length === 1 ? '' : 's'} ${known.map((k) => k.treeSize).join(', ')})`,
      );
    }

    // the leaves and the tally they imply
    current = 'leaves';
    const problem = tally.problems[0];
    if (problem) fail(problem.message);
    const summary = tally.summary();
    report.tally = summary;
    record(
      'leaves',
      'pass',
      `${summary.ballotLeaves} ballot${summary.ballotLeaves === 1 ? '' : 's'} (${summary.voided} voided), ${summary.events} event${summary.events === 1 ? '' : 's'}, ${summary.otherLeaves} of other kinds (ignored)`,
    );

    current = 'tally';
    let results: ElectionResults | undefined;
    try {
      results = await client.results(electionId);
    } catch (error) {
      if (!(error instanceof AuditAnswerError)) throw error;
      if (error.details.status !== 403 || error.details.code !== 'results_hidden') fail(`cannot compare the tally: ${error.message}`);
    }
    if (!results) {
      report.results = { hidden: true };
      record('tally', 'info', `the results are hidden until the election closes (403 results_hidden); the log's tally: ${formatTally(summary)}`);
    } else {
      if (results.electionId !== electionId) fail(`GET /results answered for election ${results.electionId}, not ${electionId}`);
      const differences = compareTallyWithResults(summary, results);
      report.results = { hidden: false, results, differences };
      const first = differences[0];
      if (!first) record('tally', 'pass', `the log's tally equals the results: ${formatTally(summary)}`);
      else if (head.final) fail(`tally differs from results ${first.optionId === undefined ? 'in' : 'for'} ${first.message}`);
      else {
        // Not final: results are live and may count ballots the next head will hold.
        record(
          'tally',
          'info',
          `the head is not final and the live results may be ahead of the log: ${differences.map((d) => d.message).join('; ')}`,
        );
      }
    }

    // the receipt
    if (options.receiptId !== undefined) {
      current = 'receipt';
      const ballotHash = await ballotHashOfReceipt(options.receiptId);
      let proof;
      try {
        proof = await client.proof(electionId, { receiptId: options.receiptId, treeSize: head.treeSize });
      } catch (error) {
        if (error instanceof AuditAnswerError && error.details.status === 404) {
          fail(`the receipt's ballot ${ballotHash} is not in the log (no inclusion proof: 404)`);
        }
        throw error;
      }
      const inclusion = await checkReceiptInclusion({ receiptId: options.receiptId, proof, head });
      if (!inclusion.ok) fail(inclusion.message);
      const inLog = tally.ballot(ballotHash);
      if (!inLog || inLog.leafIndex !== proof.leafIndex) fail(`the inclusion proof says entry ${proof.leafIndex}, but that entry is not the receipt's ballot`);
      report.receipt = { ballotHash, leafIndex: proof.leafIndex, ...(inLog.voided ? { voided: inLog.voided } : {}) };
      record('receipt', 'pass', `ballot ${ballotHash} is entry ${proof.leafIndex}; its inclusion proof leads to the signed root`);
      if (inLog.voided) {
        const reason = inLog.voided.reason ? ` (reason: ${inLog.voided.reason})` : '';
        record('receipt', 'info', `the ballot was voided by entry ${inLog.voided.leafIndex}${reason}, so it is not in the tally`);
      } else {
        record('receipt', 'info', 'the ballot is not voided: it is in the tally');
      }
    }
    report.outcome = 'verified';
  } catch (error) {
    if (error instanceof CheckFailed || error instanceof AuditAnswerError) {
      report.failure = error.message;
      record(current, 'fail', error.message);
    } else if (error instanceof AuditServerUnavailableError) {
      report.outcome = 'unavailable';
      report.failure = error.message;
    } else {
      throw error;
    }
  }
  return report;
}

