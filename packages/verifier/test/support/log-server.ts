// Test scaffolding: an in-process node:http server playing OneVote's public audit endpoints and
// /results for one election log the test builds, signed with a key the test generates. Its proofs
// come from ReferenceLog (not from the verifier), and a test can make it lie in one way at a time.
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ballotHash } from './leaves.ts';
import { ReferenceLog } from './reference-log.ts';

export interface HeadSigner {
  kid: string;
  alg: 'ES256' | 'EdDSA';
  jwk: Record<string, unknown>;
  sign(message: Buffer): Buffer;
}

export function anEs256Signer(kid: string): HeadSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return signer(kid, 'ES256', publicKey, (message) => sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
}

export function anEd25519Signer(kid: string): HeadSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return signer(kid, 'EdDSA', publicKey, (message) => sign(null, message, privateKey));
}

function signer(kid: string, alg: HeadSigner['alg'], publicKey: KeyObject, signWith: (message: Buffer) => Buffer): HeadSigner {
  return { kid, alg, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }, sign: signWith };
}

export interface Question {
  questionId: string;
  optionIds: string[];
}

export interface Head {
  electionId: string;
  treeSize: number;
  rootHash: string;
  timestamp: string;
  signature: string;
  keyId: string;
  final: boolean;
}

export interface InclusionProofBody {
  leafIndex: number;
  leaf: string;
  leafHash: string;
  treeSize: number;
  auditPath: string[];
}

export interface ResultsBody {
  electionId: string;
  status: string;
  totalBallots: number;
  questions: { questionId: string; options: { optionId: string; label: string; votes: number }[] }[];
  asOf: string;
  final: boolean;
}

export interface ServedLog {
  electionId: string;
  questions: Question[];
  /** the log the signed head commits to */
  leaves: string[];
  signer: HeadSigner;
  /** the keys /v1/audit/keys lists; default [signer] */
  keys?: HeadSigner[];
  final?: boolean;
  timestamp?: string;
  /** most entries one /entries answer holds; default 1000 (API.md) */
  pageLimit?: number;

  // One lie at a time:
  /** what /entries serves instead of the true leaves */
  servedEntries?: { leafIndex: number; leaf: string }[];
  /** changes the head after it is signed */
  alterHead?: (head: Head) => Head;
  /** changes an inclusion proof */
  alterProof?: (proof: InclusionProofBody) => InclusionProofBody;
  /** changes a consistency proof */
  alterConsistency?: (proof: { from: number; to: number; proof: string[] }) => { from: number; to: number; proof: string[] };
  /** changes the results computed from the leaves */
  alterResults?: (results: ResultsBody) => ResultsBody;
  /** answer /results with 403 results_hidden */
  resultsHidden?: boolean;
}

interface Prepared {
  log: ServedLog;
  reference: ReferenceLog;
  head: Head;
  ballotIndex: Map<string, number>;
  results: ResultsBody;
}

/** The signed-head message of API.md, written out independently of the verifier's. */
function headMessage(head: Omit<Head, 'signature' | 'keyId' | 'final'>): Buffer {
  return Buffer.from(`onevote-tree-head:v1\n${head.electionId}\n${head.treeSize}\n${head.rootHash}\n${head.timestamp}`, 'utf8');
}

/** The tally of a log as plainly as possible: every ballot leaf, less the ones a void leaf names. */
export function resultsOf(log: Pick<ServedLog, 'electionId' | 'questions' | 'leaves' | 'final'>): ResultsBody {
  const parsed = log.leaves.map((leaf) => JSON.parse(leaf) as { kind: string; ballot?: string; selections?: Question[] });
  const voided = new Set(parsed.filter((leaf) => leaf.kind === 'void').map((leaf) => leaf.ballot));
  const counted = parsed.filter((leaf) => leaf.kind === 'ballot' && !voided.has(leaf.ballot));
  return {
    electionId: log.electionId,
    status: log.final ? 'closed' : 'open',
    totalBallots: counted.length,
    questions: log.questions.map((question) => ({
      questionId: question.questionId,
      options: question.optionIds.map((optionId) => ({
        optionId,
        label: `Option ${optionId}`,
        votes: counted.filter((leaf) =>
          leaf.selections?.some((s) => s.questionId === question.questionId && s.optionIds.includes(optionId)),
        ).length,
      })),
    })),
    asOf: new Date().toISOString(),
    final: log.final ?? false,
  };
}

