import { Type } from '@sinclair/typebox';
import { AltchaPayload, Id, strictObject } from './common.ts';

export const Email = Type.String({ minLength: 3, maxLength: 254 });
// Long enough for any passphrase, short enough that hashing it is cheap (argon2 cost is per byte too).
export const Password = Type.String({ minLength: 1, maxLength: 256 });
export const RefreshToken = Type.String({ minLength: 16, maxLength: 256 });

export const RegisterBody = strictObject({ email: Email, password: Password, altcha: AltchaPayload });
export const RegisterResponse = Type.Object({ voterId: Id });

export const LoginBody = strictObject({ email: Email, password: Password, altcha: AltchaPayload });
export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('DPoP'),
  expires_in: Type.Integer({ description: 'seconds' }),
  refresh_token: Type.String(),
});

export const RefreshBody = strictObject({ refresh_token: RefreshToken });
export const LogoutBody = strictObject({ refresh_token: RefreshToken });

export const Role = Type.Union([Type.Literal('voter'), Type.Literal('admin')]);
export const MeResponse = Type.Object({ voterId: Id, email: Type.String(), roles: Type.Array(Role) });

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
