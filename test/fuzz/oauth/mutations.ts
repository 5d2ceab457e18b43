// Issue #3: token mutations: recipes that turn a live access token into a forged, damaged or
// non-canonical one (another alg, an HMAC keyed with the public key, changed claims, stray
// trailing bits, dots, splices, huge parts), and their generators (moved out of
// test/fuzz/oauth-fuzz.test.ts by issue #9).
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { B64URL, unicode } from '../support/arbitraries.ts';
import { ph, type Endpoint, type Mutation, type Part, type Value } from './requests.ts';
import { decodeSegment, liveToken, otherToken, resolveIn as resolve, type Ctx } from './world.ts';

const base64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

const HMAC_HASH: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

export function applyMutation(token: string, m: Mutation, ctx: Ctx, other: string): string {
  const parts = token.split('.');
  const part = (i: number) => parts[i] ?? '';
  const withPart = (i: number, value: string) => (i < parts.length ? parts.map((p, j) => (j === i ? value : p)).join('.') : token);
  const header = () => decodeSegment(part(0)) ?? {};
  switch (m.op) {
    case 'flip': {
      const p = part(m.part);
      if (p.length === 0) return token;
      const i = m.at < 0 ? p.length - 1 : Math.min(p.length - 1, Math.floor((m.at / 1000) * p.length));
      return withPart(m.part, p.slice(0, i) + m.char + p.slice(i + 1));
    }
    case 'trailing-bits': {
      const p = part(m.part);
      const last = B64URL.indexOf(p.at(-1) ?? '');
      const unused = (p.length * 6) % 8;
      if (last < 0 || unused === 0) return token;
      const mask = (1 << unused) - 1;
      return withPart(m.part, p.slice(0, -1) + B64URL[(last & ~mask) | (m.bits & mask)]!);
    }
    case 'alg': {
      const h: Record<string, unknown> = { alg: m.alg };
      if (m.kid === 'same') h.kid = ctx.world.kid;
      if (m.kid === 'random') h.kid = `sk_${base64url(Buffer.from(part(2).slice(0, 12)))}`;
      h.typ = 'at+jwt';
      const input = `${base64url(JSON.stringify(h))}.${part(1)}`;
      const hash = HMAC_HASH[m.alg] ?? 'sha256';
      switch (m.sig) {
        case 'keep':
          return `${input}.${part(2)}`;
        case 'empty':
          return `${input}.`;
        case 'omit':
          return input;
        case 'hmac-pem':
          return `${input}.${createHmac(hash, ctx.world.publicPem).update(input).digest('base64url')}`;
        case 'hmac-jwk':
          return `${input}.${createHmac(hash, ctx.world.publicJwk).update(input).digest('base64url')}`;
        case 'hmac-n':
          return `${input}.${createHmac(hash, ctx.world.modulus).update(input).digest('base64url')}`;
      }
      return token;
    }
    case 'kid':
      return withPart(0, base64url(JSON.stringify({ ...header(), kid: m.kid })));
    case 'reheader': {
      const entries = Object.entries(header());
      if (m.reverse) entries.reverse();
      return withPart(0, base64url(JSON.stringify(Object.fromEntries(entries), null, m.indent)));
    }
    case 'claims': {
      const claims: Record<string, unknown> = { ...decodeSegment(part(1)), ...(JSON.parse(resolve(JSON.stringify(m.patch), ctx, token)) as Record<string, unknown>) };
      for (const k of m.drop) delete claims[k];
      return withPart(1, base64url(JSON.stringify(claims)));
    }
    case 'truncate':
      return token.slice(0, Math.floor((m.at / 1000) * token.length));
    case 'dots': {
      if (m.where === 'start') return '.'.repeat(m.n) + token;
      if (m.where === 'end') return token + '.'.repeat(m.n);
      if (m.where === 'double') return token.replace('.', '..');
      const i = Math.floor((m.at / 1000) * token.length);
      return token.slice(0, i) + '.'.repeat(m.n) + token.slice(i);
    }
    case 'huge':
      return m.part === 'suffix' ? token + m.unit.repeat(m.n) : withPart(m.part, part(m.part) + m.unit.repeat(m.n));
    case 'splice':
      return withPart(m.part, other.split('.')[m.part] ?? '');
    case 'wrap':
      return m.before + token + m.after;
  }
}

