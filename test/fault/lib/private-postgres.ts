// Issue #8: a throwaway PostgreSQL server for the outage fault (security bar 45). The shared
// cluster other suites use is never stopped: this one is initdb'd into a temp directory, listens
// on a free loopback port, and is killed and restarted by PID (its process group) on the same port
// and data directory.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../../support/server.ts';
import { isAlive, liveChildren, liveGroupMembers, procStat } from './procfs.ts';

/** The directory holding initdb and postgres: PORTICO_TEST_PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
export function findPostgresBin(): string | null {
  const candidates: string[] = [];
  if (process.env.PORTICO_TEST_PG_BIN) candidates.push(process.env.PORTICO_TEST_PG_BIN);
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // not a Debian-style installation
  }
  return candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres'))) ?? null;
}

/** uid/gid of the `postgres` OS user (PostgreSQL refuses to run as root). */
function postgresUser(): { uid: number; gid: number } | null {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) return null;
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

function postmasterPid(data: string): number | null {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export interface PrivatePostgres {
  readonly port: number;
  readonly url: string;
  /** The process group of the running server (the runuser or postgres process we spawned), or null. */
  readonly pgid: number | null;
  /** Starts the server and resolves once it answers a query (bounded). */
  start(): Promise<void>;
  /** kill -9 of the server's whole process group (postmaster and every backend); resolves once none is alive. */
  kill9(): Promise<void>;
  /** Fast shutdown (SIGINT), SIGKILL if that does not finish, then the data directory is removed. */
  destroy(): Promise<void>;
}

/** Whether a query gets through to `url` within `ms`. */
export async function answers(url: string, ms = 1000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: ms, query_timeout: ms });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Servers started here and not yet destroyed: killed on exit if a timed-out test never cleans up. */
const running = new Map<string, () => void>();
process.on('exit', () => {
  for (const kill of running.values()) kill();
});

export async function createPrivatePostgres(bin: string): Promise<PrivatePostgres> {
  const root = process.getuid?.() === 0;
  const user = root ? postgresUser() : null;
  if (root && !user) throw new Error('running as root but there is no postgres OS user to run PostgreSQL as');
  const dir = mkdtempSync(join(tmpdir(), 'portico-fault-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  // As root, PostgreSQL binaries run as the postgres user through runuser (they refuse root).
  const command = (exe: string, args: string[]) => (root ? { cmd: 'runuser', args: ['-u', 'postgres', '--', join(bin, exe), ...args] } : { cmd: join(bin, exe), args });
  const init = command('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const r = spawnSync(init.cmd, init.args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${r.status}): ${r.stderr || r.stdout || String(r.error)}`);
  }
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const state: { pgid: number | null; log: string } = { pgid: null, log: '' };

  const waitGone = async (pgid: number, ms: number) => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
      if (liveGroupMembers(pgid).length === 0 && !isAlive(pgid)) return true;
      await sleep(50);
    }
    return false;
  };

  const self: PrivatePostgres = {
    port,
    url,
    get pgid() {
      return state.pgid;
    },
    async start() {
      const run = command('postgres', ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'max_connections=100']);
      // detached: its own process group, so kill9() reaches the postmaster and every backend at once.
      const child = spawn(run.cmd, run.args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      if (child.pid === undefined) throw new Error('could not spawn postgres');
      state.pgid = child.pid;
      running.set(dir, () => {
        const postmaster = postmasterPid(data);
        for (const target of [-child.pid!, ...(postmaster === null ? [] : [postmaster, ...liveChildren(postmaster)])]) {
          try {
            process.kill(target, 'SIGKILL');
          } catch {
            // gone
          }
        }
      });
      const collect = (d: Buffer) => {
        state.log = (state.log + d.toString('utf8')).slice(-16_000);
      };
      child.stdout?.on('data', collect);
      child.stderr?.on('data', collect);
      const deadline = Date.now() + 60_000;
      while (!(await answers(url))) {
        if (Date.now() > deadline || child.exitCode !== null) {
          await self.kill9();
          throw new Error(`private PostgreSQL did not start on port ${port}:\n${state.log}`);
        }
        await sleep(100);
      }
    },
    async kill9() {
      const pgid = state.pgid;
      if (pgid === null) return;
      // Every backend makes itself a process-group leader (setsid), so the group holds only
      // runuser and the postmaster: the backends are killed by PID, in the same instant.
      const postmaster = postmasterPid(data);
      const backends = postmaster === null ? [] : liveChildren(postmaster);
      for (const target of [-pgid, ...backends]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      const gone = await waitGone(pgid, 10_000);
      for (let i = 0; i < 200 && backends.some(isAlive); i++) await sleep(50);
      if (!gone || backends.some(isAlive)) throw new Error(`private PostgreSQL still alive after SIGKILL: ${[...liveGroupMembers(pgid), ...backends.filter(isAlive)].join(', ')}`);
      state.pgid = null;
      // postmaster.pid survives a SIGKILL, and a restart refuses to start while the PID in it
      // exists, even as a zombie not yet reaped by init: wait until it is reaped (bounded).
      for (let i = 0; i < 200 && postmaster !== null && procStat(postmaster) !== null; i++) await sleep(50);
    },
    async destroy() {
      const pgid = state.pgid;
      if (pgid !== null) {
        try {
          process.kill(-pgid, 'SIGINT'); // fast shutdown
        } catch {
          // gone
        }
        if (!(await waitGone(pgid, 15_000))) await self.kill9();
        state.pgid = null;
      }
      running.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}
