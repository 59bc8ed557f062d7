/**
 * A voter roll in Redis, as ballot writes it and vote-api reads it: one set per election of the
 * members' email hashes (`emailHash` in @onevote/auth; never an address), plus two sentinels that
 * cannot be a hash (hashes are 22 base64url characters): `loaded` says the set is complete, and
 * `version(n)` which upload of the roll it holds. The hash tag keeps the set and the copy it is
 * built in on one Redis Cluster slot, so the swap (RENAME) is a single-slot command.
 */
export function rollRedisKey(electionId: string, building?: string): string {
  return building ? `roll:{${electionId}}:building:${building}` : `roll:{${electionId}}`;
}

export const rollSentinel = {
  loaded: '*loaded',
  version: (version: number) => `*v${version}`,
} as const;
