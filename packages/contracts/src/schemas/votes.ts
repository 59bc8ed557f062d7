import { Type } from '@sinclair/typebox';
import { AltchaPayload, Id, strictObject, Timestamp } from './common.ts';
import { limits } from './elections.ts';

export const Selection = strictObject({
  questionId: Id,
  optionIds: Type.Array(Id, { minItems: 0, maxItems: limits.optionsMax }),
});

export const CastVoteBody = strictObject({
  selections: Type.Array(Selection, { minItems: 1, maxItems: limits.questionsMax }),
  altcha: Type.Optional(AltchaPayload),
});

export const IdempotencyKeyHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }),
});

export const Receipt = Type.Object({
  receiptId: Id,
  status: Type.Literal('counted'),
  countedAt: Timestamp,
});

export const MyVote = Type.Object({
  receiptId: Id,
  status: Type.Literal('counted'),
  selections: Type.Array(Type.Object({ questionId: Id, optionIds: Type.Array(Id) })),
  countedAt: Timestamp,
  voided: Type.Optional(
    Type.Boolean({
      description: 'true when an admin voided the ballot (fraud review): it is not in the tally, and the voter cannot vote again',
    }),
  ),
  voidReason: Type.Optional(Type.String()),
  voidedAt: Type.Optional(Timestamp),
});
