import { connect } from 'node:net';

/** Connects, optionally sends `send`, and resolves true once the reply starts with `expect`. */
export function tcpAnswers(port: number, send: string, expect: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => send && socket.write(send));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.length >= expect.length) done(data.startsWith(expect));
    });
  });
}
