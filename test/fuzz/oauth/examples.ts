// Issue #3: the fixed cases each property of the OAuth fuzz suite runs first (fast-check
// `examples`: they take the first of the property's runs). Moved out of
// test/fuzz/oauth-fuzz.test.ts by issue #9.
import { FORM } from '../support/config.ts';
import { BASE } from './forms.ts';
import type { TokenProbe } from './probes.ts';
import { basic, build, GETS, isPost, ph, POSTS, type Auth, type Body, type Mutation, type PostPath } from './requests.ts';

const nonCanonicalSignature: Mutation = { op: 'trailing-bits', part: 2, bits: 0b1111 };

export function examples() {
  const form = (endpoint: PostPath, raw: string, auth: Auth = null, ct: string | null = FORM) => build({ endpoint, auth, contentType: ct, body: { raw } });
  const creds = `client_id=${ph('m2m')}&client_secret=${ph('m2m_secret')}`;
  return {
    form: POSTS.flatMap((endpoint) => [
      form(endpoint, `grant_type=client_credentials&client_id=${ph('m2m')}%00&client_secret=${ph('m2m_secret')}&token=${ph('token')}`),
      form(endpoint, `grant_type=client_credentials&client_id=%00&client_secret=x&token=x`),
      form(endpoint, `grant_type=client_credentials&${creds}&token=${ph('token')}&resource=https%3A%2F%2Fa.test%2F%23f&resource=%2Frelative`),
      form(endpoint, `grant_type=client_credentials&${creds}&scope=read%00&token=${ph('token')}%00`),
      form(endpoint, `grant_type=password&grant_type=client_credentials&${creds}&token=${ph('token')}&token=${ph('token')}`),
      form(endpoint, `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=x&${creds}&token=${ph('token')}`),
      form(endpoint, `grant_type=client_credentials&${creds}&resource=https%3A%2F%2Fa.test%2F${'a'.repeat(3_000)}&token=${ph('token')}`),
    ]),
    raw: POSTS.flatMap((endpoint) => [
      form(endpoint, `grant_type=client_credentials&${creds}&scope=%ZZ&token=%`, null),
      form(endpoint, `grant_type=client_credentials&scope=${'a'.repeat(70 * 1024)}`, basic(ph('m2m'), ph('m2m_secret'))),
      build({ endpoint, auth: basic(ph('m2m'), ph('m2m_secret')), body: { raw: new Uint8Array([...Buffer.from('grant_type=client_credentials&scope=read&token='), 0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]) } }),
      form(endpoint, `{"grant_type":"client_credentials","token":"${ph('token')}"}`, basic(ph('m2m'), ph('m2m_secret')), 'application/json'),
      form(endpoint, 'grant_type=client_credentials', basic(ph('m2m'), ph('m2m_secret')), null),
      form(endpoint, 'grant_type=client_credentials', basic(ph('m2m'), ph('m2m_secret')), 'text/plain'),
      form(endpoint, '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--\r\n', basic(ph('m2m'), ph('m2m_secret')), 'multipart/form-data; boundary=x'),
      form(endpoint, `grant_type=client_credentials&token=${ph('token')}`, basic(ph('m2m'), ph('m2m_secret')), `${FORM}; charset=ISO-8859-1`),
    ]),
    auth: POSTS.flatMap((endpoint) => {
      const body: Body = { form: BASE[endpoint].filter((x) => x.key !== 'client_secret' && x.key !== 'client_id'), sep: '&' };
      return [
        build({ endpoint, body, auth: basic(`${ph('m2m')}%00`, ph('m2m_secret'), false) }),
        build({ endpoint, body, auth: basic('%ZZ', ph('m2m_secret'), false) }),
        build({ endpoint, body, auth: basic(ph('m2m'), '%', false) }),
        build({ endpoint, body, auth: { b64: ph('m2m'), scheme: 'Basic ' } }),
        build({ endpoint, body, auth: { header: 'Basic ====' } }),
        build({ endpoint, body, auth: { header: `Bearer ${ph('token')}` } }),
        build({ endpoint, body, auth: basic('\u0000', '\u0000') }),
        build({ endpoint, body, auth: basic(ph('m2m'), 's'.repeat(513)) }),
      ];
    }),
    introspect: [
      { caller: 'm2m-basic', token: [], enc: 'component', hint: null },
      { caller: 'oauth-basic', token: [], enc: 'component', hint: null },
      { caller: 'm2m-basic', token: [nonCanonicalSignature], enc: 'component', hint: null },
      { caller: 'm2m-basic', token: [{ op: 'alg', alg: 'none', kid: 'same', sig: 'empty' }], enc: 'component', hint: null },
      { caller: 'm2m-basic', token: [{ op: 'alg', alg: 'HS256', kid: 'same', sig: 'hmac-pem' }], enc: 'component', hint: null },
      { caller: 'm2m-post', token: [{ op: 'claims', patch: { exp: 4_102_444_800 }, drop: [] }], enc: 'every', hint: 'access_token' },
    ] satisfies TokenProbe[],
    revoke: [
      { caller: 'm2m-basic', token: [nonCanonicalSignature], enc: 'component', hint: null },
      { caller: 'oauth-basic', token: [], enc: 'component', hint: null },
      { caller: 'm2m-basic', token: [], enc: 'component', hint: 'refresh_token' },
      { caller: 'm2m-basic', token: [{ op: 'alg', alg: 'none', kid: 'same', sig: 'keep' }], enc: 'component', hint: null },
      // A raw %DF (a UTF-8 lead byte without its continuation): refused as not UTF-8, 400 (issue #8), not 200.
      { caller: 'm2m-basic', token: [{ op: 'wrap', before: '%DF', after: '' }], enc: 'raw', hint: null },
    ] satisfies TokenProbe[],
    get: GETS.flatMap((endpoint) => [build({ endpoint, query: '?%00=%00&%ZZ&a=%E0%A4%A' }), build({ endpoint, method: 'HEAD', extra: { 'if-none-match': '*', range: 'bytes=0-1' } })]),
    method: [...POSTS, ...GETS].flatMap((endpoint) => [
      build({ endpoint, method: isPost(endpoint) ? 'GET' : 'POST', body: { raw: 'grant_type=client_credentials' } }),
      build({ endpoint, method: 'OPTIONS', body: null }),
      build({ endpoint, method: 'DELETE', body: null }),
      build({ endpoint, path: `${endpoint}/`, method: isPost(endpoint) ? 'POST' : 'GET', body: { raw: 'grant_type=client_credentials' } }),
    ]),
  };
}
