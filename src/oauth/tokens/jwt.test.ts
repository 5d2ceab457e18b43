// Issue #3: our hand-rolled ES256 DER -> r||s conversion yields signatures jose accepts, including the
// 1-in-128 cases where r or s is shorter than 32 bytes. Issue #12: signed on the event loop and on
// libuv's threadpool (PORTICO_SIGNING=sync / async) alike.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { importJWK, jwtVerify, type JWK } from 'jose';
import { signJwt } from './jwt.ts';

for (const async of [false, true]) {
  describe(`signJwt, ${async ? 'asynchronous (threadpool)' : 'synchronous'} signing`, () => {
    it('2000 ES256 tokens all verify with jose', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const signer = { kid: 'k1', alg: 'ES256' as const, privateKey, headerB64: Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k1' })).toString('base64url'), idHeaderB64: '', async };
      const key = await importJWK({ ...(publicKey.export({ format: 'jwk' }) as JWK), alg: 'ES256' }, 'ES256');
      // In batches: concurrent asynchronous signatures must each land on their own token.
      for (let i = 0; i < 2000; i += 50) {
        const tokens = await Promise.all(Array.from({ length: 50 }, (_, j) => signJwt(signer, { sub: String(i + j), exp: Math.floor(Date.now() / 1000) + 60 })));
        for (const [j, token] of tokens.entries()) {
          const { payload } = await jwtVerify(token, key);
          assert.equal(payload.sub, String(i + j));
        }
      }
    });

    it('RS256 and EdDSA tokens verify with jose', async () => {
      for (const [alg, pair] of [
        ['RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
        ['EdDSA', generateKeyPairSync('ed25519')],
      ] as const) {
        const signer = { kid: 'k1', alg, privateKey: pair.privateKey, headerB64: Buffer.from(JSON.stringify({ alg, kid: 'k1' })).toString('base64url'), idHeaderB64: '', async };
        const key = await importJWK({ ...(pair.publicKey.export({ format: 'jwk' }) as JWK), alg }, alg);
        const { payload } = await jwtVerify(await signJwt(signer, { sub: alg }), key);
        assert.equal(payload.sub, alg);
      }
    });
  });
}
