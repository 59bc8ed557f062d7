export { AltchaChallenges, type AltchaOptions, altchaConfigProperties } from './altcha.ts';
export {
  Authenticator,
  type AuthenticatorOptions,
  type AuthRequest,
  authConfigProperties,
  createAuthenticator,
  type Principal,
} from './authenticate.ts';
export { normaliseUrl, tokenHash, type VerifiedProof, verifyDpopProof } from './dpop.ts';
export { invalidProof, invalidToken, signingAlgorithms } from './errors.ts';
export { RedisReplayStore, type ReplayStore } from './replay.ts';
export {
  type AccessTokenClaims,
  AccessTokenVerifier,
  parseTrustedIssuers,
  type Role,
  type TrustedIssuer,
} from './tokens.ts';
