/**
 * Paired runs (issue #12): the CPU a change saves per token, measured by
 * alternating two Portico checkouts under the same token benchmark, so that
 * both see the same machine (these machines are shared and noisy).
 *
 *   npm run bench:paired -- --base <commit> [--head <commit>] [--rounds 4] [--duration 8] [--warmup 2]
 *                           [--alg RS256|ES256] [--signing async|sync] [--workers <n>] [--connections 50]
 *
 * `--base` is checked out into a temporary git worktree (sharing this
 * checkout's node_modules); the working tree is the other side, or `--head`
 * checked out the same way (to measure a past commit against its parent). Every round
 * runs `bench/token.ts --only portico` once against each (BENCH_PORTICO_ROOT
 * points the benchmark at the checkout), in the order A B, then B A, then
 * A B..., so drift in the machine's load falls on both. Reported: per round
 * the server CPU per token (µs) and req/s of each, then the medians, the
 * difference in µs per token and the ratios. Positive "saved" = the working
 * tree spends less.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './lib/cli.ts';
import { fmt as f, log, table } from './lib/output.ts';
import { median } from './lib/load.ts';
import { NODE, REPO_ROOT } from './lib/server.ts';

const flags = cli('usage: npm run bench:paired -- --base <commit> [--head <commit>] [--rounds <n>] [--duration <s>] [--warmup <s>] [--alg RS256|ES256] [--signing async|sync] [--workers <n>] [--connections <n>]');
const values = flags.parse(['base', 'head', 'rounds', 'duration', 'warmup', 'alg', 'signing', 'workers', 'connections']);
if (values.help) flags.usage('Compares the CPU per token of two Portico checkouts (issue #12).', 0);
if (values.base === undefined) flags.usage('--base <commit> is required');
const rounds = flags.integer(values.rounds, 'rounds', 4);
const passThrough = [
  '--only',
  'portico',
  '--alg',
  values.alg ?? 'RS256',
  '--duration',
  String(flags.integer(values.duration, 'duration', 8)),
  '--warmup',
  String(flags.integer(values.warmup, 'warmup', 2, 0)),
  '--connections',
  String(flags.integer(values.connections, 'connections', 50)),
  ...(values.signing !== undefined ? ['--signing', values.signing] : []),
  ...(values.workers !== undefined ? ['--workers', values.workers] : []),
];

interface Measured {
  readonly cpuUs: number;
  readonly reqPerSec: number;
  readonly p99Ms: number;
  readonly source: string;
}

/** One `bench/token.ts --only portico` run against the checkout at `root`; its numbers from the results file. */
function runOnce(root: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['--disable-warning=ExperimentalWarning', 'bench/token.ts', ...passThrough], {
      cwd: REPO_ROOT,
      env: { ...process.env, BENCH_PORTICO_ROOT: root },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      const file = /results: (\S+\.json)/.exec(err)?.[1];
      if (code !== 0 || file === undefined) return reject(new Error(`bench/token.ts exited ${code}:\n${err.slice(-2000)}`));
      const json = JSON.parse(readFileSync(file, 'utf8')) as { rows: { target: string; cpuPerRequestMs: number; reqPerSec: number; p99Ms: number; source: string | null }[] };
      const row = json.rows.find((r) => r.target === 'portico');
      if (!row) return reject(new Error(`no portico row in ${file}`));
      resolve({ cpuUs: row.cpuPerRequestMs * 1000, reqPerSec: row.reqPerSec, p99Ms: row.p99Ms, source: row.source ?? '' });
    });
  });
}

const short = (rev: string) => execFileSync('git', ['rev-parse', '--short', rev], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
const base = short(values.base!);
const head = values.head === undefined ? null : short(values.head);
const worktrees: string[] = [];
/** A detached worktree of `rev` sharing this checkout's node_modules. */
function checkout(rev: string): string {
  const dir = mkdtempSync(join(tmpdir(), `portico-paired-${rev}-`));
  worktrees.push(dir);
  execFileSync('git', ['worktree', 'add', '--detach', dir, rev], { cwd: REPO_ROOT, stdio: 'ignore' });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}
const cleanup = () => {
  for (const dir of worktrees) {
    try {
      execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: REPO_ROOT, stdio: 'ignore' });
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  }
};
process.once('SIGINT', () => {
  cleanup();
  process.exit(130);
});
try {
  const dir = checkout(base);
  const other = head === null ? REPO_ROOT : checkout(head);
  log(`paired runs: A = ${base} (${dir}), B = ${head ?? 'the working tree'} (${other}); ${rounds} rounds of ${passThrough.join(' ')}`);
  const a: Measured[] = [];
  const b: Measured[] = [];
  for (let r = 0; r < rounds; r++) {
    const order: ['A' | 'B', string][] = r % 2 === 0 ? [['A', dir], ['B', other]] : [['B', other], ['A', dir]];
    for (const [side, root] of order) {
      const m = await runOnce(root);
      (side === 'A' ? a : b).push(m);
      log(`  round ${r + 1} ${side}: ${f(m.cpuUs, 0)} µs CPU per token, ${f(m.reqPerSec, 0)} req/s, p99 ${f(m.p99Ms, 1)} ms (${m.source})`);
    }
  }
  const rows = a.map((x, i) => [String(i + 1), f(x.cpuUs, 0), f(b[i]!.cpuUs, 0), f(x.cpuUs - b[i]!.cpuUs, 0), f(x.reqPerSec, 0), f(b[i]!.reqPerSec, 0)]);
  const ma = median(a.map((x) => x.cpuUs));
  const mb = median(b.map((x) => x.cpuUs));
  const ta = median(a.map((x) => x.reqPerSec));
  const tb = median(b.map((x) => x.reqPerSec));
  rows.push(['median', f(ma, 0), f(mb, 0), f(median(a.map((x, i) => x.cpuUs - b[i]!.cpuUs)), 0), f(ta, 0), f(tb, 0)]);
  process.stdout.write(
    `\n${table(['round', 'A µs/token', 'B µs/token', 'saved µs (A-B, same round)', 'A req/s', 'B req/s'], rows, new Set([1, 2, 3, 4, 5]))}\n\n` +
      `A = ${a[0]?.source}, B = ${b[0]?.source}\n` +
      `CPU per token B/A = ${f(mb / ma, 3)} (${f((1 - mb / ma) * 100, 1)}% less); throughput B/A = ${f(tb / ta, 3)}\n`,
  );
} finally {
  cleanup();
}
