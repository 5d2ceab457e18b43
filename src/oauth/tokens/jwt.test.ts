// Issue #3: our hand-rolled ES256 DER -> r||s conversion yields signatures jose accepts, including the
// 1-in-128 cases where r or s is shorter than 32 bytes.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { it } from 'node:test';
import { importJWK, jwtVerify, type JWK } from 'jose';
import { signJwt } from './jwt.ts';

it('2000 ES256 tokens all verify with jose', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = { kid: 'k1', alg: 'ES256' as const, privateKey, headerB64: Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k1' })).toString('base64url'), idHeaderB64: '' };
  const key = await importJWK({ ...(publicKey.export({ format: 'jwk' }) as JWK), alg: 'ES256' }, 'ES256');
  for (let i = 0; i < 2000; i++) {
    const token = signJwt(signer, { sub: String(i), exp: Math.floor(Date.now() / 1000) + 60 });
    const { payload } = await jwtVerify(token, key);
    assert.equal(payload.sub, String(i));
  }
});
