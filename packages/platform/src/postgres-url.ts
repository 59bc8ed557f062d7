/**
 * PostgreSQL URLs whose host part may list several servers, libpq's multi-host form:
 * `postgres://role@127.0.0.1:5432,127.0.0.1:5433/db?target_session_attrs=read-write` (a shard group
 * with a primary and a standby; whichever accepts writes is the one to use). WHATWG `URL` refuses
 * such a URL, so these helpers parse the host list apart and let `URL` handle the rest.
 */

export interface PostgresHost {
  host: string;
  port: number;
}

const placeholder = 'multi-host.invalid';

/** Splits `postgres://user@h1:p1,h2:p2/db?x` into its host list and a one-host `URL` for the rest. */
function split(url: string): { hosts: PostgresHost[]; rest: URL } {
  const scheme = url.indexOf('://');
  if (scheme < 0) throw new Error('not a PostgreSQL URL');
  const afterScheme = url.slice(scheme + 3);
  const end = afterScheme.search(/[/?#]/);
  const authority = end < 0 ? afterScheme : afterScheme.slice(0, end);
  const at = authority.lastIndexOf('@');
  const hostList = authority.slice(at + 1);
  const hosts = hostList.split(',').map((entry) => {
    // [::1]:5432, host:5432, or host (default port)
    const m = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(entry);
    if (!m || !m[1]) throw new Error(`bad host in PostgreSQL URL: ${entry}`);
    return { host: m[1], port: m[2] ? Number(m[2]) : 5432 };
  });
  const rebuilt = `${url.slice(0, scheme + 3)}${authority.slice(0, at + 1)}${placeholder}${end < 0 ? '' : afterScheme.slice(end)}`;
  return { hosts, rest: new URL(rebuilt) };
}

function join(hosts: PostgresHost[], rest: URL): string {
  const list = hosts.map((h) => `${h.host}:${h.port}`).join(',');
  return rest.toString().replace(placeholder, list);
}

/** Every server the URL names, in order. */
export function postgresHosts(url: string): PostgresHost[] {
  return split(url).hosts;
}

/**
 * The same URL with another database, role or host list, or without some query parameters; works
 * for one host and for several.
 */
export function withPostgresUrl(
  url: string,
  change: { database?: string; user?: string; password?: string; hosts?: PostgresHost[]; dropParams?: string[] },
): string {
  const { hosts, rest } = split(url);
  if (change.database !== undefined) rest.pathname = `/${change.database}`;
  if (change.user !== undefined) rest.username = change.user;
  if (change.password !== undefined) rest.password = change.password;
  for (const name of change.dropParams ?? []) rest.searchParams.delete(name);
  return join(change.hosts ?? hosts, rest);
}
