import { type TSchema, Type } from '@sinclair/typebox';
import { problemCatalogue } from '../problems.ts';

export const Id = Type.String({ format: 'uuid', description: 'An opaque id (UUID)' });
export const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339, UTC' });

/** A proof-of-work solution: base64 of JSON `{ challenge, solution }` (altcha-lib v2). */
export const AltchaPayload = Type.String({ minLength: 1, maxLength: 4096 });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.Union(Object.keys(problemCatalogue).map((code) => Type.Literal(code))),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    challengeLevel: Type.Optional(
      Type.Integer({
        description:
          'challenge_failed / challenge_required: the proof-of-work level needed; fetch GET /v1/auth/challenge?purpose=…&level=<this>',
      }),
    ),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);

export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

/** A body that must be a JSON object with no members (calls whose input is only the URL). */
export const EmptyBody = Type.Optional(Type.Object({}, { additionalProperties: false }));

export function strictObject<T extends Record<string, TSchema>>(properties: T, description?: string) {
  return Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
}
