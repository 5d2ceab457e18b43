// Issue #2 (registration rules) and security bar R1: exact redirect-URI matching, any port on loopback IPs.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { redirectUriMatches, redirectUriProblem } from './redirect-uri.ts';

it('accepts https, loopback http and private-use schemes; refuses the rest', () => {
  for (const ok of ['https://app.test/cb', 'http://127.0.0.1/cb', 'http://localhost:3000/cb', 'http://[::1]:8080/cb', 'com.example.app:/oauth', 'cursor://anysphere.cursor-retrieval/oauth/callback']) {
    assert.equal(redirectUriProblem(ok), null, ok);
  }
  const bad: Record<string, string> = {
    'http://example.com/cb': 'http_only_for_loopback',
    'javascript:alert(1)': 'scheme_not_allowed',
    'data:text/html,hi': 'scheme_not_allowed',
    'https://app.test/cb#frag': 'must_not_have_fragment',
    '/relative/cb': 'must_be_absolute',
    'https://app.test/c b': 'invalid',
  };
  for (const [uri, problem] of Object.entries(bad)) assert.equal(redirectUriProblem(uri), problem, uri);
});

it('matches exactly, except the port of loopback IP URIs', () => {
  const reg = 'https://app.test/cb';
  for (const other of ['https://app.test/cb/', 'https://APP.test/cb', 'https://app.test/cb?x=1', 'https://app.test/cb#f', 'https://app.test.evil/cb', 'https://app.test:443/cb']) {
    assert.equal(redirectUriMatches(reg, other), false, other);
  }
  assert.equal(redirectUriMatches(reg, reg), true);
  assert.equal(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:53121/cb'), true);
  assert.equal(redirectUriMatches('http://127.0.0.1:8000/cb', 'http://127.0.0.1:9000/cb'), true);
  assert.equal(redirectUriMatches('http://[::1]/cb', 'http://[::1]:4000/cb'), true);
  assert.equal(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:80/cb'), true);
  assert.equal(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:99999/cb'), false);
  assert.equal(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:8080/cb?x=1'), false);
  assert.equal(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1.evil/cb'), false);
  assert.equal(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:53121/other'), false);
  // localhost matches only as registered (OAuth 2.1 §8.4.2: NOT RECOMMENDED, no port leniency).
  assert.equal(redirectUriMatches('http://localhost/cb', 'http://localhost:4000/cb'), false);
});

it('issue #9: the token request repeats the authorization request\'s redirect_uri exactly (RFC 6749 §4.1.3)', async () => {
  const { tokenRedirectUriValid } = await import('./redirect-uri.ts');
  const registered = [{ uri: 'http://127.0.0.1/cb', default: true }, { uri: 'https://app.test/cb', default: false }];
  // Sent at authorize: required, and identical (no loopback port leniency here: it is the same request's value).
  assert.equal(tokenRedirectUriValid('http://127.0.0.1:5000/cb', 'http://127.0.0.1:5000/cb', registered), true);
  assert.equal(tokenRedirectUriValid('http://127.0.0.1:5000/cb', undefined, registered), false);
  assert.equal(tokenRedirectUriValid('http://127.0.0.1:5000/cb', 'http://127.0.0.1:6000/cb', registered), false);
  assert.equal(tokenRedirectUriValid('https://app.test/cb', 'https://app.test/cb/', registered), false);
  // Omitted at authorize: may be omitted, or be exactly a registered one.
  assert.equal(tokenRedirectUriValid(null, undefined, registered), true);
  assert.equal(tokenRedirectUriValid(null, 'https://app.test/cb', registered), true);
  assert.equal(tokenRedirectUriValid(null, 'https://elsewhere.test/cb', registered), false);
  assert.equal(tokenRedirectUriValid(null, 'http://127.0.0.1:5000/cb', registered), false);
});
