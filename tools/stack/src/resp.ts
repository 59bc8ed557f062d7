import { connect } from 'node:net';

export type RespValue = string | number | null | RespValue[];

/** An error reply of the server (`-ERR ...`, `-CLUSTERDOWN ...`). */
export class RespError extends Error {}

/**
 * One command to a Redis on 127.0.0.1 over RESP, with the whole reply parsed (bulk strings such as
 * CLUSTER NODES included). The stack has no Redis client of its own, and the cluster's probes run
 * every 100 ms: one socket is much cheaper than spawning redis-cli each time.
 */
export function redisCall(port: number, args: string[], timeoutMs = 2000): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffer = Buffer.alloc(0);
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`Redis on port ${port} did not answer ${args[0]}`)));
    socket.on('error', fail);
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const parsed = parse(buffer, 0);
      if (!parsed) return; // incomplete: wait for more
      socket.destroy();
      if (parsed.value instanceof RespError) reject(parsed.value);
      else resolve(parsed.value);
    });
  });
}

type Parsed = { value: RespValue | RespError; end: number } | undefined;

/** Parses one RESP2 value at `at`; undefined while the buffer does not hold all of it yet. */
function parse(buffer: Buffer, at: number): Parsed {
  const lineEnd = buffer.indexOf('\r\n', at);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[at]!);
  const line = buffer.toString('utf8', at + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new RespError(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), end: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let end = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, end);
        if (!item) return undefined;
        if (item.value instanceof RespError) return item;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      return { value: new RespError(`unexpected RESP type ${JSON.stringify(type)}`), end: next };
  }
}
