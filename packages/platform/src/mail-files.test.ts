import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mailArrival, mailIdPattern, newMailId } from './mail-files.ts';

describe('mail catcher file ids', () => {
  test('a new id matches the pattern, tells its arrival time and sorts by it', () => {
    const earlier = newMailId(new Date('2026-12-01T13:58:22.123Z'));
    const later = newMailId(new Date('2026-12-01T13:58:22.124Z'));
    assert.match(earlier, mailIdPattern);
    assert.equal(mailArrival(earlier), '2026-12-01T13:58:22.123Z');
    assert.ok(earlier < later);
    assert.notEqual(newMailId(new Date(0)), newMailId(new Date(0)), 'two messages in one millisecond');
  });

  test('nothing that could name another file is an id', () => {
    const id = '20261201T135822.123Z-0123456789abcdef';
    assert.match(id, mailIdPattern);
    for (const bad of [
      `../${id}`,
      `${id}/..`,
      `${id}.eml`,
      `${id}\n`,
      `/etc/passwd`,
      '..',
      `${id.slice(0, -1)}G`,
      id.toUpperCase(),
      `${id}0`,
    ]) {
      assert.equal(mailIdPattern.test(bad), false, JSON.stringify(bad));
    }
  });
});
