import { ApiError, NetworkError } from './http.ts';

// One sentence a voter can act on for every problem code of API.md.
const messages: Record<string, string> = {
  invalid_request: 'Something in the form is not valid. Please check it and try again.',
  weak_password: 'That password is too weak. Use at least 10 characters.',
  invalid_code: 'That code is wrong or has expired.',
  invalid_credentials: 'Email or password is wrong.',
  invalid_passkey: 'That passkey was not accepted. Try again, or sign in with your password.',
  invalid_token: 'Your session has ended. Please sign in again.',
  invalid_dpop_proof: 'Your session key was not accepted. Please sign in again.',
  forbidden: 'You are not allowed to do that.',
  challenge_required: 'A quick anti-bot check is needed first.',
  challenge_failed: 'The anti-bot check did not pass. Please try again.',
  results_hidden: 'Results are hidden until the election closes.',
  not_found: 'Not found. It may have been removed, or it is not published yet.',
  email_taken: 'That email is already registered. Sign in instead.',
  not_draft: 'Only a draft election can be changed.',
  invalid_transition: 'The election cannot move to that status now.',
  not_closed: 'Exports are available once the election is closed.',
  election_not_open: 'This election is not open for voting.',
  already_voted: 'You have already voted in this election.',
  results_final: 'The election is closed: its results are final and no ballot can be voided.',
  email_not_verified: 'Verify your email address to vote in this election.',
  not_eligible: 'You are not on the voter roll of this election.',
  invalid_ballot: 'The ballot is not valid. Check the number of choices for each question.',
  payload_too_large: 'That is too much text.',
  rate_limited: 'Too many attempts. Please wait a moment.',
  unavailable: 'The service is busy. Please try again shortly.',
  internal_error: 'Something went wrong on our side. Please try again.',
};

export function describeError(err: unknown): string {
  if (err instanceof NetworkError) return 'No connection to the server. Check your network and try again.';
  if (err instanceof ApiError) {
    const base = messages[err.code] ?? err.problem.detail ?? `The request failed (${err.status}).`;
    if ((err.code === 'rate_limited' || err.code === 'unavailable') && err.retryAfter !== undefined) {
      return `${base} Try again in ${Math.ceil(err.retryAfter)} s.`;
    }
    // The server says how many tries are left.
    if (err.code === 'invalid_code' && err.problem.detail) return `${base} (${err.problem.detail})`;
    return base;
  }
  return err instanceof Error ? err.message : String(err);
}
