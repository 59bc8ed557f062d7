import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { within } from './deadline.ts';

/** Blocks this process's event loop, as a GC pause or a burst of CPU work does. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('within', () => {
  test('gives the answer when it comes in time and undefined when it does not', async () => {
    assert.equal(await within(50, async () => 'answer'), 'answer');
    assert.equal(await within(20, () => new Promise((r) => setTimeout(r, 500, 'late'))), undefined);
    assert.equal(await within(50, () => Promise.reject(new Error('down'))), undefined);
  });

  test('an answer that arrived during a stall of our own event loop is not a timeout', async () => {
    // A server in another process answers at once; the reply waits in the socket while this
    // process is stalled.
    const server = spawn(process.execPath, [
      '-e',
      `const s = require('node:net').createServer((c) => c.on('data', () => c.write('pong')));
       s.listen(0, '127.0.0.1', () => console.log(s.address().port));`,
    ]);
    const [portLine] = await once(server.stdout, 'data');
    const socket = connect(Number(String(portLine)), '127.0.0.1');
    await once(socket, 'connect');
    try {
      const answer = within(20, () => {
        const reply = once(socket, 'data').then(([data]) => String(data));
        socket.write('ping');
        return reply;
      });
      stall(100);
      assert.equal(await answer, 'pong');
    } finally {
      socket.destroy();
      server.kill();
    }
  });
});
