import { toApiError } from './http.ts';
import { authorized } from './session.ts';
import type { OperationsSnapshot } from './types.ts';

export interface OperationsHandlers {
  /** The frames the server kept (up to 5 minutes), oldest first: sent once when the stream opens. */
  onHistory(frames: OperationsSnapshot[]): void;
  onFrame(frame: OperationsSnapshot): void;
}

/**
 * Reads an admin operations stream until it ends. EventSource cannot send the DPoP headers, so the
 * stream is a fetch whose body is parsed as server-sent events. Resolves when the server ends the
 * stream (the token expired: the caller reconnects, with a refreshed token); rejects with an
 * ApiError for a refusal and with the abort when `signal` fires.
 */
export async function readOperationsStream(
  electionId: string | null,
  handlers: OperationsHandlers,
  signal: AbortSignal,
): Promise<void> {
  const path = electionId
    ? `/v1/elections/${encodeURIComponent(electionId)}/operations/stream`
    : '/v1/admin/operations/stream';
  const res = await authorized('GET', path, { signal, headers: { accept: 'text/event-stream' } });
  if (!res.ok || !res.body) throw await toApiError(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (!data) continue;
      try {
        if (event === 'history') handlers.onHistory(JSON.parse(data) as OperationsSnapshot[]);
        else if (event === 'operations') handlers.onFrame(JSON.parse(data) as OperationsSnapshot);
      } catch {
        // A frame that does not parse is skipped; the next one is whole again.
      }
    }
  }
}
