import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBase64Url } from './encoding.ts';
import { type TreeHead, type TreeHeadJwk, treeHeadMessage, verifyTreeHeadSignature } from './tree-head.ts';

const unsignedHead = {
  electionId: 'el_1',
  treeSize: 52,
  rootHash: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
  timestamp: '2025-06-01T10:00:01.250+02:00',
};

async function signer(kind: 'ES256' | 'Ed25519', kid: string) {
  const algorithm = kind === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' };
  const pair = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const jwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid, alg: kind === 'ES256' ? 'ES256' : 'EdDSA' } as TreeHeadJwk;
  const sign = async (head: Omit<TreeHead, 'signature' | 'keyId' | 'final'>): Promise<TreeHead> => {
    const params = kind === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' };
    const signature = new Uint8Array(await crypto.subtle.sign(params, pair.privateKey, treeHeadMessage(head)));
    return { ...head, signature: toBase64Url(signature), keyId: kid, final: false };
  };
  return { jwk, sign };
}

describe('tree-head signatures', () => {
  it('signs exactly onevote-tree-head:v1, electionId, treeSize, rootHash and timestamp on lines of their own', () => {
    assert.equal(
      new TextDecoder().decode(treeHeadMessage(unsignedHead)),
      'onevote-tree-head:v1\nel_1\n52\nn4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg\n2025-06-01T10:00:01.250+02:00',
    );
  });

  for (const kind of ['ES256', 'Ed25519'] as const) {
    it(`${kind}: a head signed by a listed key verifies; any changed member does not`, async () => {
      const current = await signer(kind, 'k2');
      const retired = await signer(kind, 'k1');
      const keys = [current.jwk, retired.jwk];
      const head = await current.sign(unsignedHead);
      assert.deepEqual(await verifyTreeHeadSignature(head, keys), { ok: true, keyId: 'k2', algorithm: kind });
      assert.equal((await verifyTreeHeadSignature(await retired.sign(unsignedHead), keys)).ok, true, 'a retired key still listed');

      for (const changed of [
        { treeSize: 53 },
        { electionId: 'el_2' },
        { rootHash: 'm4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg' },
        { timestamp: '2025-06-01T08:00:01.25Z' },
      ]) {
        const check = await verifyTreeHeadSignature({ ...head, ...changed }, keys);
        assert.equal(check.ok === false && check.reason, 'bad_signature', JSON.stringify(changed));
      }
      const signedByOther = { ...head, keyId: 'k1' };
      assert.equal((await verifyTreeHeadSignature(signedByOther, keys)).ok, false, 'verified with the key it names only');
    });
  }

  it('refuses a head whose key is not listed, keys of other algorithms, and signatures not 64 bytes', async () => {
    const es = await signer('ES256', 'k1');
    const head = await es.sign(unsignedHead);
    const unknown = await verifyTreeHeadSignature(head, []);
    assert.deepEqual(unknown.ok === false && [unknown.reason, unknown.message], [
      'unknown_key',
      'the head is signed by key k1, which /v1/audit/keys does not list',
    ]);
    for (const jwk of [
      { ...es.jwk, alg: 'RS256' },
      { ...es.jwk, alg: 'ES384' },
      { ...es.jwk, alg: 'EdDSA' },
      { ...es.jwk, crv: 'P-384' },
    ]) {
      const check = await verifyTreeHeadSignature(head, [jwk]);
      assert.equal(check.ok === false && check.reason, 'unsupported_key', JSON.stringify(jwk));
    }
    const der = { ...head, signature: toBase64Url(new Uint8Array(70)) };
    assert.equal((await verifyTreeHeadSignature(der, [es.jwk])).ok, false);
    const padded = { ...head, signature: `${head.signature}==` };
    assert.equal((await verifyTreeHeadSignature(padded, [es.jwk])).ok, false);
  });
});
