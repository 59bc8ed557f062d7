import { Type } from '@sinclair/typebox';
import { Id, Timestamp } from './common.ts';
import { ElectionStatus } from './elections.ts';

export const Results = Type.Object({
  electionId: Id,
  status: ElectionStatus,
  totalBallots: Type.Integer(),
  questions: Type.Array(
    Type.Object({
      questionId: Id,
      options: Type.Array(Type.Object({ optionId: Id, label: Type.String(), votes: Type.Integer() })),
    }),
  ),
  asOf: Timestamp,
  final: Type.Boolean(),
});