export function mutated(ctx: Ctx, endpoint: Endpoint, mutations: readonly Mutation[]): string {
  const other = otherToken(ctx, endpoint);
  return mutations.reduce((t, m) => applyMutation(t, m, ctx, other), liveToken(ctx, endpoint));
}


const part = fc.constantFrom<Part>(0, 1, 2);
const perMille = fc.integer({ min: 0, max: 1000 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('flip' as const),
      part,
      at: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 999 }) }, { weight: 1, arbitrary: fc.constantFrom(0, -1) }),
      char: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...B64URL) }, { weight: 1, arbitrary: fc.constantFrom('.', '=', '+', '/', ' ', '%', '\u0000', 'é', '💩', '\n') }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('trailing-bits' as const), part, bits: fc.integer({ min: 0, max: 63 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('alg' as const),
      alg: fc.constantFrom('none', 'None', 'NONE', 'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'PS256', 'ES256', 'EdDSA', ''),
      kid: fc.constantFrom('same' as const, 'none' as const, 'random' as const),
      sig: fc.constantFrom('keep' as const, 'empty' as const, 'omit' as const, 'hmac-pem' as const, 'hmac-jwk' as const, 'hmac-n' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('kid' as const),
      kid: fc.oneof(
        fc.constantFrom<unknown>(`${ph('kid')}x`, ` ${ph('kid')}`, ph('kid').toUpperCase(), '', '__proto__', 'constructor', 'toString', 'k'.repeat(101), null, 0, true, [ph('kid')], { kid: ph('kid') }),
        fc.string({ maxLength: 30 }),
        unicode(20),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reheader' as const), indent: fc.integer({ min: 0, max: 3 }), reverse: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('claims' as const),
      patch: fc.record(
        {
          exp: fc.constantFrom<unknown>(4_102_444_800, 0, -1, '4102444800', 1e308, null),
          iat: fc.constantFrom<unknown>(0, '0', null),
          client_id: fc.constantFrom<unknown>(ph('oauth'), `${ph('m2m')}x`, null, 1),
          sub: fc.constantFrom<unknown>(ph('oauth'), ''),
          iss: fc.constantFrom<unknown>('https://evil.example', 'http://localhost:8080/', null),
          aud: fc.constantFrom<unknown>('https://api.example.com', [], null),
          jti: fc.constantFrom<unknown>('', 'x', '__proto__', 'a\u0000b', 1, null),
          scope: fc.constantFrom<unknown>('read write admin', '', 'openid'),
          org_id: fc.constantFrom<unknown>('org_01ARZ3NDEKTSV4RRFFQ69G5FAV', null),
        },
        { requiredKeys: [] },
      ),
      drop: fc.subarray(['exp', 'iat', 'iss', 'jti', 'client_id', 'sub', 'scope']),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: perMille }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('dots' as const),
      where: fc.constantFrom('start' as const, 'end' as const, 'inside' as const, 'double' as const),
      n: fc.integer({ min: 1, max: 4 }),
      at: perMille,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('huge' as const),
      part: fc.constantFrom<Part | 'suffix'>(0, 1, 2, 'suffix'),
      unit: fc.constantFrom('A', 'a.', '-_', '.', '=', ' ', '\u0000', 'é'),
      n: fc.integer({ min: 100, max: 20_000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('splice' as const), part: fc.constantFrom<1 | 2>(1, 2) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('wrap' as const),
      before: fc.constantFrom('', ' ', '\t', '\n', 'Bearer ', '"', '\u0000', '\ufeff'),
      after: fc.constantFrom('', ' ', '\n', '"', '\u0000', '.', '=', '=='),
    }),
  },
);

/** Mostly mutated, sometimes exactly the live token (which must then be treated as such). */
export const mutations: fc.Arbitrary<readonly Mutation[]> = fc.oneof({ weight: 9, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant([]) });
export const tokenEnc = fc.constantFrom('component' as const, 'component' as const, 'component' as const, 'every' as const, 'raw' as const);
export const tokenValue: fc.Arbitrary<Value> = fc.record({ token: mutations, enc: tokenEnc });
