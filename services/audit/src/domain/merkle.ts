import { createHash } from 'node:crypto';

/**
 * RFC 9162 §2.1 Merkle tree hashing and proofs over stored subtree hashes.
 *
 * The store keeps the hash of every complete subtree: node (level, index) is the hash of the 2^level
 * leaves [index·2^level, (index+1)·2^level). Every node of an RFC 9162 tree of any size n is a range
 * [a, b) whose start is a multiple of the smallest power of two >= b - a, so its hash is the fold of
 * at most log2(n) stored complete subtrees (the binary decomposition of b - a). Head, inclusion and
 * consistency proofs therefore read O(log n) stored hashes and never rebuild the tree.
 *
 * Every operation is a plan: first the subtrees it needs (so an adapter fetches them in one query),
 * then `resolve` computes the answer from what was fetched.
 */

export type Hash = Uint8Array;

/** A complete subtree of the log: the 2^level leaves starting at leaf index·2^level. */
export interface SubtreeRef {
  readonly level: number;
  readonly index: number;
}

export interface Subtree extends SubtreeRef {
  readonly hash: Hash;
}

export interface SubtreePlan<T> {
  /** Every stored subtree the answer needs, each once. */
  readonly subtrees: readonly SubtreeRef[];
  /** The answer from those subtrees (extra ones are ignored); throws if one is missing. */
  resolve(found: readonly Subtree[]): T;
}

/** Where an adapter reads stored subtrees (of one election's log). */
export interface SubtreeReader {
  /** The stored subtrees among `subtrees`; absent ones are left out. */
  read(subtrees: readonly SubtreeRef[]): Promise<readonly Subtree[]>;
}

/** The leaves [start, end) of the log. */
interface LeafRange {
  start: number;
  end: number;
}

const leafPrefix = Buffer.from([0x00]);
const nodePrefix = Buffer.from([0x01]);
const emptyRootHash = createHash('sha256').digest();

/** RFC 9162 §2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)). */
export function leafHash(leaf: Uint8Array): Hash {
  return createHash('sha256').update(leafPrefix).update(leaf).digest();
}

/** RFC 9162 §2.1.1: SHA-256(0x01 || left || right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(nodePrefix).update(left).update(right).digest();
}

/** RFC 9162 §2.1.1: the root of the empty tree, SHA-256(""). A fresh copy: callers may keep it. */
export function emptyRoot(): Hash {
  return Buffer.from(emptyRootHash);
}

/** Runs a plan against a reader: one read, then the answer. */
export async function readPlan<T>(reader: SubtreeReader, plan: SubtreePlan<T>): Promise<T> {
  const found = plan.subtrees.length > 0 ? await reader.read(plan.subtrees) : [];
  return plan.resolve(found);
}

/** The root hash of the first `treeSize` leaves. */
export function rootPlan(treeSize: number): SubtreePlan<Hash> {
  checkSize(treeSize, 'treeSize');
  return rangePlan([{ start: 0, end: treeSize }], ([root]) => root!);
}

/**
 * RFC 9162 §2.1.3.1 PATH(leafIndex, D[treeSize]): the audit path, nearest the leaf first. The plan
 * also reads the leaf's own hash (level 0), returned beside the path.
 */
export function inclusionPlan(leafIndex: number, treeSize: number): SubtreePlan<{ leafHash: Hash; auditPath: Hash[] }> {
  checkSize(treeSize, 'treeSize');
  checkSize(leafIndex, 'leafIndex');
  if (leafIndex >= treeSize) throw new RangeError(`leafIndex ${leafIndex} is not below treeSize ${treeSize}`);
  const siblings: LeafRange[] = [];
  let start = 0;
  let end = treeSize;
  while (end - start > 1) {
    const k = largestPowerOfTwoBelow(end - start);
    if (leafIndex < start + k) {
      siblings.push({ start: start + k, end });
      end = start + k;
    } else {
      siblings.push({ start, end: start + k });
      start += k;
    }
  }
  // Collected from the root down; the proof lists them from the leaf up.
  siblings.reverse();
  return rangePlan([{ start: leafIndex, end: leafIndex + 1 }, ...siblings], ([leaf, ...auditPath]) => ({
    leafHash: leaf!,
    auditPath,
  }));
}

/**
 * RFC 9162 §2.1.4.1 PROOF(from, D[to]). Empty when from is 0 or equals to (the empty tree and a tree
 * itself are prefixes of it with nothing to prove).
 */
