import { ApiError, apiUrl, json, NetworkError, toApiError } from './http.ts';
import { authorizationHeaders, authorizedJson } from './session.ts';
import type { RollSummary, RollUploaded } from './types.ts';

const id = encodeURIComponent;

export function getRoll(electionId: string): Promise<RollSummary> {
  return authorizedJson<RollSummary>('GET', `/v1/elections/${id(electionId)}/roll`);
}

/** Bytes of the body sent so far, of `total`. */
export type UploadProgress = (sent: number, total: number) => void;

/**
 * Replaces the roll with a CSV file. fetch cannot report how much of a body is sent, so this is
 * an XMLHttpRequest with the same `Authorization` and `DPoP` headers as `authorized`, and the same
 * one retry with a new token pair on 401 `invalid_token` (the file is sent again from the start).
 * The body is always labelled text/csv: browsers call a .csv file anything from text/csv to
 * application/vnd.ms-excel, or nothing.
 */
export async function uploadRoll(
  electionId: string,
  file: Blob,
  onProgress: UploadProgress,
  signal?: AbortSignal,
): Promise<RollUploaded> {
  const url = apiUrl(`/v1/elections/${id(electionId)}/roll`);
  let res = await put(url, await authorizationHeaders('PUT', url), file, onProgress, signal);
  if (res.status === 401 && (await toApiError(res.clone())).code === 'invalid_token') {
    res = await put(url, await authorizationHeaders('PUT', url, { renew: true }), file, onProgress, signal);
  }
  return json<RollUploaded>(res);
}

/** One PUT; its answer as a Response, so that errors read as every other call's (`toApiError`). */
function put(
  url: string,
  headers: Record<string, string>,
  body: Blob,
  onProgress: UploadProgress,
  signal?: AbortSignal,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('content-type', 'text/csv');
    // Listeners on `upload` must be in place before send(), or the browser reports no progress.
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : body.size);
    xhr.upload.onload = () => onProgress(body.size, body.size);
    xhr.onload = () => {
      const responseHeaders = new Headers();
      for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
        const colon = line.indexOf(':');
        if (colon > 0) responseHeaders.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      try {
        resolve(new Response(xhr.status === 204 ? null : xhr.responseText, { status: xhr.status, headers: responseHeaders }));
      } catch (err) {
        // A status a Response cannot carry (outside 200-599): no usable HTTP answer.
        reject(new NetworkError('The server could not be reached', { cause: err }));
      }
    };
    // An upload the server refused before reading the body can end as a reset connection.
    xhr.onerror = () => reject(new NetworkError('The server could not be reached'));
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => reject(signal?.reason ?? new DOMException('The upload was cancelled', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

/** What went wrong with a roll upload: the server's own detail (it says which limit), else the usual sentence. */
export function rollErrorDetail(err: unknown): string | undefined {
  return err instanceof ApiError && err.problem.detail ? err.problem.detail : undefined;
}
