// The heads this verifier has seen, per API origin and election: a later run checks that the log
// only grew since (a consistency proof from each). A small JSON file, written whole and renamed
// into place so an interrupted run never leaves half a file.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KnownHead } from '../index.ts';

interface StateFile {
  version: 1;
  /** url -> electionId -> heads, smallest first */
  logs: Record<string, Record<string, KnownHead[]>>;
}

/**
 * Heads kept per election. Every head kept was checked consistent with all kept before it, and
 * consistency composes, so dropping the oldest (but the first) loses no protection.
 */
const headsKept = 100;

export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

function isKnownHead(value: unknown): value is KnownHead {
  const head = value as KnownHead;
  return (
    typeof value === 'object' &&
    value !== null &&
    Number.isSafeInteger(head.treeSize) &&
    head.treeSize >= 0 &&
    typeof head.rootHash === 'string' &&
    typeof head.timestamp === 'string' &&
    typeof head.keyId === 'string'
  );
}

function read(path: string): StateFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, logs: {} };
    throw new StateFileError(`cannot read the state file ${path}: ${(error as Error).message}`);
  }
  let state: StateFile;
  try {
    state = JSON.parse(text) as StateFile;
  } catch {
    throw new StateFileError(`the state file ${path} is not JSON; move it away to start afresh`);
  }
  const valid =
    state?.version === 1 &&
    typeof state.logs === 'object' &&
    state.logs !== null &&
    Object.values(state.logs).every(
      (elections) =>
        typeof elections === 'object' &&
        elections !== null &&
        Object.values(elections).every((heads) => Array.isArray(heads) && heads.every(isKnownHead)),
    );
  if (!valid) throw new StateFileError(`the state file ${path} is not a OneVote verifier state (version 1)`);
  return state;
}

export function readKnownHeads(path: string, log: { url: string; electionId: string }): KnownHead[] {
  return read(path).logs[log.url]?.[log.electionId] ?? [];
}

/** Adds a verified head (once per size and root) to the state file. */
export function rememberHead(path: string, log: { url: string; electionId: string }, head: KnownHead): void {
  const state = read(path);
  const elections = (state.logs[log.url] ??= {});
  const heads = (elections[log.electionId] ??= []);
  if (!heads.some((known) => known.treeSize === head.treeSize && known.rootHash === head.rootHash)) {
    heads.push(head);
    heads.sort((a, b) => a.treeSize - b.treeSize);
    if (heads.length > headsKept) heads.splice(1, heads.length - headsKept);
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}
