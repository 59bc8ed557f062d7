// The public API's shapes (API.md; packages/contracts holds the schemas the services validate with).

export type ElectionStatus = 'draft' | 'open' | 'closed';
export type ResultsVisibility = 'live' | 'after_close';

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
