// Issue #4: the generated token requests of the authorization_code and refresh_token grants:
// codes minted just before (used, missing, repeated, mutated or hostile), code verifiers, redirect
// URIs, client authentication of the right or another client, refresh tokens of four families,
// scopes and resources (moved out of test/fuzz/authorize-fuzz.test.ts by issue #9).
import fc from 'fast-check';
import { repeated, unicode, withNulInside } from '../support/arbitraries.ts';
import { nearMisses, port } from './authorize-cases.ts';
import { FAMILY_KINDS, type Mint } from './grants.ts';
import type { Pair } from './params.ts';
import { ALL_REDIRECTS, CONF_REDIRECTS, ph, PUB_REDIRECTS, RESOURCE, SAME_RESOURCE } from './world.ts';

const withNul = withNulInside(8);

export type Who = 'owner' | 'other' | 'm2m' | 'unknown';
export type How = 'natural' | 'basic' | 'post' | 'none' | 'nothing' | 'basic-wrong' | 'post-wrong' | 'basic+post' | 'basic+same-id' | 'basic+other-id' | 'garbage';

export interface Auth {
  readonly who: Who;
  readonly how: How;
}

export type CodeMutation = { readonly op: 'flip' | 'append' | 'truncate' | 'case' | 'prefix'; readonly at: number; readonly char: string };

export interface CodeCase {
  readonly grant: 'code';
  readonly mint: Mint;
  readonly code: 'fresh' | 'used' | 'missing' | 'repeated' | { readonly mutate: CodeMutation } | { readonly literal: string };
  readonly verifier: 'right' | 'missing' | 'wrong' | 'short' | 'long' | 'max-wrong' | 'suffix' | 'repeated' | { readonly badChar: string; readonly at: number };
  readonly redirectUri: 'same' | 'missing' | 'repeated' | { readonly literal: string };
  readonly auth: Auth;
  readonly grantType: string;
  /** Parameters the code grant does not read (scope, resource, ...): never a reason for a 200 to be wrong. */
  readonly extra: readonly Pair[];
}

export interface RefreshCase {
  readonly grant: 'refresh';
  readonly family: number;
  readonly token: 'live' | 'rotated' | 'other-family' | 'missing' | 'repeated' | { readonly mutate: CodeMutation } | { readonly literal: string };
  /** null: no scope parameter; placeholders @@all@@, @@first@@ stand for the family's scopes. */
  readonly scope: string | null;
  readonly resource: readonly string[];
  readonly auth: Auth;
  readonly grantType: string;
  readonly extra: readonly Pair[];
}

export type TokenCase = CodeCase | RefreshCase;

const codeMutation: fc.Arbitrary<CodeMutation> = fc.record({
  op: fc.constantFrom('flip' as const, 'flip' as const, 'append' as const, 'truncate' as const, 'case' as const, 'prefix' as const),
  at: fc.integer({ min: 0, max: 999 }),
  char: fc.constantFrom('A', 'z', '0', '-', '_', '.', '=', ' ', '+', '/', '%', '\u0000', '\u00e9', '\n'),
});

const hostileToken = fc.oneof(
  fc.constantFrom('', ' ', 'null', 'undefined', '__proto__', '\u0000', 'a'.repeat(43), 'A'.repeat(200), 'A'.repeat(201), `${'x'.repeat(43)}\u0000`),
  repeated('a', 1000, 20_000),
  repeated('\u0000', 1, 300),
  fc.string({ maxLength: 60 }),
  unicode(40),
);

const auth: fc.Arbitrary<Auth> = fc.record({
  who: fc.oneof({ weight: 12, arbitrary: fc.constant<Who>('owner') }, { weight: 3, arbitrary: fc.constantFrom<Who>('other', 'm2m', 'unknown') }),
  how: fc.oneof(
    { weight: 12, arbitrary: fc.constant<How>('natural') },
    { weight: 4, arbitrary: fc.constantFrom<How>('basic', 'post', 'none', 'basic+same-id') },
    { weight: 3, arbitrary: fc.constantFrom<How>('nothing', 'basic-wrong', 'post-wrong', 'basic+post', 'basic+other-id', 'garbage') },
  ),
});

const grantTypeFor = (grant: string) =>
  fc.oneof({ weight: 12, arbitrary: fc.constant(grant) }, { weight: 1, arbitrary: fc.constantFrom('', grant.toUpperCase(), `${grant} `, `${grant}\u0000`, grant === 'authorization_code' ? 'refresh_token' : 'authorization_code', 'password', 'implicit') });

const SCOPE_SPELLINGS = ['openid', 'read', 'write', 'admin', 'openid read write admin', ' ', '\u0000', 'OPENID', 'read\twrite', 'offline_access', ''];

