/// <reference lib="webworker" />
import { type Challenge, type ChallengeParameters, solveChallenge } from 'altcha-lib';
import { deriveKey as webDeriveKey } from 'altcha-lib/algorithms/web/sha';
import { sha256Chain } from './sha256-chain.ts';

// One solver; the page runs several, each trying every n-th counter (counterStart/counterStep).
// The server's challenges are deterministic: exactly one counter solves it, so exactly one worker
// finds it and the page stops the others.

interface WorkMessage {
  challenge: Challenge;
  counterStart: number;
  counterStep: number;
  timeoutMs: number;
}

let attempts = 0;
let lastReport = 0;

async function deriveKey(parameters: ChallengeParameters, salt: Uint8Array, password: Uint8Array) {
  attempts++;
  const now = performance.now();
  if (now - lastReport > 100) {
    lastReport = now;
    postMessage({ type: 'progress', attempts });
  }
  if (parameters.algorithm !== 'SHA-256') return webDeriveKey(parameters, salt, password);
  const input = new Uint8Array(salt.length + password.length);
  input.set(salt);
  input.set(password, salt.length);
  const digest = sha256Chain(input, Math.max(1, parameters.cost));
  return { parameters: {}, derivedKey: digest.slice(0, parameters.keyLength ?? 32) };
}

self.onmessage = async (event: MessageEvent<WorkMessage>) => {
  const { challenge, counterStart, counterStep, timeoutMs } = event.data;
  try {
    const solution = await solveChallenge({
      challenge,
      counterStart,
      counterStep,
      deriveKey,
      timeout: timeoutMs,
    });
    postMessage({ type: 'done', solution, attempts });
  } catch (err) {
    postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
