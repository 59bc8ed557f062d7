import { type TSchema, Type } from '@sinclair/typebox';
import type { ProblemCode } from './problems.ts';
import { EmptyBody, IdParams } from './schemas/common.ts';
import * as a from './schemas/audit.ts';
import * as e from './schemas/elections.ts';
import * as i from './schemas/identity.ts';
import * as o from './schemas/operations.ts';
import * as r from './schemas/results.ts';
import * as rv from './schemas/review.ts';
import * as v from './schemas/votes.ts';

export type Service = 'identity' | 'ballot' | 'vote-api' | 'results' | 'audit' | 'gateway';
export type Access = 'public' | 'voter' | 'admin';

export interface RouteContract {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify-style path: `/v1/elections/:id` */
  url: string;
  service: Service;
  access: Access;
  summary: string;
  /** What a client needs to know beyond the summary (design choices, what is and is not revealed). */
  description?: string;
  schema: {
    body?: TSchema;
    querystring?: TSchema;
    params?: TSchema;
    headers?: TSchema;
    response: Record<number, TSchema | null>;
  };
  errors: ProblemCode[];
  /** The request body's media type when it is not JSON (the body is then a stream, not a schema). */
  consumes?: { type: string; description: string };
  /** Extra media types served on success, such as `text/event-stream`. */
  produces?: string[];
}

function route<const T extends RouteContract>(r: T): T {
  return r;
}

const DPoPHeaders = Type.Object({
  authorization: Type.String({ description: 'DPoP <access token>' }),
  dpop: Type.String({ description: 'DPoP proof JWT' }),
});

