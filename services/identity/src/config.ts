import { altchaConfigProperties, authConfigProperties, emailHashKeyProperty } from '@onevote/auth';
import { port, serviceConfig } from '@onevote/platform';
import { type Static, Type } from '@sinclair/typebox';

/** Settings the CLI needs too (migrate, seed, grant/revoke admin, rotate-key). */
export const storeConfigProperties = {
  DATABASE_URL: Type.String({ minLength: 1 }),
  /** 32 random bytes, base64url: encrypts token-signing private keys at rest (AES-256-GCM). */
  KEY_ENCRYPTION_KEY: Type.String({ pattern: '^[A-Za-z0-9_-]{43}=?$' }),
  /** How long a new signing key is published before it signs, so verifiers can fetch it first. */
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 300, maximum: 900, default: 600 }),
  /** Access tokens that carry the admin role live this long (logout and revocation reach the rest at once). */
  ADMIN_ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 900, default: 120 }),
  /** How often each replica re-reads the signing keys (learns of rotations). */
  KEY_RELOAD_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
  /** A key made by `rotate-key` starts signing after this long (every verifier has fetched it by then). */
  KEY_ACTIVATION_DELAY_SECONDS: Type.Integer({ minimum: 0, maximum: 86_400, default: 60 }),
  /** argon2id memory per hash; the default is OWASP's minimum (19 MiB, 2 iterations, 1 lane). */
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 19_456, maximum: 1_048_576, default: 19_456 }),
  /** argon2id iterations. */
  ARGON2_TIME_COST: Type.Integer({ minimum: 2, maximum: 20, default: 2 }),
  /** argon2id lanes. */
  ARGON2_PARALLELISM: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
};

export const cliConfigSchema = serviceConfig({
  ...storeConfigProperties,
  /**
   * `redis://host:port` for one server, or `redis-cluster://host1:port1,host2:port2,...` for a Redis
   * Cluster (any of its nodes as seeds; `rediss://`, `rediss-cluster://` with TLS). The CLI revokes a
   * demoted admin's tokens (`revoke-admin`) through it; without Redis it cannot.
   */
  REDIS_URL: Type.String({ default: '' }),
  TOKEN_ISSUER: Type.String({ default: '' }),
  REVOCATION_KEY_PREFIX: authConfigProperties.REVOCATION_KEY_PREFIX,
  KEY_ENCRYPTION_KEY: Type.Optional(storeConfigProperties.KEY_ENCRYPTION_KEY),
  ONEVOTE_ADMIN_EMAIL: Type.String({ default: 'admin@onevote.local' }),
  /** Needed by `seed` only; there is no default (the stack generates one per data directory). */
  ONEVOTE_ADMIN_PASSWORD: Type.String({ default: '' }),
});

