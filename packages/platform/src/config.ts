import { type Static, type TObject, type TProperties, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { tracingConfigProperties } from './tracing.ts';

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Settings every service has; a service's own schema adds to these with `serviceConfig()`. */
export const baseConfigProperties = {
  /** `production` turns on the checks a development stack skips (https JWKS, no default secrets). */
  NODE_ENV: Type.Union(['development', 'test', 'production'].map((e) => Type.Literal(e)), { default: 'development' }),
  /** Address of the public listener (`0.0.0.0` in a container). */
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  /** pino level; logs are JSON lines with secrets redacted. */
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** Comma-separated addresses or CIDRs whose `x-forwarded-*` headers are believed (the gateway, the ingress). */
  TRUSTED_PROXIES: Type.String({ default: '127.0.0.1,::1' }),
  /** How long shutdown waits for in-flight requests before giving up. */
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 8000 }),
  /** Listener of `/healthz`, `/readyz` and `/metrics` (never the public port); 0 picks a free port. */
  OPS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  /** Address of the operations listener (`0.0.0.0` in a pod, for probes and Prometheus). */
  OPS_HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  /**
   * Comma-separated values of the `x-origin-verify` header CloudFront adds: a request carrying one
   * is believed about `cloudfront-viewer-address` (the client's address). Empty: no CDN in front.
   */
  ORIGIN_SECRET: Type.String({ default: '' }),
  ...tracingConfigProperties,
};

export function serviceConfig<P extends TProperties>(properties: P) {
  return Type.Object({ ...baseConfigProperties, ...properties });
}

export function port(defaultPort: number) {
  return Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort });
}

/**
 * Parses the environment against `schema` once. Numbers and booleans are converted from their
 * string form; every variable that is missing or wrong is reported in one error.
 */
export function parseConfig<T extends TObject>(
  service: string,
  schema: T,
  env: NodeJS.ProcessEnv,
): Static<T> {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') input[key] = raw;
  }
  const withDefaults = Value.Default(schema, input);
  const converted = Value.Convert(schema, withDefaults);
  const problems = [...Value.Errors(schema, converted)].map((e) => {
    const name = e.path.replace(/^\//, '') || '(root)';
    const shown =
      env[name] === undefined ? 'missing' : secretLike(name) ? 'given (hidden)' : JSON.stringify(env[name]);
    return `${name}: ${e.message} (${shown})`;
  });
  if ((converted as { NODE_ENV?: string }).NODE_ENV === 'production') problems.push(...publishedSecrets(converted));
  if (problems.length > 0) throw new ConfigError(service, dedupe(problems));
  return converted as Static<T>;
}

/**
 * Values that were ever published as a default or an example (README, tests, old releases): a
 * production process that is given one refuses to start, so a copied example never guards anything.
 */
const publishedSecretValues = new Set(['admin-password-123', 'test-altcha-hmac-key-of-32-chars-or-more', 'changeme', 'password']);

function publishedSecrets(config: unknown): string[] {
  return Object.entries(config as Record<string, unknown>)
    .filter(([name, value]) => /SECRET|PASSWORD|_KEY$/.test(name) && typeof value === 'string' && publishedSecretValues.has(value))
    .map(([name]) => `${name}: a published default or example value is not allowed in production (given (hidden))`);
}

/** For `main.ts`: parse, or print every problem in one message and exit with status 78 (EX_CONFIG). */
export function loadConfigOrExit<T extends TObject>(
  service: string,
  schema: T,
  env = process.env,
): Static<T> {
  try {
    return parseConfig(service, schema, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}

function secretLike(name: string) {
  return /SECRET|PASSWORD|KEY|TOKEN|URL/.test(name);
}

function dedupe(items: string[]) {
  // TypeBox reports a union failure once per branch; one line per variable is enough.
  const seen = new Map<string, string>();
  for (const item of items) {
    const name = item.slice(0, item.indexOf(':'));
    if (!seen.has(name)) seen.set(name, item);
  }
  return [...seen.values()];
}
