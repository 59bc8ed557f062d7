import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ManagedProcess } from '../src/process.ts';
import { waitFor } from '../src/testing.ts';

const dir = mkdtempSync(join(tmpdir(), 'onevote-process-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('output written by a child of the process after the process exited still reaches the log', async () => {
  // Like PostgreSQL's backends after a kill -9 of the postmaster: they keep its stdout and stderr.
  const logFile = join(dir, 'late.log');
  const grandchildDone = join(dir, 'grandchild.done');
  const child = new ManagedProcess({
    name: 'late-writer',
    command: 'sh',
    args: ['-c', `(sleep 0.3; echo late from a child >&2; touch ${grandchildDone}) & echo early; exit 0`],
    logFile,
  });
  assert.equal(await child.exited, 0);
  await waitFor('the child of the process is done', () => {
    try {
      readFileSync(grandchildDone);
      return true;
    } catch {
      return false;
    }
  });
  await waitFor('the late line is in the log', () => readFileSync(logFile, 'utf8').includes('late from a child'));
  assert.equal(readFileSync(logFile, 'utf8'), 'early\nlate from a child\n');
});
