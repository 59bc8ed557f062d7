export type Upstream = 'identity' | 'ballot' | 'vote-api' | 'results';

// Longest, most specific paths first: votes and results live under /v1/elections/:id too.
const table: [RegExp, Upstream][] = [
  [/^\/v1\/auth(\/|$)/, 'identity'],
  [/^\/\.well-known\//, 'identity'],
  [/^\/v1\/elections\/[^/]+\/votes(\/|$)/, 'vote-api'],
  [/^\/v1\/elections\/[^/]+\/results(\/|$)/, 'results'],
  [/^\/v1\/elections(\/|$)/, 'ballot'],
];

/** Which service owns a public path (API.md); undefined for paths no service owns. */
export function upstreamFor(path: string): Upstream | undefined {
  for (const [pattern, upstream] of table) if (pattern.test(path)) return upstream;
  return undefined;
}
