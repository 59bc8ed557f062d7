export type Upstream = 'identity' | 'ballot' | 'vote-api' | 'results' | 'audit';

// Longest, most specific paths first: votes and results live under /v1/elections/:id too.
const table: [RegExp, Upstream][] = [
  [/^\/v1\/auth(\/|$)/, 'identity'],
  [/^\/\.well-known\//, 'identity'],
  [/^\/v1\/elections\/[^/]+\/votes(\/|$)/, 'vote-api'],
  // Fraud review (admin): the signals and voids live with the ballots, in vote-api.
  [/^\/v1\/elections\/[^/]+\/review(\/|$)/, 'vote-api'],
  [/^\/v1\/elections\/[^/]+\/voids(\/|$)/, 'vote-api'],
  [/^\/v1\/elections\/[^/]+\/results(\/|$)/, 'results'],
  [/^\/v1\/elections\/[^/]+\/log(\/|$)/, 'audit'],
  [/^\/v1\/audit(\/|$)/, 'audit'],
  // The admin operations view (the per-election one is under /v1/elections/:id, ballot's too).
  [/^\/v1\/admin\/operations(\/|$)/, 'ballot'],
  [/^\/v1\/elections(\/|$)/, 'ballot'],
];

/** Which service owns a public path (API.md); undefined for paths no service owns. */
export function upstreamFor(path: string): Upstream | undefined {
  for (const [pattern, upstream] of table) if (pattern.test(path)) return upstream;
  return undefined;
}

/** The one route whose upgrades are tunnelled: the results WebSocket (API.md, Results). */
export const webSocketRoute = /^\/v1\/elections\/[^/]+\/results\/ws$/;
/** Voter roll uploads: the one route whose body may be larger than the usual 16 KiB (API.md). */
export const rollRoute = /^\/v1\/elections\/[^/]+\/roll$/;
/**
 * Result streams (and the admin operations streams) get a connection pool of their own, so they can
 * never starve snapshot reads.
 */
export const streamRoute = /^\/v1\/(elections\/[^/]+\/(results|operations)|admin\/operations)\/stream$/;

/**
 * The path of a request URL if it is already in normal form, else undefined. The upstream request
 * is made through a WHATWG URL, which reads `\` as `/` and resolves `..`, `%2e%2e` and `.`: a path
 * routed by its raw text could be rewritten afterwards into one the gateway never routes
 * (`/v1/elections/x/votes/\..\..\..\metrics` would become `/metrics`). So a path is routed only when
 * normalising it changes nothing, and never when it contains a backslash or an encoded dot or
 * slash separator.
 */
export function normalPath(url: string): string | undefined {
  const cut = url.search(/[?#]/);
  const raw = cut === -1 ? url : url.slice(0, cut);
  if (!raw.startsWith('/') || raw.includes('\\') || /%(2e|5c|2f)/i.test(raw) || raw.includes('//')) return undefined;
  let normalised: string;
  try {
    normalised = new URL(raw, 'http://gateway.invalid').pathname;
  } catch {
    return undefined;
  }
  return normalised === raw ? raw : undefined;
}
