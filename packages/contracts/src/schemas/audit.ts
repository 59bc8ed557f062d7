import { Type } from '@sinclair/typebox';
import { Id, strictObject, Timestamp } from './common.ts';

/** A SHA-256 hash, base64url without padding (43 characters). */
export const Hash = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'SHA-256, base64url without padding' });

const Size = Type.Integer({ minimum: 0, description: 'A number of leaves' });

/** Query strings carry numbers as text; a size or index is digits only (at most 15). */
const Digits = Type.String({ pattern: '^(0|[1-9][0-9]{0,14})$' });

export const TreeHead = Type.Object({
  electionId: Id,
  treeSize: Size,
  rootHash: Hash,
  timestamp: Timestamp,
  signature: Type.String({
    description:
      'Over the UTF-8 of `onevote-tree-head:v1\\n<electionId>\\n<treeSize>\\n<rootHash>\\n<timestamp>`: ES256 as the 64-byte r‖s (base64url), or Ed25519',
  }),
  keyId: Type.String({ description: 'The `kid` of the key in GET /v1/audit/keys' }),
  final: Type.Boolean({ description: 'The election is closed and every counted ballot is in the log' }),
});

export const InclusionQuery = strictObject({
  receiptId: Id,
  treeSize: Type.Optional(Digits),
});

export const InclusionProof = Type.Object({
  leafIndex: Size,
  leaf: Type.String({ description: 'The leaf exactly as hashed (a JSON text)' }),
  leafHash: Hash,
  treeSize: Size,
  auditPath: Type.Array(Hash),
});

export const ConsistencyQuery = strictObject({ from: Digits, to: Digits });

export const ConsistencyProof = Type.Object({ from: Size, to: Size, proof: Type.Array(Hash) });

export const EntriesQuery = strictObject({ start: Digits, end: Digits });

export const Entries = Type.Object({
  entries: Type.Array(Type.Object({ leafIndex: Size, leaf: Type.String() })),
});

export const AuditKeys = Type.Object({
  keys: Type.Array(
    Type.Object(
      {
        kid: Type.String(),
        alg: Type.Union([Type.Literal('ES256'), Type.Literal('EdDSA')]),
        kty: Type.String(),
        crv: Type.String(),
        x: Type.String(),
        y: Type.Optional(Type.String()),
        status: Type.Union([Type.Literal('current'), Type.Literal('retired')]),
      },
      { additionalProperties: true },
    ),
  ),
});
