/**
 * The stable catalogue of problem `code`s in the public API (API.md). Every error a client can see is
 * one of these; the HTTP status and title live here, once, so domain code never names a status.
 */
export const problemCatalogue = {
  invalid_request: { status: 400, title: 'The request is not valid' },
  weak_password: { status: 400, title: 'The password is too weak' },
  invalid_code: { status: 400, title: 'The code is wrong or has expired' },
  invalid_passkey: { status: 400, title: 'The passkey response could not be verified' },
  invalid_credentials: { status: 401, title: 'Email or password is wrong' },
  invalid_token: { status: 401, title: 'The access or refresh token is not valid' },
  invalid_dpop_proof: { status: 401, title: 'The DPoP proof is not valid' },
  forbidden: { status: 403, title: 'Not allowed' },
  challenge_required: { status: 403, title: 'A solved proof-of-work challenge is required' },
  challenge_failed: { status: 403, title: 'The proof-of-work challenge was not solved' },
  mfa_required: { status: 403, title: 'Multi-factor authentication is required' },
  results_hidden: { status: 403, title: 'Results are hidden until the election closes' },
  email_not_verified: { status: 403, title: 'This election needs a verified email address' },
  not_eligible: { status: 403, title: 'This voter is not eligible in this election' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  not_acceptable: { status: 406, title: 'Not acceptable' },
  email_taken: { status: 409, title: 'The email is already registered' },
  not_draft: { status: 409, title: 'Only a draft election can be changed' },
  invalid_transition: { status: 409, title: 'The election cannot move to that status' },
  not_closed: { status: 409, title: 'The election is not closed yet' },
  election_not_open: { status: 409, title: 'The election is not open' },
  already_voted: { status: 409, title: 'This voter has already voted' },
  results_final: { status: 409, title: 'The election is closed; its results are final' },
  conflict: { status: 409, title: 'Conflict' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  invalid_ballot: { status: 422, title: 'The ballot is not valid' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal error' },
  bad_gateway: { status: 502, title: 'The upstream service failed' },
  unavailable: { status: 503, title: 'Temporarily unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof problemCatalogue;

export const problemContentType = 'application/problem+json';

/** The body of every error answer (RFC 9457), plus any code-specific members such as `receiptId`. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  instance?: string;
  requestId?: string;
  [extension: string]: unknown;
}

export function problemType(code: ProblemCode): string {
  return `https://onevote.dev/problems/${code.replaceAll('_', '-')}`;
}
