// Issue #8 §2, §3, §4 and the metrics listener: the first fifteen minutes of an operator. A first start
// that cannot bind loses no admin key; a taken port ends the process at once with one line (with and
// without workers); a database that cannot be reached is named; /metrics can live on its own port or
// behind a token.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../support/server.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Run {
  /** Resolves with the exit code and everything printed, or rejects after `ms`. */
  readonly exited: Promise<{ code: number | null; out: string; err: string; ms: number }>;
  readonly output: () => string;
  stop(): Promise<number | null>;
}

function run(env: Record<string, string>, ms = 20_000): Run {
  const started = Date.now();
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/main.ts'], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; out: string; err: string; ms: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after ${ms} ms:\n${out}\n${err}`));
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, ms: Date.now() - started });
    });
  });
  return {
    exited,
    output: () => out + err,
    async stop() {
      child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}

async function waitFor(run: Run, pattern: RegExp, ms = 20_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = pattern.exec(run.output());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`never printed ${pattern}:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Holds a port, as another program would. */
function occupy(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('issue #8: starting up', () => {
  const dirs: string[] = [];
  const tempDb = () => {
    const d = mkdtempSync(join(tmpdir(), 'portico-start-'));
    dirs.push(d);
    return `sqlite:${join(d, 'portico.db')}`;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const workers of ['1', '2']) {
    it(`issue #8: a taken port ends the process within seconds with one line naming the address and PORTICO_PORT (PORTICO_WORKERS=${workers}); no admin key is lost`, async () => {
      const port = await freePort();
      const blocker = await occupy(port);
      const db = tempDb();
      try {
        const r = await run({ PORTICO_DATABASE_URL: db, PORTICO_PORT: String(port), PORTICO_HOST: '127.0.0.1', PORTICO_WORKERS: workers });
        const { code, out, err, ms } = await r.exited;
        assert.notEqual(code, 0);
        assert.ok(ms < 10_000, `took ${ms} ms`);
        const lines = err.trim().split('\n');
        assert.equal(lines.length, 1, err);
        assert.match(lines[0]!, new RegExp(`^portico: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use.*PORTICO_PORT`));
        assert.doesNotMatch(out, /sk_/, 'a key printed although the server never listened');
      } finally {
        blocker.close();
      }
      // The next start, on a free port, creates and prints the first admin key, and it works.
      const free = await freePort();
      const ok = run({ PORTICO_DATABASE_URL: db, PORTICO_PORT: String(free), PORTICO_HOST: '127.0.0.1', PORTICO_WORKERS: workers });
      try {
        const key = (await waitFor(ok, /^\s+(sk_[A-Za-z0-9_-]+)\s*$/m))[1]!;
        const res = await fetch(`http://127.0.0.1:${free}/organizations`, { headers: { authorization: `Bearer ${key}` } });
        assert.equal(res.status, 200);
      } finally {
        assert.equal(await ok.stop(), 0);
      }
    });
  }

  it('issue #8: an unreachable database is named (host, port, database) with its cause, never its password', async () => {
    const r = run({ PORTICO_DATABASE_URL: 'postgres://portico:hunter2secret@127.0.0.1:1/portico_db', PORTICO_SECRET_KEY: 'k'.repeat(32), PORTICO_WORKERS: '1' });
    const { code, err } = await r.exited;
    assert.equal(code, 1);
    assert.match(err.trim(), /^portico: failed to start: storage unavailable: cannot reach PostgreSQL at 127\.0\.0\.1:1\/portico_db: .*ECONNREFUSED/);
    assert.doesNotMatch(err, /hunter2secret/);
    assert.equal(err.trim().split('\n').length, 1);
  });

  it('issue #8: PORTICO_METRICS_PORT serves /metrics on its own loopback listener only; PORTICO_METRICS_TOKEN guards it', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const token = randomBytes(18).toString('base64url');
    const r = run({ PORTICO_DATABASE_URL: tempDb(), PORTICO_PORT: String(port), PORTICO_HOST: '127.0.0.1', PORTICO_WORKERS: '2', PORTICO_METRICS_PORT: String(metricsPort), PORTICO_METRICS_TOKEN: token });
    try {
      await waitFor(r, /2 workers listening/);
      await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status, 401);
      const ok = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /portico_http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} 1/);
    } finally {
      assert.equal(await r.stop(), 0);
    }
  });

  it('issue #8: a public issuer without PORTICO_METRICS_PORT or a token does not serve /metrics on the public port', async () => {
    const port = await freePort();
    const r = run({ PORTICO_DATABASE_URL: tempDb(), PORTICO_PORT: String(port), PORTICO_HOST: '127.0.0.1', PORTICO_WORKERS: '1', PORTICO_ISSUER: 'https://auth.example.com' });
    try {
      await waitFor(r, /Server listening at/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404);
    } finally {
      assert.equal(await r.stop(), 0);
    }
  });
});
