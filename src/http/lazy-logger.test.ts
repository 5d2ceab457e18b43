// Issue #12: the request logger made lazily logs exactly what Fastify's own per-request child logs
// (its reqId binding, redaction, levels), and a request that logs nothing never builds a child.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import Fastify from 'fastify';
import { pino } from 'pino';
import { lazyChildLoggerFactory } from './lazy-logger.ts';

function app(level: string, lazy: boolean) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level, redact: { paths: ['*.secret'], censor: '[redacted]' } }, stream);
  // Counts every child made from this logger or its descendants (they inherit the method).
  let children = 0;
  const child = logger.child;
  logger.child = function (this: typeof logger, ...a: Parameters<typeof child>) {
    children++;
    return child.apply(this, a);
  } as typeof logger.child;
  let id = 0;
  const f = Fastify({ loggerInstance: logger, genReqId: () => `req_${++id}`, ...(lazy && { childLoggerFactory: lazyChildLoggerFactory }) });
  f.get('/quiet', async () => 'ok');
  const ready = f.ready().then(() => (children = 0)); // Fastify makes one child of its own at start
  f.get('/loud', async (request) => {
    request.log.debug({ step: 1 }, 'debugging');
    request.log.warn({ body: { secret: 'hunter2' }, n: 2 }, 'careful');
    request.log.child({ part: 'inner' }).error('inner failure');
    return { level: request.log.level };
  });
  return { f, lines, children: () => children, ready };
}

it('issue #12: the lazy request logger writes the records the default child writes', async () => {
  for (const level of ['warn', 'debug']) {
    const eager = app(level, false);
    const lazy = app(level, true);
    for (const a of [eager, lazy]) {
      await a.ready;
      assert.equal((await a.f.inject('/loud')).statusCode, 200);
      assert.deepEqual((await a.f.inject('/loud')).json(), { level });
    }
    const strip = (ls: Record<string, unknown>[]) => ls.map(({ time: _t, pid: _p, hostname: _h, responseTime: _r, ...rest }) => rest);
    assert.deepEqual(strip(lazy.lines), strip(eager.lines));
    assert.ok(lazy.lines.some((l) => l.reqId === 'req_2' && l.msg === 'careful' && (l.body as { secret: string }).secret === '[redacted]'));
    assert.ok(lazy.lines.some((l) => l.reqId === 'req_1' && l.part === 'inner' && l.msg === 'inner failure'));
    assert.equal(lazy.lines.some((l) => l.msg === 'debugging'), level === 'debug');
    // Fastify's own request lines (info) go through the lazy logger too.
    assert.equal(lazy.lines.some((l) => l.msg === 'request completed' && l.reqId === 'req_2'), level === 'debug');
  }
});

it('issue #12: a request that logs nothing at an enabled level builds no child logger', async () => {
  const lazy = app('warn', true);
  const eager = app('warn', false);
  await Promise.all([lazy.ready, eager.ready]);
  for (let i = 0; i < 20; i++) {
    await lazy.f.inject('/quiet');
    await eager.f.inject('/quiet');
  }
  assert.equal(lazy.children(), 0);
  assert.equal(eager.children(), 20);
});
