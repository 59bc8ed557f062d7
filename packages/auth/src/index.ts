export {
  AltchaChallenges,
  type AltchaConfig,
  type AltchaOptions,
  altchaConfigProperties,
  type ChallengeData,
  type ChallengeRequest,
  type ChallengeRequirement,
  createAltchaChallenges,
} from './altcha.ts';
export type { Challenge as AltchaChallenge } from 'altcha-lib';
export {
  Authenticator,
  type AuthenticatorOptions,
  type AuthRequest,
  adminMfaRequired,
  authConfigProperties,
  createAuthenticator,
  type Principal,
} from './authenticate.ts';
export {
  type ChallengePurpose,
  challengePurposes,
  expectedAttempts,
  type IssuedPurpose,
  levelForVolume,
} from './challenge-level.ts';
export { emailHasher, emailHashKeyProperty, emailHashPattern } from './email-hash.ts';
export { normaliseUrl, tokenHash, type VerifiedProof, verifyDpopProof } from './dpop.ts';
export { invalidProof, invalidToken, signingAlgorithms } from './errors.ts';
export { RedisReplayStore, type ReplayStore } from './replay.ts';
export { RedisRevocationList, type RevocationList } from './revocations.ts';
export {
  type AccessTokenClaims,
  AccessTokenVerifier,
  parseTrustedIssuers,
  type Role,
  type TrustedIssuer,
} from './tokens.ts';
