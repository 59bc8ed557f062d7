import { Type } from '@sinclair/typebox';
import { Id, strictObject, Timestamp } from './common.ts';

/** Fraud review (issue 17): admin-only calls of vote-api; no voter identity in any of them. */

/** What the audit log calls a ballot: base64url SHA-256 of its receipt id (API.md, "Audit log"). */
export const BallotHash = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'The ballot as the audit log names it' });

export const ClusterId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,400}$', description: 'An opaque cluster id' });

export const ClusterParams = Type.Object({ id: Id, clusterId: ClusterId }, { additionalProperties: false });

export const ClusterMinute = Type.Object({
  minute: Timestamp,
  ballots: Type.Integer({ description: 'Ballots of the cluster counted in this minute' }),
  voided: Type.Integer(),
});

export const ReviewCluster = Type.Object({
  clusterId: ClusterId,
  kind: Type.Union([Type.Literal('subnet'), Type.Literal('key'), Type.Literal('burst')], {
    description:
      'subnet: many ballots from one /24 or /64; key: ballots of several voters signed with one DPoP key; burst: many ballots from one network within one minute',
  }),
  network: Type.Optional(Type.String({ description: 'subnet and burst: the /24 or /64' })),
  keyHash: Type.Optional(Type.String({ description: "key: the DPoP key's hash, salted per election" })),
  minute: Type.Optional(Timestamp),
  ballots: Type.Integer(),
  voided: Type.Integer(),
  challenged: Type.Integer({ description: 'Ballots that were asked for a challenge and solved it' }),
  peakPerMinute: Type.Integer(),
  perMinute: Type.Array(ClusterMinute),
});

export const ReviewClusters = Type.Object({
  electionId: Id,
  /** Ballots voided in the election so far. */
  voided: Type.Integer(),
  thresholds: Type.Object({ subnetMin: Type.Integer(), keyMin: Type.Integer(), burstMin: Type.Integer() }),
  items: Type.Array(ReviewCluster, { description: 'Largest first, at most 100' }),
});

/** Query values are strings (no coercion, I5): digits, checked by pattern. */
export const ClusterBallotsQuery = strictObject({
  offset: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,7})$', description: 'Ballots to skip (default 0)' })),
  limit: Type.Optional(
    Type.String({ pattern: '^([1-9]|[1-9][0-9]|[1-4][0-9]{2}|500)$', description: 'Ballots per page, 1 to 500 (default 100)' }),
  ),
});

export const ReviewedBallot = Type.Object({
  ballot: BallotHash,
  countedAt: Timestamp,
  network: Type.String(),
  keyHash: Type.String(),
  tokenAgeSeconds: Type.Integer(),
  risk: Type.Union([Type.Literal('allow'), Type.Literal('challenge')]),
  reasons: Type.Array(Type.String()),
  voided: Type.Boolean(),
  voidReason: Type.Optional(Type.String()),
  voidedAt: Type.Optional(Timestamp),
});

export const ClusterBallots = Type.Object({
  clusterId: ClusterId,
  total: Type.Integer(),
  offset: Type.Integer(),
  items: Type.Array(ReviewedBallot),
  nextOffset: Type.Optional(Type.Integer()),
});

export const VoidBody = strictObject(
  {
    reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'Why (kept in the audit log and the history)' }),
    clusterId: Type.Optional(ClusterId),
    ballots: Type.Optional(Type.Array(BallotHash, { minItems: 1, maxItems: 1000, uniqueItems: true })),
  },
  'Exactly one of clusterId (every ballot of the cluster now) and ballots',
);

export const VoidResult = Type.Object({
  electionId: Id,
  voided: Type.Integer({ description: 'Ballots this call voided' }),
  alreadyVoided: Type.Integer({ description: 'Ballots named that were voided before (left as they were)' }),
  totalVoided: Type.Integer({ description: 'Ballots voided in the election so far' }),
  voidId: Type.Optional(Id),
});
