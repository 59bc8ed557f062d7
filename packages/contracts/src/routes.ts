import { type TSchema, Type } from '@sinclair/typebox';
import type { ProblemCode } from './problems.ts';
import { EmptyBody, IdParams } from './schemas/common.ts';
import * as e from './schemas/elections.ts';
import * as i from './schemas/identity.ts';
import * as r from './schemas/results.ts';
import * as v from './schemas/votes.ts';

export type Service = 'identity' | 'ballot' | 'vote-api' | 'results' | 'gateway';
export type Access = 'public' | 'voter' | 'admin';

export interface RouteContract {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify-style path: `/v1/elections/:id` */
  url: string;
  service: Service;
  access: Access;
  summary: string;
  schema: {
    body?: TSchema;
    querystring?: TSchema;
    params?: TSchema;
    headers?: TSchema;
    response: Record<number, TSchema | null>;
  };
  errors: ProblemCode[];
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
    summary: 'Issue a proof-of-work challenge (ALTCHA)',
    schema: { response: { 200: i.Challenge } },
    errors: ['rate_limited'],
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
} as const;

export type RouteName = keyof typeof routes;
