import { invalidToken } from '@onevote/auth';
import { routes } from '@onevote/contracts';
import type { App } from '@onevote/platform';
import type { IdentityDeps } from '../use-cases/identity.ts';
import { emptyBody } from './empty-body.ts';
import { confirmEmailChange, requestEmailChange } from '../use-cases/email-change.ts';
import { sendVerificationCode, verifyEmail } from '../use-cases/email-verification.ts';
import { issueChallenge } from '../use-cases/issue-challenge.ts';
import { deleteAccount, endAllSessions, endSession, listSessions } from '../use-cases/account.ts';
import { confirmTotp, startTotp } from '../use-cases/mfa.ts';
import { forgotPassword, resetPassword } from '../use-cases/password-reset.ts';
import { logIn } from '../use-cases/login.ts';
import { logInWithPasskey, passkeyLoginOptions } from '../use-cases/passkey-login.ts';
import {
  listPasskeys,
  passkeyRegistrationOptions,
  removePasskey,
  verifyPasskeyRegistration,
} from '../use-cases/passkey-registration.ts';
import { logOut, refreshTokens } from '../use-cases/refresh.ts';
import { registerVoter } from '../use-cases/register.ts';

// The DPoP and Authorization headers are checked by the authenticator, not by the schema, so that a
// missing one is the 401 API.md promises rather than a 400 from validation.
const logoutSchema = { body: routes.logout.schema.body };
const meSchema = { response: routes.me.schema.response };
const verifyEmailSchema = { body: routes.verifyEmail.schema.body, response: routes.verifyEmail.schema.response };
const confirmEmailChangeSchema = {
  body: routes.confirmEmailChange.schema.body,
  response: routes.confirmEmailChange.schema.response,
};

export function authRoutes(app: App, deps: IdentityDeps): void {
  app.get(routes.challenge.url, { schema: routes.challenge.schema }, async (request, reply) => {
    const { purpose, level } = request.query;
    const challenge = await issueChallenge(deps, {
      purpose,
      level: level === undefined ? undefined : Number(level),
      clientIp: request.clientIp,
    });
    reply.header('cache-control', 'no-store');
    // Signed, since an HMAC key is configured: the signature is what makes it verifiable later.
    return { ...challenge, parameters: { ...challenge.parameters }, signature: challenge.signature ?? '' };
  });

  app.post(routes.register.url, { schema: routes.register.schema }, async (request, reply) => {
    const result = await registerVoter(deps, { ...request.body, clientIp: request.clientIp });
    return reply.status(201).send(result);
  });

  app.post(routes.login.url, { schema: routes.login.schema }, async (request, reply) => {
    const pair = await logIn(deps, {
      ...request.body,
      clientIp: request.clientIp,
      proof: () => deps.authenticator.proof(request),
    });
    reply.header('cache-control', 'no-store');
    return pair;
  });

  app.post(routes.refresh.url, { schema: routes.refresh.schema }, async (request, reply) => {
    const pair = await refreshTokens(deps, {
      refreshToken: request.body.refresh_token,
      proof: () => deps.authenticator.proof(request),
    });
    reply.header('cache-control', 'no-store');
    return pair;
  });

  app.post(routes.logout.url, { schema: logoutSchema }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    await logOut(deps, { principal, refreshToken: request.body.refresh_token });
    return reply.status(204).send();
  });

  app.get(routes.me.url, { schema: meSchema }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    const voter = await deps.voters.byId(principal.voterId);
    if (!voter) throw invalidToken('the voter no longer exists');
    reply.header('cache-control', 'no-store');
    const totp = await deps.totp.of(voter.id);
    return {
      voterId: voter.id,
      email: voter.email,
      roles: voter.roles,
      emailVerified: voter.emailVerified,
      mfa: { totp: Boolean(totp?.confirmed) },
    };
  });

  app.get(routes.sessions.url, { schema: { response: routes.sessions.schema.response } }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    reply.header('cache-control', 'no-store');
    return listSessions(deps, principal);
  });

  app.delete(routes.endSession.url, { schema: { params: routes.endSession.schema.params } }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    await endSession(deps, principal, request.params.id);
    return reply.status(204).send();
  });

  app.delete(routes.endAllSessions.url, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    await endAllSessions(deps, principal);
    return reply.status(204).send();
  });

  app.delete(routes.deleteAccount.url, { schema: { body: routes.deleteAccount.schema.body } }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    await deleteAccount(deps, principal, request.body);
    return reply.status(204).send();
  });

  app.post(routes.totpStart.url, { schema: { response: routes.totpStart.schema.response } }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    reply.header('cache-control', 'no-store');
    return startTotp(deps, principal);
  });

  app.post(routes.totpConfirm.url, { schema: { body: routes.totpConfirm.schema.body } }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    reply.header('cache-control', 'no-store');
    return confirmTotp(deps, principal, request.body.code);
  });

  app.post(routes.emailVerification.url, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    await sendVerificationCode(deps, principal);
    reply.header('cache-control', 'no-store');
    return reply.status(202).send();
  });

  app.post(routes.forgotPassword.url, { schema: { body: routes.forgotPassword.schema.body } }, async (request, reply) => {
    await forgotPassword(deps, { email: request.body.email, clientIp: request.clientIp });
    reply.header('cache-control', 'no-store');
    return reply.status(202).send();
  });

  app.post(routes.resetPassword.url, { schema: { body: routes.resetPassword.schema.body } }, async (request, reply) => {
    await resetPassword(deps, request.body);
    return reply.status(204).send();
  });

  app.post(routes.verifyEmail.url, { schema: verifyEmailSchema }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    const result = await verifyEmail(deps, principal, request.body.code);
    reply.header('cache-control', 'no-store');
    return result;
  });

  app.post(routes.changeEmail.url, { schema: { body: routes.changeEmail.schema.body } }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    await requestEmailChange(deps, principal, request.body);
    reply.header('cache-control', 'no-store');
    return reply.status(202).send();
  });

  app.post(routes.confirmEmailChange.url, { schema: confirmEmailChangeSchema }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    const result = await confirmEmailChange(deps, principal, request.body.code);
    reply.header('cache-control', 'no-store');
    return result;
  });

  app.post(routes.passkeyRegistrationOptions.url, { preValidation: emptyBody }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    reply.header('cache-control', 'no-store');
    return passkeyRegistrationOptions(deps, principal);
  });

  app.post(routes.passkeyRegistrationVerify.url, { schema: { body: routes.passkeyRegistrationVerify.schema.body } }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    const passkey = await verifyPasskeyRegistration(deps, principal, request.body as never);
    return reply.status(201).send(passkey);
  });

  app.get(routes.passkeys.url, { schema: { response: routes.passkeys.schema.response } }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    reply.header('cache-control', 'no-store');
    return listPasskeys(deps, principal);
  });

  app.delete(routes.deletePasskey.url, { schema: { params: routes.deletePasskey.schema.params } }, async (request, reply) => {
    const principal = await deps.authenticator.authenticate(request);
    await removePasskey(deps, principal, request.params.id);
    return reply.status(204).send();
  });

  app.post(routes.passkeyLoginOptions.url, { preValidation: emptyBody }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return passkeyLoginOptions(deps, { clientIp: request.clientIp });
  });

  app.post(routes.passkeyLogin.url, { schema: { body: routes.passkeyLogin.schema.body } }, async (request, reply) => {
    const pair = await logInWithPasskey(deps, {
      response: request.body.response as never,
      altcha: request.body.altcha,
      clientIp: request.clientIp,
      proof: () => deps.authenticator.proof(request),
    });
    reply.header('cache-control', 'no-store');
    return pair;
  });
}
