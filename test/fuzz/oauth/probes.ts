// Issue #3: exact probes of introspection and revocation by a clean client: the live token, or
// the live token after mutations, sent by the rightful client or another one (moved out of
// test/fuzz/oauth-fuzz.test.ts by issue #9).
import fc from 'fast-check';
import { mutations, tokenEnc } from './mutations.ts';
import { basic, build, p, ph, summarize, type Case, type Mutation, type Pair, type PostPath } from './requests.ts';

type Caller = 'm2m-basic' | 'm2m-post' | 'oauth-basic' | 'oauth-post';

export interface TokenProbe {
  readonly caller: Caller;
  readonly token: readonly Mutation[];
  readonly enc: 'component' | 'every' | 'raw';
  readonly hint: string | null;
}

export function probeCase(endpoint: PostPath, probe: TokenProbe): Case {
  const oauth = probe.caller.startsWith('oauth');
  const form: Pair[] = [p('token', { token: probe.token, enc: probe.enc })];
  if (probe.hint !== null) form.push(p('token_type_hint', { text: probe.hint }));
  if (probe.caller.endsWith('post')) form.push(p('client_id', { text: ph(oauth ? 'oauth' : 'm2m') }), p('client_secret', { text: ph(oauth ? 'oauth_secret' : 'm2m_secret') }));
  const c = build({
    endpoint,
    auth: probe.caller.endsWith('basic') ? basic(ph(oauth ? 'oauth' : 'm2m'), ph(oauth ? 'oauth_secret' : 'm2m_secret')) : null,
    body: { form, sep: '&' },
  });
  Object.defineProperty(c, fc.toStringMethod, { value: () => `${summarize(c)} caller=${probe.caller}`, enumerable: false });
  return c;
}

export const tokenProbe: fc.Arbitrary<TokenProbe> = fc.record({
  caller: fc.constantFrom<Caller>('m2m-basic', 'm2m-basic', 'm2m-basic', 'm2m-post', 'oauth-basic', 'oauth-post'),
  token: mutations,
  enc: tokenEnc,
  hint: fc.option(fc.constantFrom('access_token', 'refresh_token', 'id_token', 'garbage', '%00'), { freq: 3, nil: null }),
});

