import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generate } from 'otplib';
import { checkTotp, newTotpSecret, totpUri } from './totp.ts';

test('a current code is accepted once; an old step, a wrong code or another secret is not', async () => {
  const secret = newTotpSecret();
  const code = await generate({ secret });
  const step = await checkTotp(secret, code, null);
  assert.equal(typeof step, 'number');
  assert.equal(await checkTotp(secret, code, step!), undefined, 'replayed');
  assert.equal(await checkTotp(secret, code === '000000' ? '000001' : '000000', null), undefined);
  assert.equal(await checkTotp(newTotpSecret(), code, null), undefined);
  // A code of two minutes ago is outside the allowed drift.
  const old = await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 120 });
  if (old !== code) assert.equal(await checkTotp(secret, old, null), undefined);
});

test('the otpauth URI names the issuer, the account and the secret', () => {
  const uri = new URL(totpUri('JBSWY3DPEHPK3PXP', 'admin@onevote.local'));
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.host, 'totp');
  assert.equal(uri.searchParams.get('secret'), 'JBSWY3DPEHPK3PXP');
  assert.equal(uri.searchParams.get('issuer'), 'OneVote');
  assert.match(decodeURIComponent(uri.pathname), /admin@onevote\.local/);
});