export function consistencyPlan(from: number, to: number): SubtreePlan<Hash[]> {
  checkSize(from, 'from');
  checkSize(to, 'to');
  if (from > to) throw new RangeError(`from ${from} is above to ${to}`);
  const nodes: LeafRange[] = [];
  if (from > 0 && from < to) {
    // SUBPROOF(m, D[start:end], startsAtOldRoot), unrolled; m counts leaves from `start`.
    let m = from;
    let start = 0;
    let end = to;
    let startsAtOldRoot = true;
    while (m < end - start) {
      const k = largestPowerOfTwoBelow(end - start);
      if (m <= k) {
        nodes.push({ start: start + k, end });
        end = start + k;
      } else {
        nodes.push({ start, end: start + k });
        m -= k;
        start += k;
        startsAtOldRoot = false;
      }
    }
    // m == end - start: the old tree's subtree itself, unless the verifier already has it as the old root.
    if (!startsAtOldRoot) nodes.push({ start, end });
    nodes.reverse();
  }
  return rangePlan(nodes, (hashes) => hashes);
}

/**
 * Appending `leafHashes` to a log of `treeSize` leaves: reads the current frontier (the complete
 * subtrees of the root's decomposition, at most log2(treeSize)) and resolves to every node to store,
 * each new leaf at level 0 and every parent the new leaves complete.
 */
export function appendPlan(treeSize: number, leafHashes: readonly Hash[]): SubtreePlan<Subtree[]> {
  checkSize(treeSize, 'treeSize');
  checkSize(treeSize + leafHashes.length, 'new treeSize');
  const frontier = decompose({ start: 0, end: treeSize });
  return {
    subtrees: frontier,
    resolve(found) {
      const byKey = index(found);
      // The frontier as a stack: the largest subtree at the bottom, levels strictly decreasing upwards.
      const stack: Subtree[] = frontier.map((ref) => ({ ...ref, hash: lookup(byKey, ref) }));
      const created: Subtree[] = [];
      leafHashes.forEach((hash, i) => {
        let node: Subtree = { level: 0, index: treeSize + i, hash };
        created.push(node);
        // A right child completes its parent; the left sibling is the top of the stack.
        while (stack.length > 0 && stack[stack.length - 1]!.level === node.level) {
          const left = stack.pop()!;
          node = { level: node.level + 1, index: left.index / 2, hash: nodeHash(left.hash, node.hash) };
          created.push(node);
        }
        stack.push(node);
      });
      return created;
    },
  };
}

/** The complete subtrees that make up [start, end), largest first. */
function decompose(range: LeafRange): SubtreeRef[] {
  const refs: SubtreeRef[] = [];
  let position = range.start;
  let remaining = range.end - range.start;
  while (remaining > 0) {
    let width = 1;
    let level = 0;
    while (width * 2 <= remaining) {
      width *= 2;
      level += 1;
    }
    // Only ranges that are nodes of an RFC 9162 tree are aligned like this; anything else is a bug here.
    if (position % width !== 0) throw new Error(`[${range.start}, ${range.end}) is not a node of the log`);
    refs.push({ level, index: position / width });
    position += width;
    remaining -= width;
  }
  return refs;
}

/** MTH of each range, from the plan's fetched subtrees. */
function rangePlan<T>(ranges: readonly LeafRange[], answer: (hashes: Hash[]) => T): SubtreePlan<T> {
  const pieces = ranges.map(decompose);
  const unique = new Map<string, SubtreeRef>();
  for (const ref of pieces.flat()) unique.set(key(ref), ref);
  return {
    subtrees: [...unique.values()],
    resolve(found) {
      const byKey = index(found);
      return answer(
        pieces.map((refs) => {
          if (refs.length === 0) return emptyRoot();
          // MTH splits at the largest power of two, so the pieces fold from the right.
          let hash = lookup(byKey, refs[refs.length - 1]!);
          for (let i = refs.length - 2; i >= 0; i -= 1) hash = nodeHash(lookup(byKey, refs[i]!), hash);
          return hash;
        }),
      );
    },
  };
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const key = (ref: SubtreeRef) => `${ref.level}/${ref.index}`;

function index(found: readonly Subtree[]): Map<string, Hash> {
  return new Map(found.map((s) => [key(s), s.hash]));
}

function lookup(byKey: ReadonlyMap<string, Hash>, ref: SubtreeRef): Hash {
  const hash = byKey.get(key(ref));
  if (!hash) throw new Error(`subtree ${key(ref)} is not stored`);
  return hash;
}

function checkSize(value: number, name: string) {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
}
