import { type IncomingMessage, request as httpRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import { problemContentType } from '@onevote/contracts';
import { type Logger, problemBody } from '@onevote/platform';

export interface TunnelOptions {
  target: URL;
  /** `X-Forwarded-*` for the upstream, built from the client connection. */
  forwarded: Record<string, string>;
  logger: Logger;
  /**
   * The upstream could not be reached (`mayRetry`: for the first time). May return another target:
   * the upgrade goes there, once. Nothing the client sent has left the gateway before the upstream's
   * `101`, so a connection that was refused has received nothing.
   */
  failed?: (err: Error, mayRetry: boolean) => URL | undefined;
  /** Called once the tunnel (or the refusal) is over and both sockets are gone. */
  onEnd?: () => void;
}

// Hop-by-hop headers are the connection's own; the forwarded ones are rebuilt from the socket.
const notForwarded = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

/**
 * Tunnels one WebSocket upgrade. Nothing the client sent after its request head reaches the
 * upstream until the upstream has answered `101 Switching Protocols`: until then those bytes could
 * be a second, smuggled HTTP request. Any other answer is relayed to the client and both sockets
 * are closed, so a refused upgrade never becomes a raw pipe to a service.
 */
export function tunnelWebSocket(req: IncomingMessage, client: Duplex, head: Buffer, options: TunnelOptions) {
  client.pause();
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    options.onEnd?.();
  };
  client.once('close', end);
  client.on('error', () => client.destroy());

  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || notForwarded.has(name) || name.startsWith('x-forwarded-')) continue;
    headers[name] = value;
  }
  const open = (target: URL, retried: boolean) => {
    const upstream = httpRequest({
      host: target.hostname,
      port: target.port,
      method: 'GET',
      path: req.url,
      headers: { ...headers, connection: 'Upgrade', upgrade: 'websocket', ...options.forwarded },
      agent: false,
      timeout: 10_000,
    });

    upstream.on('upgrade', (res, socket, upstreamHead) => {
      client.write(responseHead(res));
      if (upstreamHead.length) client.write(upstreamHead);
      if (head.length) socket.write(head);
      socket.on('error', () => client.destroy());
      client.on('error', () => socket.destroy());
      socket.once('close', () => client.destroy());
      client.once('close', () => socket.destroy());
      socket.pipe(client);
      client.pipe(socket);
      client.resume();
    });

    // The upstream refused the upgrade (404 for an unknown election, 429, 503...): relay its answer,
    // then close both sides. The request's own connection is not reused for anything else.
    upstream.on('response', (res) => {
      client.write(responseHead(res, { connection: 'close' }));
      res.on('data', (chunk: Buffer) => client.write(chunk));
      res.on('end', () => {
        client.end();
        client.destroy();
        res.socket?.destroy();
      });
      res.on('error', () => client.destroy());
    });

    upstream.on('timeout', () => upstream.destroy(new Error('upstream did not answer the upgrade in time')));
    upstream.on('error', (err) => {
      const next = client.destroyed ? undefined : options.failed?.(err, !retried);
      if (next && !retried) {
        options.logger.warn({ err: err.message, retriedOn: next.host }, 'websocket upstream not reachable; trying another replica');
        open(next, true);
        return;
      }
      options.logger.warn({ err: err.message }, 'websocket upstream failed');
      refuse(client, 503, problemBody('unavailable', 'The results service is not reachable', ''), { 'retry-after': '1' });
    });
    upstream.end();
  };
  open(options.target, false);
}

/** Answers an upgrade request with a problem and closes the connection. */
export function refuse(
  client: Duplex,
  status: number,
  problem: ReturnType<typeof problemBody>,
  extra: Record<string, string> = {},
) {
  if (client.destroyed) return;
  const body = JSON.stringify(problem);
  const lines = [
    `HTTP/1.1 ${status} ${statusText[status] ?? 'Error'}`,
    `content-type: ${problemContentType}`,
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
  ];
  client.end(`${lines.join('\r\n')}\r\n\r\n${body}`, () => client.destroy());
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

function responseHead(res: IncomingMessage, override: Record<string, string> = {}): string {
  const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}`];
  const raw = res.rawHeaders;
  const overridden = new Set(Object.keys(override));
  for (let i = 0; i < raw.length; i += 2) {
    if (!overridden.has(raw[i]!.toLowerCase())) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  for (const [name, value] of Object.entries(override)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
