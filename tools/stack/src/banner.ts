import { isAbsolute, relative } from 'node:path';
import { repoRoot } from './services.ts';
import type { Stack } from './stack.ts';

/** What `npm start` prints once everything is up. */
export function banner(
  stack: Pick<Stack, 'services' | 'gatewayUrl' | 'admin' | 'infra' | 'monitoring'> & Partial<Pick<Stack, 'replicas'>>,
  env: NodeJS.ProcessEnv,
): string {
  const rows = [...stack.services.values()].map((s) => {
    const more = stack.replicas?.get(s.def.name)?.slice(1) ?? [];
    return `    ${s.def.name.padEnd(10)} ${[s.url, ...more.map((r) => r.url)].join('  ')}`;
  });
  const infra = stack.infra;
  return [
    '',
    '  OneVote is running.',
    '',
    `  Web UI and API:  ${stack.gatewayUrl}`,
    `  Admin login:     ${stack.admin.email}`,
    stack.admin.generatedNow
      ? `  Admin password:  ${stack.admin.password}   (generated for this data directory and shown only now; kept in .data/secrets.json, mode 0600)`
      : env.ONEVOTE_ADMIN_PASSWORD
        ? '  Admin password:  the one in ONEVOTE_ADMIN_PASSWORD'
        : '  Admin password:  in .data/secrets.json (ONEVOTE_ADMIN_PASSWORD; mode 0600)',
    mailLine(stack),
    '',
    '  Services:',
    ...rows,
    '',
    ...serverLines(infra),
    ...monitoringLines(stack.monitoring),
    '',
    '  Press Ctrl-C to stop everything.',
    '',
  ].join('\n');
}

/** One line, or one per server family when the topology is the cluster's (several URLs each). */
function serverLines(infra: Stack['infra']): string[] {
  const shards = infra.postgresShardAdminUrls ?? [];
  if (shards.length <= 1 && !infra.redisUrl.includes(',') && !infra.natsUrl.includes(',')) {
    return [`  PostgreSQL ${redactUrl(infra.postgresAdminUrl)}   Redis ${infra.redisUrl}   NATS ${redactUrl(infra.natsUrl)}`];
  }
  return [
    ...(shards.length > 1
      ? shards.map((url, group) => `  PostgreSQL shard group ${group}: ${redactUrl(url)}`)
      : [`  PostgreSQL ${redactUrl(infra.postgresAdminUrl)}`]),
    `  Redis ${infra.redisUrl}`,
    `  NATS ${redactUrl(infra.natsUrl)}`,
  ];
}

function mailLine({ infra, services, gatewayUrl }: Pick<Stack, 'services' | 'gatewayUrl' | 'infra'>): string {
  if (!infra.mailDir) return `  Mail:            sent through SMTP_URL (${redactUrl(infra.smtpUrl)})`;
  const inRepo = relative(repoRoot, infra.mailDir);
  const shown = inRepo.startsWith('..') || isAbsolute(inRepo) ? infra.mailDir : `${inRepo}/`;
  const gateway = services.get('gateway')?.env;
  const listed = gateway?.MAIL_DIR && gateway.NODE_ENV !== 'production' ? `, listed at ${gatewayUrl}/dev/mail` : '';
  return `  Mail:            never delivered: kept in ${shown}${listed} (SMTP ${infra.smtpUrl})`;
}

/** Passwords hidden; a comma-separated list (every node of a NATS cluster) entry by entry. */
function redactUrl(url: string): string {
  if (url.includes(',') && url.split(',').every((entry) => URL.canParse(entry.trim()))) {
    return url.split(',').map((entry) => redactUrl(entry.trim())).join(',');
  }
  if (!URL.canParse(url)) return url.replace(/(:\/\/[^:@/]+:)[^@/]*@/, '$1***@'); // multi-host: h1:p1,h2:p2
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function monitoringLines(monitoring: Stack['monitoring']): string[] {
  if (!monitoring) return [];
  const skipped = Object.entries(monitoring.skipped).map(([job, why]) => `  (not scraped: ${job}, ${why})`);
  return [
    '',
    `  Prometheus:      ${monitoring.prometheusUrl}   (alerts: ${monitoring.prometheusUrl}/alerts; rules in deploy/prometheus/rules)`,
    ...skipped,
  ];
}
