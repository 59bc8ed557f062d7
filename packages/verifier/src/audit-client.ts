// The public audit endpoints over `fetch` (browser or Node). Every answer is checked for the shape
// API.md gives before anything else reads it: a verifier must not trust the server it checks.
import type { InclusionProof } from './receipt.ts';
import type { ElectionResults } from './results.ts';
import type { TreeHead, TreeHeadJwk } from './tree-head.ts';

export interface LogEntry {
  leafIndex: number;
  /** the leaf's JSON text, hashed exactly as served */
  leaf: string;
}

export interface ConsistencyProof {
  from: number;
  to: number;
  /** base64url hashes */
  proof: string[];
}

/** Most entries one `GET …/log/entries` returns (API.md). */
export const entriesPageLimit = 1000;

/** No answer: the network failed, the request timed out, or the server answered 5xx. */
export class AuditServerUnavailableError extends Error {
  override readonly name = 'AuditServerUnavailableError';
}

/** An answer that is not what the contract promises: an unexpected 4xx, or a body of the wrong shape. */
export class AuditAnswerError extends Error {
  override readonly name = 'AuditAnswerError';
  constructor(
    message: string,
    readonly details: { path: string; status: number; code?: string },
  ) {
    super(message);
  }
}

export interface AuditClient {
  keys(): Promise<TreeHeadJwk[]>;
  head(electionId: string): Promise<TreeHead>;
  entries(electionId: string, range: { start: number; end: number }): Promise<LogEntry[]>;
  consistency(electionId: string, range: { from: number; to: number }): Promise<ConsistencyProof>;
  proof(electionId: string, query: { receiptId: string; treeSize?: number }): Promise<InclusionProof>;
  results(electionId: string): Promise<ElectionResults>;
}

export interface AuditClientOptions {
  /** origin of the API (a path prefix is kept), e.g. https://vote.example.org */
  url: string;
  fetch?: typeof fetch;
  /** per request; default 30 s */
  timeoutMs?: number;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isIndex = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

function isJwk(value: unknown): value is TreeHeadJwk {
  return isObject(value) && isString(value.kid) && isString(value.alg) && isString(value.kty);
}

function isHead(value: unknown): value is TreeHead {
  return (
    isObject(value) &&
    isString(value.electionId) &&
    isIndex(value.treeSize) &&
    isString(value.rootHash) &&
    isString(value.timestamp) &&
    isString(value.signature) &&
    isString(value.keyId) &&
    typeof value.final === 'boolean'
  );
}

function isEntry(value: unknown): value is LogEntry {
  return isObject(value) && isIndex(value.leafIndex) && isString(value.leaf);
}

function isProof(value: unknown): value is InclusionProof {
  return (
    isObject(value) &&
    isIndex(value.leafIndex) &&
    isString(value.leaf) &&
    isString(value.leafHash) &&
    isIndex(value.treeSize) &&
    isStringArray(value.auditPath)
  );
}

function isConsistency(value: unknown): value is ConsistencyProof {
  return isObject(value) && isIndex(value.from) && isIndex(value.to) && isStringArray(value.proof);
}

function isResults(value: unknown): value is ElectionResults {
  return (
    isObject(value) &&
    isString(value.electionId) &&
    isIndex(value.totalBallots) &&
    Array.isArray(value.questions) &&
    value.questions.every(
      (question) =>
        isObject(question) &&
        isString(question.questionId) &&
        Array.isArray(question.options) &&
        question.options.every((option) => isObject(option) && isString(option.optionId) && isIndex(option.votes)),
    )
  );
}

export function createAuditClient(options: AuditClientOptions): AuditClient {
  const base = options.url.endsWith('/') ? options.url : `${options.url}/`;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function get<T>(path: string, query: Record<string, string | number>, valid: (body: unknown) => body is T, what: string): Promise<T> {
    const url = new URL(path.slice(1), base);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
    let response: Response;
    let text: string;
    try {
      response = await fetchFn(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
      text = await response.text();
    } catch (error) {
      // The URL is not in the message: a proof request carries the receipt id in its query.
      throw new AuditServerUnavailableError(`GET ${path} failed: ${(error as Error).message}`, { cause: error });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.status >= 500) {
      throw new AuditServerUnavailableError(`GET ${path} answered ${response.status}`);
    }
    if (response.status !== 200) {
      const code = isObject(body) && isString(body.code) ? body.code : undefined;
      throw new AuditAnswerError(`GET ${path} answered ${response.status}${code ? ` ${code}` : ''}`, {
        path,
        status: response.status,
        ...(code ? { code } : {}),
      });
    }
    if (!valid(body)) {
      throw new AuditAnswerError(`GET ${path} answered a body that is not ${what}`, { path, status: response.status });
    }
    return body;
  }

  const election = (electionId: string) => `/v1/elections/${encodeURIComponent(electionId)}`;

  return {
    async keys() {
      const body = await get('/v1/audit/keys', {}, (b): b is { keys: TreeHeadJwk[] } => isObject(b) && Array.isArray(b.keys) && b.keys.every(isJwk), '{ keys: [JWK with kid, alg] }');
      return body.keys;
    },
    head: (electionId) => get(`${election(electionId)}/log/head`, {}, isHead, 'a tree head'),
    async entries(electionId, { start, end }) {
      const body = await get(`${election(electionId)}/log/entries`, { start, end }, (b): b is { entries: LogEntry[] } => isObject(b) && Array.isArray(b.entries) && b.entries.every(isEntry), '{ entries: [{ leafIndex, leaf }] }');
      return body.entries;
    },
    consistency: (electionId, { from, to }) =>
      get(`${election(electionId)}/log/consistency`, { from, to }, isConsistency, '{ from, to, proof }'),
    proof: (electionId, { receiptId, treeSize }) =>
      get(`${election(electionId)}/log/proof`, { receiptId, ...(treeSize === undefined ? {} : { treeSize }) }, isProof, 'an inclusion proof'),
    results: (electionId) => get(`${election(electionId)}/results`, {}, isResults, 'election results'),
  };
}
