// Issues #9 and #12: Form.only() is a view over the one parse: a grant sees its own parameters and
// nothing else, and what it does not see (repeated, not UTF-8) cannot fail its request.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MalformedRequestError, RepeatedParameterError } from './errors.ts';
import { Form } from './form.ts';

it('issue #12: only() shows the named parameters and hides the rest, without parsing again', () => {
  const form = Form.parse('grant_type=client_credentials&scope=read+write&resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb&code=x&code=y&state=%FF');
  const view = form.only(['scope', 'resource']);
  assert.equal(view.get('scope'), 'read write');
  assert.deepEqual(view.all('resource'), ['https://a', 'https://b']);
  // Hidden: a repeated and a non-UTF-8 parameter the grant does not take are simply absent.
  assert.equal(view.get('code'), undefined);
  assert.deepEqual(view.all('code'), []);
  assert.equal(view.get('state'), undefined);
  assert.equal(view.get('grant_type'), undefined);
  // The full form still refuses them when read.
  assert.throws(() => form.get('code'), RepeatedParameterError);
  assert.throws(() => form.get('state'), MalformedRequestError);
  // A view of a view narrows; it never widens.
  const narrower = view.only(['scope', 'code']);
  assert.equal(narrower.get('scope'), 'read write');
  assert.equal(narrower.get('code'), undefined);
  assert.deepEqual(narrower.all('resource'), []);
});

it('issue #12: the parameters a view takes keep their rules (repeated, not UTF-8)', () => {
  const view = Form.parse('code=x&code=y&code_verifier=%C0%AF').only(['code', 'code_verifier']);
  assert.throws(() => view.get('code'), RepeatedParameterError);
  assert.throws(() => view.get('code_verifier'), MalformedRequestError);
});
