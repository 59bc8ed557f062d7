/**
 * Every variable each service's config schema knows, for two uses: `npm start` passes the ones set
 * in its own environment through to the services that know them, and docs/configuration.md is
 * generated from the same schemas (`npm run docs:config`; a test keeps it current).
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TObject, TSchema } from '@sinclair/typebox';
import { availableServices, repoRoot, type ServiceName, serviceDir } from './services.ts';

export interface Variable {
  name: string;
  services: ServiceName[];
  schema: TSchema;
  /** The JSDoc comment above the variable where it is declared. */
  description: string;
}

/** Each service's config schema (its `src/config.ts` exports `configSchema`). */
export async function configSchemas(): Promise<Map<ServiceName, TObject>> {
  const schemas = new Map<ServiceName, TObject>();
  for (const def of availableServices()) {
    const module = (await import(pathToFileURL(join(serviceDir(def.name), 'src', 'config.ts')).href)) as {
      configSchema: TObject;
    };
    schemas.set(def.name, module.configSchema);
  }
  return schemas;
}

/** Variable names per service. */
export async function configVariables(): Promise<Record<ServiceName, string[]>> {
  const out = {} as Record<ServiceName, string[]>;
  for (const [name, schema] of await configSchemas()) out[name] = Object.keys(schema.properties);
  return out;
}

// Where the shared settings are declared; a service's own are in its config.ts.
const declarationFiles = [
  'packages/platform/src/config.ts',
  'packages/platform/src/tracing.ts',
  'packages/platform/src/jetstream.ts',
  'packages/auth/src/authenticate.ts',
  'packages/auth/src/altcha.ts',
  'packages/election-config/src/bucket.ts',
  'packages/election-config/src/shard-map.ts',
  ...availableServices().map((d) => relative(repoRoot, join(serviceDir(d.name), 'src', 'config.ts'))),
];

function descriptions(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of declarationFiles) {
    const source = readFileSync(join(repoRoot, file), 'utf8');
    for (const match of source.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*\n\s*([A-Z][A-Z0-9_]+):/g)) {
      const text = match[1]!
        .split('\n')
        .map((line) => line.replace(/^\s*\*\s?/, '').trim())
        .filter(Boolean)
        .join(' ');
      if (!found.has(match[2]!)) found.set(match[2]!, text);
    }
  }
  return found;
}

export async function variables(): Promise<Variable[]> {
  const byName = new Map<string, Variable>();
  const text = descriptions();
  for (const [service, schema] of await configSchemas()) {
    for (const [name, property] of Object.entries(schema.properties)) {
      const entry = byName.get(name) ?? { name, services: [], schema: property, description: text.get(name) ?? '' };
      entry.services.push(service);
      byName.set(name, entry);
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function allowed(schema: TSchema): string {
  const s = schema as Record<string, unknown> & { anyOf?: TSchema[] };
  if (s.anyOf) return s.anyOf.map((o) => `\`${String((o as { const?: unknown }).const)}\``).join(' \\| ');
  const parts: string[] = [String(s.type ?? '')];
  if (s.minimum !== undefined || s.maximum !== undefined) parts.push(`${s.minimum ?? ''}…${s.maximum ?? ''}`);
  return parts.join(' ');
}

function shownDefault(schema: TSchema): string {
  const value = (schema as { default?: unknown }).default;
  if (value === undefined) return 'required';
  if (value === '') return '(empty)';
  return `\`${String(value)}\``;
}

export async function renderConfigReference(): Promise<string> {
  const rows = (await variables()).map(
    (v) =>
      `| \`${v.name}\` | ${v.services.join(', ')} | ${shownDefault(v.schema)} | ${allowed(v.schema)} | ${v.description.replaceAll('|', '\\|')} |`,
  );
  return [
    '# Configuration',
    '',
    'Generated from the services\' config schemas by `npm run docs:config` (a test fails when this file',
    'is out of date). Each service parses its environment once at start-up and exits with status 78',
    'naming every bad variable.',
    '',
    'Under `npm start` every variable below that is set in your environment is passed to each service',
    'that knows it; `<SERVICE>__<NAME>` (e.g. `VOTE_API__RATE_PER_IP=500`) sets one for one service',
    'only. The stack itself sets the addresses and secrets (`PORT`, `OPS_PORT`, `HOST`, `DATABASE_URL`,',
    '`REDIS_URL`, `NATS_URL`, `SMTP_URL`, `MAIL_DIR`, `*_URL` of services, `TOKEN_ISSUER`, `TRUSTED_ISSUERS`,',
    '`ALTCHA_HMAC_KEY`, `KEY_ENCRYPTION_KEY`); give `DATABASE_URL`, `REDIS_URL`, `NATS_URL` or `SMTP_URL` to',
    'use servers of your own (`SMTP_URL` instead of the local mail catcher, whose messages are in `.data/mail/`).',
    '',
    '| variable | services | default | allowed | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(await renderConfigReference());
}