const extraPairs: fc.Arbitrary<Pair[]> = fc.array(
  fc.oneof(
    fc.tuple(fc.constant('scope'), fc.constantFrom(...SCOPE_SPELLINGS, 'openid profile email offline_access read write admin')),
    fc.tuple(fc.constant('resource'), fc.constantFrom(...SAME_RESOURCE, 'https://other.example.test', 'garbage', '')),
    fc.tuple(fc.constantFrom('state', 'nonce', 'client_assertion', 'client_assertion_type', 'audience', 'x'), fc.oneof(fc.string({ maxLength: 20 }), withNul)),
  ),
  { maxLength: 3 },
);

const mint: fc.Arbitrary<Mint> = fc.oneof(
  fc.record({
    client: fc.constant('conf' as const),
    pkce: fc.boolean(),
    redirect: fc.oneof(fc.constant(CONF_REDIRECTS[0] as string), port.map((p) => `http://127.0.0.1:${p}/cb`)),
    scope: fc.constantFrom('openid', 'openid offline_access', 'read write', 'openid profile email offline_access read'),
    resource: fc.boolean(),
  }),
  fc.record({
    client: fc.constant('pub' as const),
    pkce: fc.constant(true),
    redirect: fc.constantFrom<string>(...PUB_REDIRECTS),
    scope: fc.constantFrom('openid', 'openid offline_access', 'read', 'openid profile email offline_access read'),
    resource: fc.boolean(),
  }),
);

const codeCase: fc.Arbitrary<CodeCase> = fc.record({
  grant: fc.constant('code' as const),
  mint,
  code: fc.oneof(
    { weight: 14, arbitrary: fc.constant<CodeCase['code']>('fresh') },
    { weight: 2, arbitrary: fc.constantFrom<CodeCase['code']>('used', 'missing', 'repeated') },
    { weight: 4, arbitrary: codeMutation.map((m) => ({ mutate: m })) },
    { weight: 2, arbitrary: hostileToken.map((t) => ({ literal: t })) },
  ),
  verifier: fc.oneof(
    { weight: 14, arbitrary: fc.constant<CodeCase['verifier']>('right') },
    { weight: 4, arbitrary: fc.constantFrom<CodeCase['verifier']>('missing', 'wrong', 'short', 'long', 'max-wrong', 'suffix', 'repeated') },
    { weight: 2, arbitrary: fc.record({ badChar: fc.constantFrom('+', '/', '=', ' ', '%', '\u0000', '\u00e9', '!', '*'), at: fc.integer({ min: 0, max: 42 }) }) },
  ),
  redirectUri: fc.oneof(
    { weight: 14, arbitrary: fc.constantFrom<CodeCase['redirectUri']>('same', 'missing') },
    { weight: 1, arbitrary: fc.constant<CodeCase['redirectUri']>('repeated') },
    { weight: 3, arbitrary: fc.oneof(fc.constantFrom(...ALL_REDIRECTS, ...CONF_REDIRECTS.flatMap(nearMisses)), port.map((p) => `http://127.0.0.1:${p}/cb`)).map((literal) => ({ literal })) },
  ),
  auth,
  grantType: grantTypeFor('authorization_code'),
  extra: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: extraPairs }),
});

const refreshCase: fc.Arbitrary<RefreshCase> = fc.record({
  grant: fc.constant('refresh' as const),
  family: fc.integer({ min: 0, max: FAMILY_KINDS.length - 1 }),
  token: fc.oneof(
    { weight: 14, arbitrary: fc.constant<RefreshCase['token']>('live') },
    { weight: 3, arbitrary: fc.constantFrom<RefreshCase['token']>('rotated', 'other-family', 'missing', 'repeated') },
    { weight: 4, arbitrary: codeMutation.map((m) => ({ mutate: m })) },
    { weight: 2, arbitrary: hostileToken.map((t) => ({ literal: t })) },
  ),
  scope: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: fc.constantFrom(ph('all'), ph('first'), `${ph('first')} ${ph('first')}`, ` ${ph('first')} `) }, { weight: 3, arbitrary: fc.oneof(fc.constantFrom(...SCOPE_SPELLINGS, `${ph('all')} admin`), repeated('read ', 100, 1000)) }),
  resource: fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 3, arbitrary: fc.array(fc.constantFrom(...SAME_RESOURCE, `${RESOURCE}/`, 'https://other.example.test', 'garbage', 'urn:x', `${RESOURCE}#f`, ''), { minLength: 1, maxLength: 2 }) }),
  auth,
  grantType: grantTypeFor('refresh_token'),
  extra: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: extraPairs.map((pairs) => pairs.filter(([k]) => k !== 'scope' && k !== 'resource')) }),
});

export const tokenCase: fc.Arbitrary<TokenCase> = fc.oneof(codeCase, refreshCase);
