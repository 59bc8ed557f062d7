/**
 * What a failed upstream call tells the gateway:
 * - `not_connected`: no connection was made, so nothing of the request was sent; it may go to
 *   another replica whatever its method (a POST cannot be counted twice by a replica that never
 *   saw it). The replica is not serving.
 * - `reset`: the connection broke after it was made; the request may have reached the replica and
 *   must not be sent again. The replica is gone or going.
 * - `other`: anything else (a timeout, a bad answer): says nothing certain about the replica.
 */
export type Failure = 'not_connected' | 'reset' | 'other';

const notConnected = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);
// UND_ERR_SOCKET is undici's "other side closed": a killed process closes its sockets.
const reset = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** Classifies an error from undici, @fastify/reply-from (which wraps it as `cause`) or node:http. */
export function classify(error: unknown): Failure {
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (notConnected.has(code)) return 'not_connected';
    if (reset.has(code)) return 'reset';
  }
  return 'other';
}
