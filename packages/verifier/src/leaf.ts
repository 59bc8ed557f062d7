// Leaves are JSON texts (API.md "Audit log"). Verifiers ignore kinds and members they do not know,
// so the log can grow new ones; members the tally depends on are checked strictly.

export interface Selection {
  questionId: string;
  optionIds: string[];
}

export interface BallotLeaf {
  kind: 'ballot';
  electionId: string;
  /** base64url SHA-256 of the receiptId's UTF-8 */
  ballot: string;
  selections: Selection[];
  countedAt?: string;
}

export interface VoidLeaf {
  kind: 'void';
  electionId: string;
  ballot: string;
  reason?: string;
  at?: string;
}

export interface EventLeaf {
  kind: 'event';
  electionId: string;
  event: string;
  at?: string;
}

/** A leaf of a kind this verifier does not know; it counts in the tree and nowhere else. */
export interface OtherLeaf {
  kind: 'other';
  /** the leaf's own `kind` member */
  leafKind: string;
}

export type Leaf = BallotLeaf | VoidLeaf | EventLeaf | OtherLeaf;

export class InvalidLeafError extends Error {
  override readonly name = 'InvalidLeafError';
}

const ballotHashPattern = /^[A-Za-z0-9_-]{43}$/;

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function requiredString(leaf: Record<string, unknown>, member: string): string {
  const value = leaf[member];
  if (typeof value !== 'string' || value === '') throw new InvalidLeafError(`"${member}" is not a non-empty string`);
  return value;
}

function optionalString(leaf: Record<string, unknown>, member: string): string | undefined {
  const value = leaf[member];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidLeafError(`"${member}" is not a string`);
  return value;
}

function ballotHash(leaf: Record<string, unknown>): string {
  const value = requiredString(leaf, 'ballot');
  if (!ballotHashPattern.test(value)) throw new InvalidLeafError(`"ballot" is not a base64url SHA-256`);
  return value;
}

function selections(value: unknown): Selection[] {
  if (!Array.isArray(value)) throw new InvalidLeafError(`"selections" is not an array`);
  return value.map((item, i) => {
    const selection = record(item);
    const optionIds = selection?.optionIds;
    if (
      !selection ||
      typeof selection.questionId !== 'string' ||
      !Array.isArray(optionIds) ||
      !optionIds.every((id) => typeof id === 'string')
    ) {
      throw new InvalidLeafError(`selection ${i} is not { questionId, optionIds: [string] }`);
    }
    return { questionId: selection.questionId, optionIds: optionIds as string[] };
  });
}

/** Parses one leaf's JSON text; throws InvalidLeafError when it is not a v1 leaf of a known shape. */
export function parseLeaf(text: string): Leaf {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidLeafError('not JSON');
  }
  const leaf = record(parsed);
  if (!leaf) throw new InvalidLeafError('not a JSON object');
  if (leaf.v !== 1) throw new InvalidLeafError(`"v" is ${JSON.stringify(leaf.v)}, not 1`);
  const kind = requiredString(leaf, 'kind');
  switch (kind) {
    case 'ballot':
      return {
        kind,
        electionId: requiredString(leaf, 'electionId'),
        ballot: ballotHash(leaf),
        selections: selections(leaf.selections),
        countedAt: optionalString(leaf, 'countedAt'),
      };
    case 'void':
      return {
        kind,
        electionId: requiredString(leaf, 'electionId'),
        ballot: ballotHash(leaf),
        reason: optionalString(leaf, 'reason'),
        at: optionalString(leaf, 'at'),
      };
    case 'event':
      return { kind, electionId: requiredString(leaf, 'electionId'), event: requiredString(leaf, 'event'), at: optionalString(leaf, 'at') };
    default:
      return { kind: 'other', leafKind: kind };
  }
}
