/** A check that does not hold; its message is what the verifier reports as the failure. */
export class CheckFailed extends Error {
  override readonly name = 'CheckFailed';
}

export function fail(message: string): never {
  throw new CheckFailed(message);
}

/** Hashes as served decode to bytes; one that does not decode becomes empty, which no proof accepts. */
export function decodeHashes(hashes: readonly string[], decode: (hash: string) => Uint8Array | undefined): Uint8Array[] {
  return hashes.map((hash) => decode(hash) ?? new Uint8Array(0));
}