function prepare(log: ServedLog): Prepared {
  const reference = new ReferenceLog(log.leaves);
  const unsigned = {
    electionId: log.electionId,
    treeSize: reference.size,
    rootHash: reference.hash().toString('base64url'),
    timestamp: log.timestamp ?? '2025-06-01T10:00:01.250Z',
  };
  const signed: Head = {
    ...unsigned,
    signature: log.signer.sign(headMessage(unsigned)).toString('base64url'),
    keyId: log.signer.kid,
    final: log.final ?? false,
  };
  const ballotIndex = new Map<string, number>();
  log.leaves.forEach((leaf, i) => {
    const parsed = JSON.parse(leaf) as { kind: string; ballot?: string };
    if (parsed.kind === 'ballot' && parsed.ballot) ballotIndex.set(parsed.ballot, i);
  });
  const results = resultsOf(log);
  return {
    log,
    reference,
    head: log.alterHead ? log.alterHead(signed) : signed,
    ballotIndex,
    results: log.alterResults ? log.alterResults(results) : results,
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const problem = status >= 400;
  response.writeHead(status, { 'content-type': problem ? 'application/problem+json' : 'application/json' });
  response.end(JSON.stringify(body));
}

function problem(response: ServerResponse, status: number, code: string): void {
  send(response, status, { type: `https://onevote.dev/problems/${code}`, title: code, status, detail: code, code });
}

function integer(value: string | null): number | undefined {
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

export interface LogServer {
  url: string;
  /** the head the server currently signs */
  head(): Head;
  /** serve another log from now on (the same election, grown, rewritten, ...) */
  setLog(log: ServedLog): void;
  /** request paths with query, in order */
  requests: string[];
  close(): Promise<void>;
}

export async function startLogServer(initial: ServedLog): Promise<LogServer> {
  let current = prepare(initial);
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    requests.push(`${url.pathname}${url.search}`);
    const { log, reference, head } = current;
    if (request.method !== 'GET') return problem(response, 405, 'method_not_allowed');
    if (url.pathname === '/v1/audit/keys') {
      return send(response, 200, { keys: (log.keys ?? [log.signer]).map((key) => key.jwk) });
    }
    const match = /^\/v1\/elections\/([^/]+)\/(log\/head|log\/proof|log\/consistency|log\/entries|results)$/.exec(url.pathname);
    if (!match || decodeURIComponent(match[1]!) !== log.electionId) return problem(response, 404, 'not_found');
    const query = url.searchParams;
    switch (match[2]) {
      case 'log/head':
        return send(response, 200, head);
      case 'log/entries': {
        const start = integer(query.get('start'));
        const end = integer(query.get('end'));
        if (start === undefined || end === undefined || start > end) return problem(response, 400, 'invalid_request');
        const limit = Math.min(end, start + (log.pageLimit ?? 1000));
        const all = log.servedEntries ?? log.leaves.map((leaf, leafIndex) => ({ leafIndex, leaf }));
        return send(response, 200, { entries: all.filter((e) => e.leafIndex >= start && e.leafIndex < limit) });
      }
      case 'log/consistency': {
        const from = integer(query.get('from'));
        const to = integer(query.get('to'));
        if (from === undefined || to === undefined || from > to || to > reference.size) return problem(response, 400, 'invalid_request');
        const proof = reference.consistencyProof(from, to).map((hash) => hash.toString('base64url'));
        return send(response, 200, log.alterConsistency ? log.alterConsistency({ from, to, proof }) : { from, to, proof });
      }
      case 'log/proof': {
        const receiptId = query.get('receiptId');
        const treeSize = query.has('treeSize') ? integer(query.get('treeSize')) : reference.size;
        if (!receiptId || treeSize === undefined || treeSize > reference.size) return problem(response, 400, 'invalid_request');
        const leafIndex = current.ballotIndex.get(ballotHash(receiptId));
        if (leafIndex === undefined || leafIndex >= treeSize) return problem(response, 404, 'not_found');
        const proof: InclusionProofBody = {
          leafIndex,
          leaf: log.leaves[leafIndex]!,
          leafHash: reference.leafHashes[leafIndex]!.toString('base64url'),
          treeSize,
          auditPath: reference.inclusionPath(leafIndex, treeSize).map((hash) => hash.toString('base64url')),
        };
        return send(response, 200, log.alterProof ? log.alterProof(proof) : proof);
      }
      case 'results':
        if (log.resultsHidden) return problem(response, 403, 'results_hidden');
        return send(response, 200, current.results);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    head: () => current.head,
    setLog(log) {
      current = prepare(log);
    },
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
