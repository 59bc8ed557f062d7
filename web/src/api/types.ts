// The public API's shapes (API.md; packages/contracts holds the schemas the services validate with).

export type ElectionStatus = 'draft' | 'open' | 'closed';
export type ResultsVisibility = 'live' | 'after_close';
/** Who may vote: any signed-in voter, verified email addresses only, or the voter roll only. */
export type Eligibility = 'open' | 'verified_email' | 'roll';

export interface Option {
  id: string;
  label: string;
}

export interface Question {
  id: string;
  title: string;
  minSelections: number;
  maxSelections: number;
  options: Option[];
}

export interface Election {
  id: string;
  title: string;
  description: string;
  status: ElectionStatus;
  questions: Question[];
  opensAt: string | null;
  closesAt: string | null;
  resultsVisibility: ResultsVisibility;
  requireChallenge: boolean;
  eligibility: Eligibility;
  createdAt: string;
  revision?: number;
}

export interface ElectionInput {
  title: string;
  description?: string;
  questions: {
    title: string;
    minSelections?: number;
    maxSelections?: number;
    options: { label: string }[];
  }[];
  opensAt?: string | null;
  closesAt?: string | null;
  resultsVisibility?: ResultsVisibility;
  requireChallenge?: boolean;
  eligibility?: Eligibility;
}

export interface Selection {
  questionId: string;
  optionIds: string[];
}

export interface Receipt {
  receiptId: string;
  status: 'counted';
  countedAt: string;
}

export interface MyVote extends Receipt {
  selections: Selection[];
  /** An admin voided the ballot (fraud review): it is not in the tally. */
  voided?: boolean;
  voidReason?: string;
  voidedAt?: string;
}

export interface Results {
  electionId: string;
  status: ElectionStatus;
  totalBallots: number;
  questions: { questionId: string; options: { optionId: string; label: string; votes: number }[] }[];
  asOf: string;
  final: boolean;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'DPoP';
  expires_in: number;
  refresh_token: string;
}

export interface Me {
  voterId: string;
  email: string;
  roles: ('voter' | 'admin')[];
  /** The address is proven (tokens then carry email_verified: true). */
  emailVerified: boolean;
  /** An authenticator app is set up: sign-in asks for its code. */
  mfa: { totp: boolean };
}

export interface SessionInfo {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  amr: string[];
  current: boolean;
}

export interface HistoryEntry {
  at: string;
  actor: string;
  action: string;
  changes: Record<string, unknown>;
}

/** RFC 9457 problem details, plus code-specific members such as `receiptId`. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code: string;
  receiptId?: string;
  [extension: string]: unknown;
}

/** `GET /v1/elections/:id/roll`: distinct addresses on the roll, ballots counted. */
export interface RollSummary {
  size: number;
  voted: number;
}

/** `PUT /v1/elections/:id/roll`: the new roll's size, how many were not on the last one, lines that were not an address. */
export interface RollUploaded {
  size: number;
  added: number;
  invalid: number;
}

/** Vote outcomes as the operations view groups them (packages/contracts `operationsOutcomes`). */
export const operationsOutcomes = [
  'counted',
  'replayed',
  'already_voted',
  'rate_limited',
  'challenged',
  'denied',
  'invalid',
  'not_eligible',
  'not_open',
  'unavailable',
  'other',
] as const;
export type OperationsOutcome = (typeof operationsOutcomes)[number];

/** One second of live operations (GET /v1/admin/operations, and each `operations` frame of its stream). */
export interface OperationsSnapshot {
  electionId: string | null;
  at: string;
  intervalSeconds: number;
  ballotsPerSecond: number;
  requestsPerSecond: number;
  outcomesPerSecond: Record<OperationsOutcome, number>;
  outcomeTotals: Record<OperationsOutcome, number>;
  latencyP99Seconds: number | null;
  commitQueueDepth: number;
  commitBatchSize: number | null;
  sseViewers: number;
  wsViewers: number;
  frameLagP99Seconds: number | null;
  relayLagP99Seconds: number | null;
  auditLagP99Seconds: number | null;
  sources: { service: string; up: boolean }[];
  elections?: { electionId: string; ballotsPerSecond: number; requestsPerSecond: number }[];
}
