import type { Authenticator, Principal } from '@onevote/auth';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../use-cases/elections.ts';

const anonymous: Caller = { actor: 'anonymous', isAdmin: false };

/**
 * Who is calling, decided in `onRequest` (before the body is parsed or validated, so a caller
 * without a token gets 401, not a 400 about the body). Kept beside the request rather than
 * decorated onto it, so no global Fastify type changes.
 */
export class Access {
  private readonly callers = new WeakMap<FastifyRequest, Caller>();
  private readonly principals = new WeakMap<FastifyRequest, Principal>();

  constructor(readonly authenticator: Authenticator) {}

  /** Writes and admin reads: a valid DPoP-bound token with the admin role (I6). */
  readonly admin = async (request: FastifyRequest): Promise<void> => {
    const principal = await this.authenticator.authenticate(request, { role: 'admin' });
    this.callers.set(request, { actor: principal.voterId, isAdmin: true });
    this.principals.set(request, principal);
  };

  /**
   * Public reads: anonymous unless credentials are sent (admins then see drafts). Credentials that
   * are sent must be valid: a broken token is an error, not a silent downgrade to anonymous.
   */
  readonly optional = async (request: FastifyRequest): Promise<void> => {
    if (request.headers.authorization === undefined) return;
    const principal = await this.authenticator.authenticate(request);
    this.callers.set(request, { actor: principal.voterId, isAdmin: principal.roles.includes('admin') });
  };

  /** The admin's token claims (after `admin`): long-lived views end when the token does. */
  principal(request: FastifyRequest): Principal | undefined {
    return this.principals.get(request);
  }

  caller(request: FastifyRequest): Caller {
    return this.callers.get(request) ?? anonymous;
  }
}
