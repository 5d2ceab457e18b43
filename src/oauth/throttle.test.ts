// Issue #9 (unit, in process) for issue #8 §6: the failure throttle counts exactly, per client and per
// address (5x), answers from memory once over the limit, restarts with the window, batches audit events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inProcessDeps } from '../../test/support/oauth-deps.ts';
import { throttledFailure } from './throttle.ts';

describe('issue #9: throttledFailure', () => {
  let env: Awaited<ReturnType<typeof inProcessDeps>>;
  before(async () => {
    env = await inProcessDeps({ PORTICO_AUTH_FAILURE_LIMIT: '4' });
  });
  after(async () => {
    await env.close();
  });
  const fail = (clientId: string | null, ip: string) => throttledFailure(env.deps, clientId, ip, 'wrong_secret', 'req_x');

  it('exactly `limit` failures per client pass as 401 (null), then 429 with Retry-After until the window ends', async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await fail('client_A', `198.51.100.${i}`));
    assert.deepEqual(answers.map((a) => a?.status ?? 401), [401, 401, 401, 401, 429, 429]);
    assert.equal(answers[4]!.error, 'slow_down');
    assert.equal(answers[4]!.headers['retry-after'], '60');
    env.clock.advance(30_000);
    assert.equal((await fail('client_A', '198.51.100.9'))?.headers['retry-after'], '30');
    env.clock.advance(31_000);
    assert.equal(await fail('client_A', '198.51.100.9'), null, 'a new window');
  });

  it('an address may fail five times the limit; unknown clients count against the address only', async () => {
    const answers = [];
    for (let i = 0; i < 21; i++) answers.push(await fail(i % 2 === 0 ? null : `client_B${i}`, '203.0.113.7'));
    assert.equal(answers.filter((a) => a === null).length, 20);
    assert.equal(answers[20]?.status, 429);
  });

  it('once over the limit no further write happens, and audit events are batched with a count', async () => {
    for (let i = 0; i < 4; i++) await fail('client_C', '192.0.2.44');
    const before = (await env.deps.storage.authFailures.windows(['client:client_C'], new Date(0)))[0]!.count;
    for (let i = 0; i < 10; i++) assert.equal((await fail('client_C', '192.0.2.44'))?.status, 429);
    const afterCount = (await env.deps.storage.authFailures.windows(['client:client_C'], new Date(0)))[0]!.count;
    assert.equal(before, 4);
    assert.equal(afterCount, 5, 'only the first failure past the limit was counted; the rest were answered from memory');
    await env.deps.failures.flush();
    const events = await env.deps.storage.audit.list({ limit: 100, order: 'desc' }, { events: ['oauth.client_authentication_failed'] });
    const mine = events.data.filter((e) => e.data.client_id === 'client_C');
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.data.count, 4);
  });
});
