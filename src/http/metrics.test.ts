// Issue #12: the cheaper metric updates of the token path (counter handles, request series cached by
// method, status and route) count exactly what the general inc/observe count.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Metrics, renderPrometheus } from './metrics.ts';

it('issue #12: a counter handle and observeRequest produce the series inc and observe produce', () => {
  const fast = new Metrics();
  const slow = new Metrics();
  const issued = fast.counter('portico_tokens_issued_total', { grant: 'client_credentials' });
  const samples = [0.0004, 0.003, 0.003, 0.02, 7, 0.0009];
  for (const [i, s] of samples.entries()) {
    issued.inc();
    slow.inc('portico_tokens_issued_total', { grant: 'client_credentials' });
    const status = i % 2 === 0 ? 200 : 401;
    fast.observeRequest('POST', '/oauth2/token', status, s);
    slow.observe('portico_http_request_duration_seconds', { status: String(status), route: '/oauth2/token', method: 'POST' }, s);
  }
  issued.inc(3);
  slow.inc('portico_tokens_issued_total', { grant: 'client_credentials' }, 3);
  assert.deepEqual(fast.snapshot(), slow.snapshot());
  const text = renderPrometheus(fast.snapshot());
  assert.match(text, /^portico_tokens_issued_total\{grant="client_credentials"\} 9$/m);
  assert.match(text, /^portico_http_request_duration_seconds_count\{method="POST",route="\/oauth2\/token",status="200"\} 3$/m);
  assert.match(text, /^portico_http_request_duration_seconds_bucket\{method="POST",route="\/oauth2\/token",status="401",le="0.001"\} 1$/m);
});

it('issue #12: a counter handle exposes its series at 0 before the first increment', () => {
  const m = new Metrics();
  m.counter('portico_tokens_issued_total', { grant: 'refresh_token' });
  assert.match(renderPrometheus(m.snapshot()), /^portico_tokens_issued_total\{grant="refresh_token"\} 0$/m);
});
