// A receipt's check against the public audit log (API.md "Audit log"), run in the voter's browser
// with @onevote/verifier's core: nothing here trusts the server's word. The head's signature is
// checked with a published key, then the inclusion proof against that very head.
import {
  AuditAnswerError,
  type AuditClient,
  AuditServerUnavailableError,
  checkReceiptInclusion,
  type TreeHead,
  type TreeHeadJwk,
  verifyTreeHeadSignature,
} from '@onevote/verifier';
import { isReceiptId } from './receipt-id.ts';

/** A head whose signature and election were checked. */
export interface SignedHead {
  head: TreeHead;
  keyId: string;
}

export type HeadRead =
  | { kind: 'signed'; signed: SignedHead }
  | { kind: 'no_log' }
  /** no answer (network, timeout, 5xx): nothing was proven either way, so asking again is fine */
  | { kind: 'unreachable' }
  | { kind: 'failed'; reason: string };

/**
 * The published tree-head keys, fetched once. A head signed by a key this page has not seen yet
 * (a rotation since the page loaded) makes it fetch the list again, once per unknown key.
 */
export class TreeHeadKeys {
  private keys: Promise<TreeHeadJwk[]> | undefined;
  private readonly refetchedFor = new Set<string>();

  constructor(private readonly client: AuditClient) {}

  async forHead(head: TreeHead): Promise<TreeHeadJwk[]> {
    this.keys ??= this.fetch();
    const keys = await this.keys;
    if (keys.some((key) => key.kid === head.keyId) || this.refetchedFor.has(head.keyId)) return keys;
    this.refetchedFor.add(head.keyId);
    this.keys = this.fetch();
    return this.keys;
  }

  private fetch(): Promise<TreeHeadJwk[]> {
    const keys = this.client.keys();
    // A failed fetch is not kept: the next attempt asks again.
    keys.catch(() => {
      this.keys = undefined;
    });
    return keys;
  }
}

/** The newest head of an election, with its signature checked; every problem but no answer is a named failure. */
export async function readSignedHead(client: AuditClient, keys: TreeHeadKeys, electionId: string): Promise<HeadRead> {
  try {
    return await readHead(client, keys, electionId);
  } catch (error) {
    if (error instanceof AuditServerUnavailableError) return { kind: 'unreachable' };
    throw error;
  }
}

async function readHead(client: AuditClient, keys: TreeHeadKeys, electionId: string): Promise<HeadRead> {
  let head: TreeHead;
  try {
    head = await client.head(electionId);
  } catch (error) {
    if (error instanceof AuditAnswerError && error.details.status === 404) return { kind: 'no_log' };
    if (error instanceof AuditAnswerError) return { kind: 'failed', reason: `the log's head could not be read (${error.message})` };
    throw error;
  }
  // The signature covers the election id, so a head of another election would verify: refuse it.
  if (head.electionId !== electionId) {
    return { kind: 'failed', reason: `the server sent the head of another election (${head.electionId})` };
  }
  let published: TreeHeadJwk[];
  try {
    published = await keys.forHead(head);
  } catch (error) {
    if (error instanceof AuditAnswerError) return { kind: 'failed', reason: `the log's keys could not be read (${error.message})` };
    throw error;
  }
  const signature = await verifyTreeHeadSignature(head, published);
  if (!signature.ok) return { kind: 'failed', reason: signature.message };
  return { kind: 'signed', signed: { head, keyId: signature.keyId } };
}

export type ReceiptLogCheck =
  | { state: 'verified'; leafIndex: number; head: TreeHead }
  /** `final`: the head is the closed election's final one, so the receipt will never be in it. */
  | { state: 'not_in_log'; final: boolean }
  | { state: 'failed'; reason: string };

/**
 * The pauses between attempts. A counted ballot reaches a signed head within about 2 s (API.md), so
 * the first retries come quickly; together they give the log 20 s before "not in the log yet".
 */
export const defaultRetryDelaysMs: readonly number[] = [500, 1000, 1500, 2000, 3000, 4000, 4000, 4000];

export interface ReceiptLogCheckOptions {
  retryDelaysMs?: readonly number[];
  /** Waits between attempts; rejects when `signal` aborts. */
  pause?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  /** Called before each retry, with the 1-based number of the attempt about to run. */
  onRetry?: (attempt: number) => void;
}

type Attempt = ReceiptLogCheck | { state: 'not_yet' } | { state: 'unreachable'; reason: string };
const unreachable: Attempt = { state: 'unreachable', reason: 'the public log could not be reached' };

async function attempt(client: AuditClient, keys: TreeHeadKeys, electionId: string, receiptId: string): Promise<Attempt> {
  try {
    const read = await readSignedHead(client, keys, electionId);
    if (read.kind === 'no_log') return { state: 'not_yet' };
    if (read.kind === 'unreachable') return unreachable;
    if (read.kind === 'failed') return { state: 'failed', reason: read.reason };
    const { head } = read.signed;
    let proof;
    try {
      // Against the size of the head just checked, so the proof and the signature cover the same tree.
      proof = await client.proof(electionId, { receiptId, treeSize: head.treeSize });
    } catch (error) {
      if (error instanceof AuditAnswerError && error.details.status === 404) {
        return head.final ? { state: 'not_in_log', final: true } : { state: 'not_yet' };
      }
      if (error instanceof AuditAnswerError) return { state: 'failed', reason: `the inclusion proof could not be read (${error.message})` };
      throw error;
    }
    const inclusion = await checkReceiptInclusion({ receiptId, proof, head });
    if (!inclusion.ok) return { state: 'failed', reason: inclusion.message };
    return { state: 'verified', leafIndex: inclusion.leafIndex, head };
  } catch (error) {
    if (error instanceof AuditServerUnavailableError) return unreachable;
    throw error;
  }
}

function abortablePause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/**
 * Checks that a receipt's ballot is in the election's public log: a signed head, then an inclusion
 * proof against it. "Not there yet" and an unreachable server are retried with backoff, because the
 * log lags a counted ballot by a second or two; a failed check is final at once, since a server that
 * serves a bad signature or proof must not get more tries at looking honest.
 */
export async function checkReceiptInLog(
  client: AuditClient,
  input: { electionId: string; receiptId: string; keys?: TreeHeadKeys },
  options: ReceiptLogCheckOptions = {},
): Promise<ReceiptLogCheck> {
  if (!isReceiptId(input.receiptId)) return { state: 'failed', reason: 'this is not a receipt id' };
  const keys = input.keys ?? new TreeHeadKeys(client);
  const delays = options.retryDelaysMs ?? defaultRetryDelaysMs;
  const pause = options.pause ?? abortablePause;
  for (let round = 0; ; round++) {
    options.signal?.throwIfAborted();
    const result = await attempt(client, keys, input.electionId, input.receiptId);
    if (result.state === 'verified' || result.state === 'not_in_log' || result.state === 'failed') return result;
    const delay = delays[round];
    if (delay === undefined) {
      return result.state === 'unreachable' ? { state: 'failed', reason: result.reason } : { state: 'not_in_log', final: false };
    }
    await pause(delay, options.signal);
    options.onRetry?.(round + 2);
  }
}
