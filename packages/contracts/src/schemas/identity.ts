import { Type } from '@sinclair/typebox';
import { AltchaPayload, Id, strictObject } from './common.ts';

export const Email = Type.String({ minLength: 3, maxLength: 254 });
// Long enough for any passphrase, short enough that hashing it is cheap (argon2 cost is per byte too).
export const Password = Type.String({ minLength: 1, maxLength: 256 });
export const RefreshToken = Type.String({ minLength: 16, maxLength: 256 });

export const RegisterBody = strictObject({ email: Email, password: Password, altcha: AltchaPayload });
export const RegisterResponse = Type.Object({ voterId: Id });

export const Otp = Type.String({ pattern: '^[0-9]{6}$', description: 'A 6-digit code from an authenticator app (TOTP, RFC 6238)' });
export const LoginBody = strictObject({
  email: Email,
  password: Password,
  altcha: AltchaPayload,
  otp: Type.Optional(Otp),
});
export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('DPoP'),
  expires_in: Type.Integer({ description: 'seconds' }),
  refresh_token: Type.String(),
});

export const RefreshBody = strictObject({ refresh_token: RefreshToken });
export const LogoutBody = strictObject({ refresh_token: RefreshToken });

export const Role = Type.Union([Type.Literal('voter'), Type.Literal('admin')]);
export const MeResponse = Type.Object({
  voterId: Id,
  email: Type.String(),
  roles: Type.Array(Role),
  emailVerified: Type.Boolean({ description: 'The voter proved this address (tokens then carry email_verified: true)' }),
  mfa: Type.Object({ totp: Type.Boolean({ description: 'An authenticator app is set up: logins need its code' }) }),
});

export const Session = Type.Object({
  id: Id,
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.String({ format: 'date-time' }),
  amr: Type.Array(Type.String(), { description: 'How the login was proved (RFC 8176)' }),
  current: Type.Boolean({ description: "The session of the caller's token" }),
});
export const Sessions = Type.Object({ sessions: Type.Array(Session) });
export const DeleteAccountBody = strictObject({ password: Password, otp: Type.Optional(Otp) });

export const TotpEnrolment = Type.Object({
  secret: Type.String({ description: 'Base32, for typing into the app by hand' }),
  otpauthUri: Type.String({ description: 'otpauth://totp/... for a QR code' }),
});
export const TotpConfirmBody = strictObject({ code: Otp });
export const TotpConfirmed = Type.Object({ totp: Type.Literal(true) });

const MailedCode = Type.String({ pattern: '^[0-9]{6}$', description: 'The 6-digit code mailed to the voter' });
export const VerifyEmailBody = Type.Object({ code: MailedCode }, { additionalProperties: false });
export const ForgotPasswordBody = strictObject({ email: Email });
export const ResetPasswordBody = strictObject({
  email: Email,
  code: Type.String({ pattern: '^[0-9]{6}$', description: 'The 6-digit code mailed to the address' }),
  password: Password,
});

export const VerifyEmailResponse = Type.Object({ emailVerified: Type.Literal(true) });

export const ChangeEmailBody = strictObject(
  { email: Email, password: Password, otp: Type.Optional(Otp) },
  "email: the new address; password (and otp, when an authenticator app is set up): the account's, proving it again",
);
export const ConfirmEmailChangeBody = strictObject({ code: MailedCode });
export const ConfirmEmailChangeResponse = Type.Object({
  email: Type.String({ description: "The account's address from now on" }),
  emailVerified: Type.Literal(true),
});

export const ChallengePurpose = Type.Union(
  [Type.Literal('register'), Type.Literal('login'), Type.Literal('vote')],
  { description: 'What the challenge will be used for; without it, it is good for any purpose' },
);
export const ChallengeQuery = Type.Object(
  {
    purpose: Type.Optional(ChallengePurpose),
    level: Type.Optional(
      Type.String({
        pattern: '^(0|[1-9][0-9]?)$',
        description:
          'Proof-of-work level asked for (an integer; each level doubles the work), as named by a refusal\'s challengeLevel. The server issues the higher of this and the level it requires; above its maximum, the maximum.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const Challenge = Type.Object(
  { parameters: Type.Record(Type.String(), Type.Unknown()), signature: Type.String() },
  { additionalProperties: true, description: 'An altcha-lib v2 challenge' },
);

export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object(
      { kid: Type.String(), kty: Type.String(), alg: Type.String() },
      { additionalProperties: true },
    ),
  ),
});

// Passkeys (WebAuthn Level 3, issue 16). The ceremony bodies are the JSON that
// @simplewebauthn/browser's startRegistration/startAuthentication return (PublicKeyCredential
// toJSON()); members browsers add in future are allowed, the ones the server reads are checked.
const Base64Url = (maxLength: number, description?: string) =>
  Type.String({ pattern: '^[A-Za-z0-9_-]+$', minLength: 1, maxLength, ...(description ? { description } : {}) });
const CredentialId = Base64Url(1366, 'The credential id, base64url (WebAuthn allows up to 1023 bytes)');
const Transports = Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 });
const ClientExtensionResults = Type.Record(Type.String(), Type.Unknown());

export const PasskeyRegistrationResponse = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal('public-key'),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
    clientExtensionResults: ClientExtensionResults,
    response: Type.Object(
      {
        clientDataJSON: Base64Url(4096),
        attestationObject: Base64Url(8192),
        authenticatorData: Type.Optional(Base64Url(4096)),
        transports: Type.Optional(Transports),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
        publicKey: Type.Optional(Base64Url(4096)),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true, description: 'RegistrationResponseJSON (WebAuthn Level 3 §5.1)' },
);

export const PasskeyAuthenticationResponse = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal('public-key'),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
    clientExtensionResults: ClientExtensionResults,
    response: Type.Object(
      {
        clientDataJSON: Base64Url(4096),
        authenticatorData: Base64Url(4096),
        signature: Base64Url(1024),
        userHandle: Type.Optional(Base64Url(128)),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true, description: 'AuthenticationResponseJSON (WebAuthn Level 3 §5.1)' },
);

export const PasskeyName = Type.String({ minLength: 1, maxLength: 64, description: 'A name the voter gives the passkey' });
export const PasskeyRegistrationBody = strictObject({ response: PasskeyRegistrationResponse, name: Type.Optional(PasskeyName) });
export const PasskeyLoginOptionsBody = Type.Optional(strictObject({}));
export const PasskeyLoginBody = strictObject({ response: PasskeyAuthenticationResponse, altcha: AltchaPayload });

export const PasskeyCreationOptions = Type.Object(
  {
    challenge: Type.String(),
    rp: Type.Object({ id: Type.Optional(Type.String()), name: Type.String() }),
    user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }),
    pubKeyCredParams: Type.Array(Type.Object({ type: Type.String(), alg: Type.Integer() })),
  },
  {
    additionalProperties: true,
    description: 'PublicKeyCredentialCreationOptionsJSON, for startRegistration({ optionsJSON }); good once, for 5 minutes',
  },
);
export const PasskeyRequestOptions = Type.Object(
  { challenge: Type.String(), rpId: Type.Optional(Type.String()) },
  {
    additionalProperties: true,
    description: 'PublicKeyCredentialRequestOptionsJSON, for startAuthentication({ optionsJSON }); good once, for 5 minutes',
  },
);

export const Passkey = Type.Object({
  id: Id,
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  backedUp: Type.Boolean({ description: 'A synced passkey (the authenticator says it is backed up)' }),
  transports: Type.Array(Type.String()),
});
export const Passkeys = Type.Object({ passkeys: Type.Array(Passkey) });
