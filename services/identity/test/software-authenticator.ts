/**
 * A software WebAuthn authenticator (a platform passkey) built from node:crypto, so the tests drive
 * the real ceremonies against the real service: an ES256 (P-256) key per credential, attestation
 * `none`, client data as a browser writes it (WebAuthn Level 3 §6.1 authenticator data, §8.7 `none`).
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

const flags = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40 };

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  userHandle: string;
  rpId: string;
  counter: number;
}

export class SoftwareAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(
    readonly origin: string,
    readonly options: { userVerified?: boolean; countsSignatures?: boolean } = {},
  ) {}

  /** navigator.credentials.create() with these options, as @simplewebauthn/browser returns it. */
  create(
    options: PublicKeyCredentialCreationOptionsJSON,
    overrides: { origin?: string; userVerified?: boolean; type?: string } = {},
  ): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.credentials.some((c) => c.rpId === rpId && excluded.has(c.id.toString('base64url')))) {
      throw new Error('InvalidStateError: this authenticator already holds an excluded credential');
    }
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const credential: SoftCredential = {
      id: randomBytes(32),
      privateKey,
      userHandle: options.user.id,
      rpId,
      counter: 0,
    };
    const coseKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([
      this.authData(rpId, credential.counter, flags.at, overrides.userVerified),
      Buffer.alloc(16), // AAGUID: all zero for `none`
      idLength,
      credential.id,
      Buffer.from(coseKey),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', authData],
      ]),
    );
    this.credentials.push(credential);
    const id = credential.id.toString('base64url');
    return {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: this.clientData('webauthn.create', options.challenge, overrides),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal'],
      },
    };
  }

  /** navigator.credentials.get(): signs with the newest credential for the RP (or the one given). */
  get(
    options: PublicKeyCredentialRequestOptionsJSON,
    overrides: { credential?: SoftCredential; origin?: string; userVerified?: boolean; counter?: number; userHandle?: string } = {},
  ): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(this.origin).hostname;
    const credential = overrides.credential ?? this.credentials.findLast((c) => c.rpId === rpId);
    if (!credential) throw new Error('NotAllowedError: no credential for this RP');
    if (this.options.countsSignatures !== false) credential.counter++;
    const authData = this.authData(rpId, overrides.counter ?? credential.counter, 0, overrides.userVerified);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, overrides);
    const signed = Buffer.concat([authData, createHash('sha256').update(Buffer.from(clientDataJSON, 'base64url')).digest()]);
    const id = credential.id.toString('base64url');
    return {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON,
        authenticatorData: authData.toString('base64url'),
        // ECDSA over authData || SHA-256(clientDataJSON), DER-encoded as WebAuthn expects.
        signature: sign('sha256', signed, credential.privateKey).toString('base64url'),
        userHandle: overrides.userHandle ?? credential.userHandle,
      },
    };
  }

  private authData(rpId: string, counter: number, extraFlags: number, userVerified?: boolean): Buffer {
    const uv = userVerified ?? this.options.userVerified ?? true;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([
      createHash('sha256').update(rpId).digest(),
      Buffer.from([flags.up | (uv ? flags.uv : 0) | extraFlags]),
      count,
    ]);
  }

  private clientData(type: string, challenge: string, overrides: { origin?: string; type?: string }): string {
    return Buffer.from(
      JSON.stringify({ type: overrides.type ?? type, challenge, origin: overrides.origin ?? this.origin, crossOrigin: false }),
    ).toString('base64url');
  }
}
