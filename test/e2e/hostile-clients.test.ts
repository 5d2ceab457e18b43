// Issue #8 §1: slow clients cannot hold connections forever, and held sockets cannot exhaust the
// process: a request that has not fully arrived within PORTICO_REQUEST_TIMEOUT_SECONDS is answered
// 408 and closed; past PORTICO_MAX_CONNECTIONS new connections are closed while established ones
// are served. Real sockets on a real port.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../support/server.ts';

interface Held {
  readonly socket: Socket;
  /** Everything the server sent, and when the socket closed (ms after it opened), once it has. */
  readonly result: Promise<{ data: string; closedAfterMs: number }>;
}

function hold(port: number, payload: string): Held {
  const opened = Date.now();
  const socket = connect(port, '127.0.0.1', () => socket.write(payload));
  let data = '';
  socket.on('data', (d: Buffer) => (data += d.toString()));
  socket.on('error', () => {});
  const result = new Promise<{ data: string; closedAfterMs: number }>((resolve) => socket.on('close', () => resolve({ data, closedAfterMs: Date.now() - opened })));
  return { socket, result };
}

/** One HTTP/1.1 request on an open keep-alive socket; resolves with the status line. */
function requestOn(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const onData = (d: Buffer) => {
      data += d.toString();
      if (/\r\n\r\n/.test(data) && /content-length: (\d+)/i.test(data)) {
        const length = Number(/content-length: (\d+)/i.exec(data)![1]);
        if (data.length - data.indexOf('\r\n\r\n') - 4 >= length) {
          socket.off('data', onData);
          resolve(data.split('\r\n')[0]!);
        }
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before an answer: ${JSON.stringify(data)}`)));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  });
}

const portOf = (server: TestServer) => Number(new URL(server.baseUrl).port);

/** Fails instead of hanging when the server never closes the socket (what it did before issue #8). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<T>((_r, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

describe('issue #8: slow and hostile clients', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite', { env: { PORTICO_REQUEST_TIMEOUT_SECONDS: '2' } });
  });
  after(async () => {
    await server.close();
  });

  it('issue #8: a body that never arrives (Content-Length or a huge chunk) is answered 408 and closed within the timeout; others are served meanwhile', async () => {
    const port = portOf(server);
    const stalled = [
      hold(port, 'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n'),
      hold(port, 'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nabc'),
      hold(port, `POST /organizations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"name":`),
    ];
    // A normal request on another connection is served while those wait.
    await new Promise((r) => setTimeout(r, 500));
    const health = await fetch(`${server.baseUrl}/health`);
    assert.equal(health.status, 200);
    for (const s of stalled) {
      const { data, closedAfterMs } = await within(s.result, 10_000, 'a stalled request').finally(() => s.socket.destroy());
      assert.match(data, /^HTTP\/1\.1 408 /, data);
      assert.ok(closedAfterMs >= 1500 && closedAfterMs <= 5000, `closed after ${closedAfterMs} ms (timeout 2000 ms)`);
    }
  });

  it('issue #8: headers that never end are cut off too', async () => {
    const s = hold(portOf(server), 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const { closedAfterMs } = await within(s.result, 10_000, 'unfinished headers').finally(() => s.socket.destroy());
    assert.ok(closedAfterMs <= 5000, `closed after ${closedAfterMs} ms`);
  });
});

describe('issue #8: PORTICO_MAX_CONNECTIONS', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('sqlite', { env: { PORTICO_MAX_CONNECTIONS: '3' } });
  });
  after(async () => {
    await server.close();
  });

  it('issue #8: past the cap a new connection is closed at once, and the established ones keep being served', async () => {
    const port = portOf(server);
    const open = await Promise.all(
      Array.from({ length: 3 }, () => new Promise<Socket>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.on('error', () => {});
      })),
    );
    try {
      for (const socket of open) assert.match(await requestOn(socket, '/health'), /^HTTP\/1\.1 200/);
      const extra = hold(port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      const refused = await within(extra.result, 5_000, 'a connection past the cap').finally(() => extra.socket.destroy());
      assert.equal(refused.data, '', 'the connection past the cap got no answer');
      assert.ok(refused.closedAfterMs < 1000, `closed after ${refused.closedAfterMs} ms`);
      for (const socket of open) assert.match(await requestOn(socket, '/health'), /^HTTP\/1\.1 200/);
    } finally {
      for (const socket of open) socket.destroy();
    }
    // Once they are gone, new connections are accepted again.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await fetch(`${server.baseUrl}/health`)).status, 200);
  });
});