export const configSchema = serviceConfig({
  /** The public listener's port. */
  PORT: port(8081),
  REDIS_URL: Type.String({ minLength: 1 }),
  /** `iss` of the tokens this service signs; other services list it in TRUSTED_ISSUERS. */
  TOKEN_ISSUER: Type.String({ minLength: 1 }),
  ...authConfigProperties,
  ...altchaConfigProperties,
  ...storeConfigProperties,
  /** Hashes verified addresses into tokens' `email_hash`, which voter rolls are matched on (shared with ballot). */
  EMAIL_HASH_KEY: emailHashKeyProperty,
  /** How long a refresh token (and its family) may be used. */
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 600, maximum: 90 * 86_400, default: 14 * 86_400 }),
  // Credential-stuffing defences (OWASP Credential Stuffing / Authentication cheat sheets). Failures
  // raise the login challenge's level (one level, twice the work, per doubling past an allowance);
  // only an address or a network is ever locked out, past a backstop; an account never is.
  /** Failed logins are counted over this window. */
  LOGIN_FAILURE_WINDOW_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
  /** How long an address or network past its backstop is refused. */
  LOGIN_LOCKOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
  /**
   * Failed logins on one account from one network (/24, /64) before logging in to it from there
   * needs a harder challenge: a targeted guesser pays, the owner on another network does not.
   */
  LOGIN_FAILURE_ALLOWANCE_PER_ACCOUNT_NETWORK: Type.Integer({ minimum: 1, default: 10 }),
  /** Failed logins on one account from all networks before its login challenge rises for everyone. */
  LOGIN_FAILURE_ALLOWANCE_PER_ACCOUNT: Type.Integer({ minimum: 1, default: 100 }),
  /** Failed logins (on any accounts) from one address before its login challenge rises. */
  LOGIN_FAILURE_ALLOWANCE_PER_IP: Type.Integer({ minimum: 1, default: 20 }),
  /** Failed logins (on any accounts) from one network before its login challenge rises. */
  LOGIN_FAILURE_ALLOWANCE_PER_SUBNET: Type.Integer({ minimum: 1, default: 100 }),
  /**
   * Backstop: failed logins from one address in the window before it gets 429 (that address only).
   * High enough that a venue of 2,000 behind one address survives its typos (a few percent).
   */
  LOGIN_MAX_FAILURES_PER_IP: Type.Integer({ minimum: 1, default: 500 }),
  /** Backstop: failed logins from one network (/24, /64) in the window before it gets 429. */
  LOGIN_MAX_FAILURES_PER_SUBNET: Type.Integer({ minimum: 1, default: 2000 }),
  /** Failed attempts on an account from a network before each further failure is answered more slowly. */
  LOGIN_SLOWDOWN_AFTER_FAILURES: Type.Integer({ minimum: 0, default: 3 }),
  /** Extra delay per failure past that, up to the maximum below. */
  LOGIN_SLOWDOWN_STEP_MS: Type.Integer({ minimum: 0, maximum: 10_000, default: 250 }),
  /** The longest a failed login is slowed down. */
  LOGIN_SLOWDOWN_MAX_MS: Type.Integer({ minimum: 0, maximum: 30_000, default: 2000 }),
  // Registrations: the challenge's level rises with the recent registrations of the client's
  // address and network; a venue of 2,000 behind one address registers within minutes at level 5
  // or less (test/registration-volume.test.ts), a script farm pays more with every doubling.
  /** Registrations from one address in an hour before the registration challenge rises. */
  REGISTRATION_ALLOWANCE_PER_IP_PER_HOUR: Type.Integer({ minimum: 1, default: 100 }),
  /** Registrations from one network (/24, /64) in an hour before the registration challenge rises. */
  REGISTRATION_ALLOWANCE_PER_SUBNET_PER_HOUR: Type.Integer({ minimum: 1, default: 200 }),
  /** Backstop: registrations from one address in an hour, then 429 (5 × a 2,000-person venue). */
  REGISTRATIONS_PER_IP_PER_HOUR: Type.Integer({ minimum: 1, default: 10_000 }),
  /** Backstop: registrations from one network (/24, /64) in an hour, then 429. */
  REGISTRATIONS_PER_SUBNET_PER_HOUR: Type.Integer({ minimum: 1, default: 20_000 }),
  /**
   * Challenges issued to one address per minute. A venue of 2,000 registering and logging in within
   * 10 minutes asks for about 400 a minute.
   */
  CHALLENGES_PER_IP_PER_MINUTE: Type.Integer({ minimum: 1, default: 1200 }),
  /** Key prefix for this service's Redis entries (rate limits, replay caches). */
  REDIS_PREFIX: Type.String({ default: 'identity:' }),
  // Mail (issue 16): one-time codes for email verification.
  /**
   * SMTP server for the mail identity sends (`smtp://user:pass@host:587`, `smtps://…`); the stack
   * sets its local mail catcher. Empty: no mail can be sent, and asking for a code answers 503.
   */
  SMTP_URL: Type.String({ default: '' }),
  /** The sender of that mail. */
  MAIL_FROM: Type.String({ minLength: 3, default: 'OneVote <no-reply@onevote.local>' }),
  /** A mailed code is good for this long (API.md: 15 minutes). */
  EMAIL_CODE_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 86_400, default: 900 }),
  /** Wrong codes accepted before the code is spent and the answer is 429 (API.md: 5). */
  EMAIL_CODE_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 20, default: 5 }),
  /** A new code can be asked for this long after the last one at the earliest. */
  EMAIL_CODE_RESEND_SECONDS: Type.Integer({ minimum: 0, maximum: 3600, default: 60 }),
  /** Password-reset requests from one address per hour (a venue shares one address). */
  PASSWORD_RESETS_PER_IP_PER_HOUR: Type.Integer({ minimum: 1, default: 200 }),
  // Passkeys (WebAuthn, issue 16).
  /**
   * The WebAuthn relying party id: the site's registrable domain (`vote.example.org`), with no
   * scheme or port. Browsers refuse an IP address as RP id, so a development stack serves passkeys
   * at http://localhost:<port> (`localhost` is a secure context), not at http://127.0.0.1.
   */
  WEBAUTHN_RP_ID: Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9.-]+$', default: 'localhost' }),
  /** The name browsers show for the relying party when a passkey is made. */
  WEBAUTHN_RP_NAME: Type.String({ minLength: 1, maxLength: 64, default: 'OneVote' }),
  /**
   * Origins the browser may run the ceremonies from, comma-separated (`https://vote.example.org`);
   * each must be the RP id or under it. The stack sets its gateway's http://localhost:<port>.
   */
  WEBAUTHN_ORIGINS: Type.String({ minLength: 1, default: 'http://localhost:8080' }),
  /** How long registration and login options (their challenge) can be used, once. */
  WEBAUTHN_CHALLENGE_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 900, default: 300 }),
  /** Codes mailed to one voter per hour at most (the mailbox, and the sender's reputation, are protected). */
  EMAIL_CODES_PER_HOUR: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
});

export type Config = Static<typeof configSchema>;
export type CliConfig = Static<typeof cliConfigSchema>;