/** Every public call of API.md, with the schemas the owning service validates with. */
export const routes = {
  challenge: route({
    method: 'GET',
    url: '/v1/auth/challenge',
    service: 'identity',
    access: 'public',
    summary: 'Issue a proof-of-work challenge (ALTCHA) for a purpose, at a level',
    schema: { querystring: i.ChallengeQuery, response: { 200: i.Challenge } },
    errors: ['invalid_request', 'rate_limited'],
  }),
  register: route({
    method: 'POST',
    url: '/v1/auth/register',
    service: 'identity',
    access: 'public',
    summary: 'Register a voter',
    schema: { body: i.RegisterBody, response: { 201: i.RegisterResponse } },
    errors: ['invalid_request', 'weak_password', 'challenge_failed', 'email_taken', 'rate_limited'],
  }),
  login: route({
    method: 'POST',
    url: '/v1/auth/login',
    service: 'identity',
    access: 'public',
    summary: 'Log in; the access token is bound to the DPoP key of the proof',
    schema: { body: i.LoginBody, response: { 200: i.TokenResponse } },
    errors: [
      'invalid_request',
      'invalid_credentials',
      'invalid_dpop_proof',
      'challenge_failed',
      'rate_limited',
      'mfa_required',
    ],
  }),
  refresh: route({
    method: 'POST',
    url: '/v1/auth/refresh',
    service: 'identity',
    access: 'public',
    summary: 'Exchange a refresh token for a new pair (same DPoP key); a reused token revokes its family',
    schema: { body: i.RefreshBody, response: { 200: i.TokenResponse } },
    errors: ['invalid_request', 'invalid_token', 'invalid_dpop_proof'],
  }),
  logout: route({
    method: 'POST',
    url: '/v1/auth/logout',
    service: 'identity',
    access: 'voter',
    summary: 'Revoke a refresh token family',
    schema: { body: i.LogoutBody, headers: DPoPHeaders, response: { 204: null } },
    errors: ['invalid_request', 'invalid_token', 'invalid_dpop_proof'],
  }),
  me: route({
    method: 'GET',
    url: '/v1/auth/me',
    service: 'identity',
    access: 'voter',
    summary: 'The caller',
    schema: { headers: DPoPHeaders, response: { 200: i.MeResponse } },
    errors: ['invalid_token', 'invalid_dpop_proof'],
  }),
  emailVerification: route({
    method: 'POST',
    url: '/v1/auth/email/verification',
    service: 'identity',
    access: 'voter',
    summary: "Mail a 6-digit code (valid 15 minutes) to the caller's address; a new code replaces the last",
    schema: { headers: DPoPHeaders, response: { 202: null } },
    errors: ['invalid_token', 'invalid_dpop_proof', 'rate_limited', 'unavailable'],
  }),
  verifyEmail: route({
    method: 'POST',
    url: '/v1/auth/email/verify',
    service: 'identity',
    access: 'voter',
    summary: 'Prove the address with the mailed code; tokens issued from then on carry email_verified: true',
    schema: { body: i.VerifyEmailBody, headers: DPoPHeaders, response: { 200: i.VerifyEmailResponse } },
    errors: ['invalid_request', 'invalid_code', 'invalid_token', 'invalid_dpop_proof', 'rate_limited'],
  }),
  changeEmail: route({
    method: 'POST',
    url: '/v1/auth/email/change',
    service: 'identity',
    access: 'voter',
    summary: 'Start changing the address: mail a 6-digit code (valid 15 minutes) to the new one; the account keeps its address until it is confirmed',
    description: [
      "The password is always asked again (every account has one: registration sets it, passkeys are added to it), and the authenticator app's code when one is set up, as for deleting the account.",
      'The new address is normalised as at registration (trimmed, lower-cased); an invalid one, or the current one, is 400 invalid_request.',
      'If the new address already belongs to another account the answer is the same 202, and that address is mailed a notice that it already has an account instead of a code, so the call does not tell who is registered.',
      'A new request replaces a pending one. Codes share the limits of the other mailed codes: one per resend cooldown and EMAIL_CODES_PER_HOUR an hour per voter (429 rate_limited with Retry-After), and 10 password checks per voter per 15 minutes.',
    ].join(' '),
    schema: { body: i.ChangeEmailBody, headers: DPoPHeaders, response: { 202: null } },
    errors: ['invalid_request', 'invalid_credentials', 'mfa_required', 'invalid_token', 'invalid_dpop_proof', 'rate_limited', 'unavailable'],
  }),
  confirmEmailChange: route({
    method: 'POST',
    url: '/v1/auth/email/change/confirm',
    service: 'identity',
    access: 'voter',
    summary: 'Confirm the new address with the code mailed to it: the account switches to it, verified, and the old address is told',
    description: [
      'In one transaction the address becomes the new one and counts as verified, and every other code of the account (mailed to the old address) stops working.',
      'The old address is then mailed a notice (no code). Sessions stay signed in; tokens issued from then on (refresh, login) carry the new state, and logins use the new address.',
      'A wrong code is 400 invalid_code with the tries left; after 5 wrong codes, 429 until a new code is asked for.',
      'If another account registered the new address since the code was sent, 409 email_taken and nothing changes.',
    ].join(' '),
    schema: { body: i.ConfirmEmailChangeBody, headers: DPoPHeaders, response: { 200: i.ConfirmEmailChangeResponse } },
    errors: ['invalid_request', 'invalid_code', 'email_taken', 'invalid_token', 'invalid_dpop_proof', 'rate_limited'],
  }),
  sessions: route({
    method: 'GET',
    url: '/v1/auth/sessions',
    service: 'identity',
    access: 'voter',
    summary: "The caller's signed-in sessions, one per login, newest first",
    schema: { headers: DPoPHeaders, response: { 200: i.Sessions } },
    errors: ['invalid_token', 'invalid_dpop_proof'],
  }),
  endSession: route({
    method: 'DELETE',
    url: '/v1/auth/sessions/:id',
    service: 'identity',
    access: 'voter',
    summary: 'End one of those sessions (its refresh token stops working)',
    schema: { params: IdParams, headers: DPoPHeaders, response: { 204: null } },
    errors: ['invalid_request', 'invalid_token', 'invalid_dpop_proof', 'not_found'],
  }),
  endAllSessions: route({
    method: 'DELETE',
    url: '/v1/auth/sessions',
    service: 'identity',
    access: 'voter',
    summary: 'Log out everywhere: every session ends',
    schema: { headers: DPoPHeaders, response: { 204: null } },
    errors: ['invalid_token', 'invalid_dpop_proof'],
  }),
  deleteAccount: route({
    method: 'DELETE',
    url: '/v1/auth/account',
    service: 'identity',
    access: 'voter',
    summary: "Delete the caller's account (password, and the app's code if set); counted ballots stay counted, linked to no one",
    schema: { body: i.DeleteAccountBody, headers: DPoPHeaders, response: { 204: null } },
    errors: ['invalid_request', 'invalid_credentials', 'mfa_required', 'invalid_token', 'invalid_dpop_proof'],
  }),
  totpStart: route({
    method: 'POST',
    url: '/v1/auth/mfa/totp',
    service: 'identity',
    access: 'voter',
    summary: 'Start setting up an authenticator app (TOTP): a new secret, used once confirmed',
    schema: { headers: DPoPHeaders, response: { 200: i.TotpEnrolment } },
    errors: ['invalid_token', 'invalid_dpop_proof', 'conflict'],
  }),
  totpConfirm: route({
    method: 'POST',
    url: '/v1/auth/mfa/totp/confirm',
    service: 'identity',
    access: 'voter',
    summary: "Confirm the set-up with a first code from the app; from then on logins need a code (amr: pwd, otp, mfa)",
    schema: { body: i.TotpConfirmBody, headers: DPoPHeaders, response: { 200: i.TotpConfirmed } },
    errors: ['invalid_request', 'invalid_code', 'invalid_token', 'invalid_dpop_proof', 'conflict', 'rate_limited'],
  }),
  forgotPassword: route({
    method: 'POST',
    url: '/v1/auth/password/forgot',
    service: 'identity',
    access: 'public',
    summary: 'Mail a 6-digit password-reset code to the address if it is registered; the answer is the same either way',
    schema: { body: i.ForgotPasswordBody, response: { 202: null } },
    errors: ['invalid_request', 'rate_limited'],
  }),
  resetPassword: route({
    method: 'POST',
    url: '/v1/auth/password/reset',
    service: 'identity',
    access: 'public',
    summary: 'Set a new password with the mailed code; every session of the account ends',
    schema: { body: i.ResetPasswordBody, response: { 204: null } },
    errors: ['invalid_request', 'invalid_code', 'weak_password', 'rate_limited'],
  }),
  passkeyRegistrationOptions: route({
    method: 'POST',
    url: '/v1/auth/passkeys/registration/options',
    service: 'identity',
    access: 'voter',
    summary: "Start adding a passkey: creation options (user verification required, the caller's passkeys excluded)",
    schema: { body: EmptyBody, headers: DPoPHeaders, response: { 200: i.PasskeyCreationOptions } },
    errors: ['invalid_token', 'invalid_dpop_proof', 'rate_limited'],
  }),
  passkeyRegistrationVerify: route({
    method: 'POST',
    url: '/v1/auth/passkeys/registration/verify',
    service: 'identity',
    access: 'voter',
    summary: 'Finish adding a passkey with the authenticator\'s attestation (the options\' challenge is good once)',
    schema: { body: i.PasskeyRegistrationBody, headers: DPoPHeaders, response: { 201: i.Passkey } },
    errors: ['invalid_request', 'invalid_passkey', 'invalid_token', 'invalid_dpop_proof', 'conflict'],
  }),
  passkeys: route({
    method: 'GET',
    url: '/v1/auth/passkeys',
    service: 'identity',
    access: 'voter',
    summary: "The caller's passkeys, newest first",
    schema: { headers: DPoPHeaders, response: { 200: i.Passkeys } },
    errors: ['invalid_token', 'invalid_dpop_proof'],
  }),
  deletePasskey: route({
    method: 'DELETE',
    url: '/v1/auth/passkeys/:id',
    service: 'identity',
    access: 'voter',
    summary: 'Remove one of those passkeys (it can no longer sign in)',
    schema: { params: IdParams, headers: DPoPHeaders, response: { 204: null } },
    errors: ['invalid_request', 'invalid_token', 'invalid_dpop_proof', 'not_found'],
  }),
  passkeyLoginOptions: route({
    method: 'POST',
    url: '/v1/auth/passkeys/login/options',
    service: 'identity',
    access: 'public',
    summary: 'Start a passkey login: request options for a discoverable credential (no email needed)',
    schema: { body: i.PasskeyLoginOptionsBody, response: { 200: i.PasskeyRequestOptions } },
    errors: ['invalid_request', 'rate_limited'],
  }),
  passkeyLogin: route({
    method: 'POST',
    url: '/v1/auth/passkeys/login',
    service: 'identity',
    access: 'public',
    summary: 'Log in with a passkey (+ DPoP proof, altcha as for a password login); the same token pair, amr hwk, user, mfa',
    schema: { body: i.PasskeyLoginBody, response: { 200: i.TokenResponse } },
    errors: ['invalid_request', 'invalid_passkey', 'invalid_dpop_proof', 'challenge_failed', 'rate_limited'],
  }),
  jwks: route({
    method: 'GET',
    url: '/.well-known/jwks.json',
    service: 'identity',
    access: 'public',
    summary: 'Public keys that verify access tokens',
    schema: { response: { 200: i.Jwks } },
    errors: [],
  }),
  createElection: route({
    method: 'POST',
    url: '/v1/elections',
    service: 'ballot',
    access: 'admin',
    summary: 'Create a draft election',
    schema: { body: e.CreateElectionBody, headers: DPoPHeaders, response: { 201: e.Election } },
    errors: ['invalid_request', 'invalid_token', 'invalid_dpop_proof', 'forbidden'],
  }),
  listElections: route({
    method: 'GET',
    url: '/v1/elections',
    service: 'ballot',
    access: 'public',
    summary: 'List elections (drafts only for admins)',
    schema: { querystring: e.ElectionListQuery, response: { 200: e.ElectionList } },
    errors: ['invalid_request'],
  }),
  getElection: route({
    method: 'GET',
    url: '/v1/elections/:id',
    service: 'ballot',
    access: 'public',
    summary: 'One election (drafts only for admins)',
    schema: { params: IdParams, response: { 200: e.Election } },
    errors: ['invalid_request', 'not_found'],
  }),
  patchElection: route({
    method: 'PATCH',
    url: '/v1/elections/:id',
    service: 'ballot',
    access: 'admin',
    summary: 'Change a draft election',
    schema: {
      params: IdParams,
      body: e.PatchElectionBody,
      headers: DPoPHeaders,
      response: { 200: e.Election },
    },
    errors: ['invalid_request', 'invalid_token', 'invalid_dpop_proof', 'forbidden', 'not_found', 'not_draft'],
  }),
  deleteElection: route({
    method: 'DELETE',
    url: '/v1/elections/:id',
    service: 'ballot',
    access: 'admin',
    summary: 'Delete a draft election',
    schema: { params: IdParams, headers: DPoPHeaders, response: { 204: null } },
    errors: ['invalid_token', 'invalid_dpop_proof', 'forbidden', 'not_found', 'not_draft'],
  }),
  openElection: route({
    method: 'POST',
    url: '/v1/elections/:id/open',
    service: 'ballot',
    access: 'admin',
    summary: 'Open an election for voting',
    schema: { params: IdParams, body: EmptyBody, headers: DPoPHeaders, response: { 200: e.Election } },
    errors: ['invalid_token', 'invalid_dpop_proof', 'forbidden', 'not_found', 'invalid_transition'],
  }),
  closeElection: route({
    method: 'POST',
    url: '/v1/elections/:id/close',
    service: 'ballot',
    access: 'admin',
    summary: 'Close an election',
    schema: { params: IdParams, body: EmptyBody, headers: DPoPHeaders, response: { 200: e.Election } },
    errors: ['invalid_token', 'invalid_dpop_proof', 'forbidden', 'not_found', 'invalid_transition'],
  }),
  electionHistory: route({
    method: 'GET',
    url: '/v1/elections/:id/history',
    service: 'ballot',
    access: 'admin',
    summary: 'Who changed the election, when, and what',
    schema: { params: IdParams, headers: DPoPHeaders, response: { 200: e.History } },
    errors: ['invalid_token', 'invalid_dpop_proof', 'forbidden', 'not_found'],
  }),
  operations: route({
    method: 'GET',
    url: '/v1/admin/operations',
    service: 'ballot',
    access: 'admin',
    summary: 'Live operations of every election: one snapshot of ballots/s by outcome, latency, queue, viewers and lags',
    description: [
      "Read from the services' own metrics (each service's operations listener, or Prometheus), one scrape a second shared by every admin watching.",
      'Rates are over the last second; percentiles and the batch size over the last 10 s (null while idle).',
    ].join(' '),
    schema: { headers: DPoPHeaders, response: { 200: o.OperationsSnapshot } },
    errors: ['invalid_token', 'invalid_dpop_proof', 'forbidden', 'unavailable'],
  }),
  operationsStream: route({
    method: 'GET',
    url: '/v1/admin/operations/stream',
    service: 'ballot',
    access: 'admin',
    summary: 'Server-sent events: an `event: operations` frame (the snapshot of GET /v1/admin/operations) every second',
    description: [
      'The stream opens with one `event: history` whose data is an array of the frames kept (up to the last 5 minutes, oldest first), so charts start full; then an `event: operations` frame per scrape.',
      'The stream ends when the access token expires or is revoked; reconnect with a fresh token.',
    ].join(' '),
    schema: { headers: DPoPHeaders, response: { 200: null } },
    errors: ['invalid_token', 'invalid_dpop_proof', 'forbidden', 'unavailable'],
    produces: ['text/event-stream'],
  }),
  electionOperations: route({
    method: 'GET',
    url: '/v1/elections/:id/operations',
    service: 'ballot',
    access: 'admin',
    summary: "Live operations of one election: its ballots/s by outcome and viewers, with the shared pipeline's latency, queue and lags",
    description:
      "Per-election figures come from vote-api's per-election counter (vote_election_ballots_total, kept for the most recently voted-in elections of each process) and results' per-election viewer gauge; latency, queue, batch size and lags are the shared pipeline's.",
    schema: { params: IdParams, headers: DPoPHeaders, response: { 200: o.OperationsSnapshot } },
    errors: ['invalid_request', 'invalid_token', 'invalid_dpop_proof', 'forbidden', 'not_found', 'unavailable'],
  }),
  electionOperationsStream: route({
    method: 'GET',
    url: '/v1/elections/:id/operations/stream',
    service: 'ballot',
    access: 'admin',
    summary: 'Server-sent events: the election\'s operations snapshot every second (`event: operations`), history first',
    description: 'As GET /v1/admin/operations/stream, for one election (404 for one that does not exist).',
    schema: { params: IdParams, headers: DPoPHeaders, response: { 200: null } },
    errors: ['invalid_request', 'invalid_token', 'invalid_dpop_proof', 'forbidden', 'not_found', 'unavailable'],
    produces: ['text/event-stream'],
  }),
  putRoll: route({
    method: 'PUT',
    url: '/v1/elections/:id/roll',
    service: 'ballot',
    access: 'admin',
    summary:
      "Replace the election's voter roll: a CSV of email addresses, one per line, streamed (only their hashes are kept)",
    schema: { params: IdParams, headers: DPoPHeaders, response: { 200: e.RollUploaded } },
    consumes: {
      type: 'text/csv',
      description:
        'One email address per line (an optional first line `email`; a line may be quoted); up to 1,000,000 lines. ' +
        'Addresses are trimmed and lower-cased as at registration; duplicates count once; lines that are not an address are counted as invalid.',
    },
    errors: [
      'invalid_request',
      'invalid_token',
      'invalid_dpop_proof',
      'forbidden',
      'not_found',
      'invalid_transition',
      'payload_too_large',
      'unsupported_media_type',
    ],
  }),
  getRoll: route({
    method: 'GET',
    url: '/v1/elections/:id/roll',
    service: 'ballot',
    access: 'admin',
    summary: "The voter roll's size and how many ballots were counted",
    schema: { params: IdParams, headers: DPoPHeaders, response: { 200: e.RollSummary } },
    errors: ['invalid_token', 'invalid_dpop_proof', 'forbidden', 'not_found'],
  }),
  exportElection: route({
    method: 'GET',
    url: '/v1/elections/:id/export',
    service: 'ballot',
    access: 'admin',
    summary: 'Counted ballots of a closed election (no voter identity), streamed',
    schema: { params: IdParams, querystring: e.ExportQuery, headers: DPoPHeaders, response: { 200: null } },
    errors: ['invalid_token', 'invalid_dpop_proof', 'forbidden', 'not_found', 'not_closed'],
    produces: ['text/csv', 'application/json'],
  }),
  castVote: route({
    method: 'POST',
    url: '/v1/elections/:id/votes',
    service: 'vote-api',
    access: 'voter',
    summary: 'Cast a ballot; answered only after it is durably committed',
    schema: {
      params: IdParams,
      body: v.CastVoteBody,
      headers: Type.Intersect([DPoPHeaders, v.IdempotencyKeyHeaders]),
      response: { 201: v.Receipt },
    },
    errors: [
      'invalid_request',
      'invalid_token',
      'invalid_dpop_proof',
      'challenge_required',
      'challenge_failed',
      'email_not_verified',
      'not_eligible',
      'not_found',
      'already_voted',
      'election_not_open',
      'invalid_ballot',
      'rate_limited',
      'unavailable',
    ],
  }),
  myVote: route({
    method: 'GET',
    url: '/v1/elections/:id/votes/me',
    service: 'vote-api',
    access: 'voter',
    summary: "The caller's own ballot",
    schema: { params: IdParams, headers: DPoPHeaders, response: { 200: v.MyVote } },
    errors: ['invalid_token', 'invalid_dpop_proof', 'not_found', 'unavailable'],
  }),
  reviewClusters: route({
    method: 'GET',
    url: '/v1/elections/:id/review/clusters',
    service: 'vote-api',
    access: 'admin',
    summary: 'Fraud review: suspicious ballots grouped by network, DPoP key and burst, with counts per minute',
    description:
      'Built from the risk signals kept with each counted ballot (network /24 or /64, a per-election salted hash of the DPoP key, ' +
      'token age, risk decision); never the voter. Clusters include ballots voided already (counted in `voided`).',
    schema: { params: IdParams, headers: DPoPHeaders, response: { 200: rv.ReviewClusters } },
    errors: ['invalid_request', 'invalid_token', 'invalid_dpop_proof', 'forbidden', 'not_found', 'unavailable'],
  }),
  reviewClusterBallots: route({
    method: 'GET',
    url: '/v1/elections/:id/review/clusters/:clusterId/ballots',
    service: 'vote-api',
    access: 'admin',
    summary: "One page of a cluster's ballots, oldest first, each named by its hash in the audit log",
    schema: {
      params: rv.ClusterParams,
      querystring: rv.ClusterBallotsQuery,
      headers: DPoPHeaders,
      response: { 200: rv.ClusterBallots },
    },
    errors: ['invalid_request', 'invalid_token', 'invalid_dpop_proof', 'forbidden', 'not_found', 'unavailable'],
  }),
  voidBallots: route({
    method: 'POST',
    url: '/v1/elections/:id/voids',
    service: 'vote-api',
    access: 'admin',
    summary: 'Void a cluster or single ballots, with a reason',
    description:
      'Only while the election is open (as for a ballot): once it is closed its results become final, and a void is refused with ' +
      '409 results_final; a draft has nothing to void (409 election_not_open). In one transaction the ballots are marked voided ' +
      '(a ballot voided before is left as it was: voiding twice changes nothing), the tallies drop by exactly those ballots, and ' +
      'the action is recorded: the audit log gets a `void` leaf per ballot and the election history who voided how many and why. ' +
      'A voided ballot keeps its voter\'s one seat (I2): that voter cannot vote again, and `votes/me` shows `voided: true`.',
    schema: { params: IdParams, body: rv.VoidBody, headers: DPoPHeaders, response: { 200: rv.VoidResult } },
    errors: [
      'invalid_request',
      'invalid_token',
      'invalid_dpop_proof',
      'forbidden',
      'not_found',
      'election_not_open',
      'results_final',
      'unavailable',
    ],
  }),
  results: route({
    method: 'GET',
    url: '/v1/elections/:id/results',
    service: 'results',
    access: 'public',
    summary: 'Current tally (cacheable for 1 s)',
    schema: { params: IdParams, response: { 200: r.Results } },
    errors: ['not_found', 'results_hidden'],
  }),
  resultsStream: route({
    method: 'GET',
    url: '/v1/elections/:id/results/stream',
    service: 'results',
    access: 'public',
    summary: 'Server-sent events: an `event: results` frame at once, then one per change (coalesced)',
    schema: { params: IdParams, response: { 200: null } },
    errors: ['not_found', 'results_hidden'],
    produces: ['text/event-stream'],
  }),
  resultsWs: route({
    method: 'GET',
    url: '/v1/elections/:id/results/ws',
    service: 'results',
    access: 'public',
    summary: 'WebSocket (upgrade): each message is the results JSON, at once and then per change (coalesced)',
    schema: { params: IdParams, response: { 101: null } },
    errors: ['not_found', 'results_hidden'],
  }),
  logHead: route({
    method: 'GET',
    url: '/v1/elections/:id/log/head',
    service: 'audit',
    access: 'public',
    summary: "The election's signed tree head (its audit log's size and root)",
    schema: { params: IdParams, response: { 200: a.TreeHead } },
    errors: ['invalid_request', 'not_found'],
  }),
  logProof: route({
    method: 'GET',
    url: '/v1/elections/:id/log/proof',
    service: 'audit',
    access: 'public',
    summary: "RFC 9162 inclusion proof of a receipt's ballot against the current head (or the head of size treeSize)",
    schema: { params: IdParams, querystring: a.InclusionQuery, response: { 200: a.InclusionProof } },
    errors: ['invalid_request', 'not_found'],
  }),
  logConsistency: route({
    method: 'GET',
    url: '/v1/elections/:id/log/consistency',
    service: 'audit',
    access: 'public',
    summary: 'RFC 9162 consistency proof between the trees of sizes from and to',
    schema: { params: IdParams, querystring: a.ConsistencyQuery, response: { 200: a.ConsistencyProof } },
    errors: ['invalid_request', 'not_found'],
  }),
  logEntries: route({
    method: 'GET',
    url: '/v1/elections/:id/log/entries',
    service: 'audit',
    access: 'public',
    summary: 'Leaves start <= leafIndex < end of the signed log (at most 1,000 per call)',
    schema: { params: IdParams, querystring: a.EntriesQuery, response: { 200: a.Entries } },
    errors: ['invalid_request', 'not_found'],
  }),
  auditKeys: route({
    method: 'GET',
    url: '/v1/audit/keys',
    service: 'audit',
    access: 'public',
    summary: 'The public keys that sign tree heads, current and retired',
    schema: { response: { 200: a.AuditKeys } },
    errors: [],
  }),
} as const;

export type RouteName = keyof typeof routes;
