import { Type } from '@sinclair/typebox';
import { Id, strictObject, Timestamp } from './common.ts';

export const limits = {
  titleMax: 200,
  descriptionMax: 2000,
  labelMax: 200,
  questionsMax: 20,
  optionsMax: 50,
} as const;

const Title = Type.String({ minLength: 1, maxLength: limits.titleMax });
const Label = Type.String({ minLength: 1, maxLength: limits.labelMax });
const Selections = Type.Integer({ minimum: 1, maximum: limits.optionsMax });

export const ElectionStatus = Type.Union([
  Type.Literal('draft'),
  Type.Literal('open'),
  Type.Literal('closed'),
]);
export const ResultsVisibility = Type.Union([Type.Literal('live'), Type.Literal('after_close')]);
/** Who may vote (API.md, "Eligibility and verified identity"). */
export const Eligibility = Type.Union([Type.Literal('open'), Type.Literal('verified_email'), Type.Literal('roll')], {
  description:
    'open: any signed-in voter; verified_email: voters whose email address is verified; roll: voters whose verified email is on the election\'s voter roll',
});

export const OptionInput = strictObject({ label: Label });
export const QuestionInput = strictObject({
  title: Title,
  minSelections: Type.Optional(Selections),
  maxSelections: Type.Optional(Selections),
  options: Type.Array(OptionInput, { minItems: 2, maxItems: limits.optionsMax }),
});

const electionFields = {
  title: Title,
  description: Type.Optional(Type.String({ maxLength: limits.descriptionMax })),
  questions: Type.Array(QuestionInput, { minItems: 1, maxItems: limits.questionsMax }),
  opensAt: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  closesAt: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  resultsVisibility: Type.Optional(ResultsVisibility),
  requireChallenge: Type.Optional(Type.Boolean()),
  eligibility: Type.Optional(Eligibility),
};

export const CreateElectionBody = strictObject(electionFields);
export const PatchElectionBody = Type.Partial(strictObject(electionFields), { minProperties: 1 });

export const Option = Type.Object({ id: Id, label: Type.String() });
export const Question = Type.Object({
  id: Id,
  title: Type.String(),
  minSelections: Type.Integer(),
  maxSelections: Type.Integer(),
  options: Type.Array(Option),
});

export const Election = Type.Object({
  id: Id,
  title: Type.String(),
  description: Type.String(),
  status: ElectionStatus,
  questions: Type.Array(Question),
  opensAt: Type.Union([Timestamp, Type.Null()]),
  closesAt: Type.Union([Timestamp, Type.Null()]),
  resultsVisibility: ResultsVisibility,
  requireChallenge: Type.Boolean(),
  eligibility: Eligibility,
  createdAt: Timestamp,
  revision: Type.Integer({ description: 'Increases with every change' }),
});

export const ElectionList = Type.Object({ items: Type.Array(Election) });
export const ElectionListQuery = Type.Object(
  { status: Type.Optional(ElectionStatus) },
  { additionalProperties: false },
);

export const ExportQuery = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('json')])) },
  { additionalProperties: false },
);

export const HistoryEntry = Type.Object({
  at: Timestamp,
  actor: Type.String({ description: 'voter id of the admin, or "scheduler"' }),
  action: Type.String(),
  changes: Type.Record(Type.String(), Type.Unknown()),
});
export const History = Type.Object({ items: Type.Array(HistoryEntry) });

export const RollUploaded = Type.Object({
  size: Type.Integer({ description: 'Distinct valid addresses on the roll now' }),
  added: Type.Integer({ description: 'How many of them were not on the roll before' }),
  invalid: Type.Integer({ description: 'Lines that were not an email address (not on the roll)' }),
});

export const RollSummary = Type.Object({
  size: Type.Integer({ description: 'Distinct addresses on the roll (0 without a roll)' }),
  voted: Type.Integer({
    description: 'Ballots counted in the election; in a roll election each was on the roll when it was cast',
  }),
});
