export { type Component, cpuSeconds, snapshot } from './cpu.ts';
export { adminClient, audienceOnOneAddress, castBallot, createOpenElection, type OpenElection, serverComponents, waitForTotal } from './harness.ts';
export { BenchIssuer, mintToken } from './issuer.ts';
export { type LoadOptions, type LoadState, runLoad } from './load.ts';
export { readResults, subscribe } from './sse.ts';
export { type Verification, verify } from './verify.ts';
export { provisionVoters, type Voter } from './voters.ts';
export { accessTokenHash, dpopProof, newVoterKey, signJws } from './signer.ts';
