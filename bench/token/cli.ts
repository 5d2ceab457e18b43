import { availableParallelism } from 'node:os';
import { defaultWorkers, signingThreads } from '../../src/config/server.ts';
import { cli, type Cli } from '../lib/cli.ts';
import { TARGET_GROUPS, type Alg, type TargetGroup } from './common.ts';

/**
 * A process layout (issue #12): where tokens are signed and how many server
 * processes share the port. Portico's default is npm start's
 * (src/config/server.ts); the ceiling runs in the same one.
 */
export interface Layout {
  readonly signing: 'async' | 'sync';
  /** Serving processes (node:cluster workers; 1 = the one process serves). */
  readonly workers: number;
  /** UV_THREADPOOL_SIZE of each serving process with async signing; null = libuv's default. */
  readonly threads: number | null;
}

export function layoutOf(signing: 'async' | 'sync', workers = defaultWorkers(signing, availableParallelism())): Layout {
  return { signing, workers, threads: signingThreads(signing, workers, availableParallelism()) };
}

/** The other signing mode, in its own default layout. */
export function otherLayout(layout: Layout): Layout {
  return layoutOf(layout.signing === 'async' ? 'sync' : 'async');
}

export function layoutText(layout: Layout): string {
  const procs = layout.workers > 1 ? `${layout.workers} workers` : '1 process';
  return layout.signing === 'async' ? `async, ${procs}, ${layout.threads ?? 4} threads each` : `sync, ${procs}`;
}

export interface Args {
  readonly algs: readonly Alg[];
  readonly durationSec: number;
  readonly warmupSec: number;
  /** Portico's layout, and the ceiling's (the same). */
  readonly layout: Layout;
  readonly connections: number;
  /** Connections of the low-concurrency run (--only c10). */
  readonly fewConnections: number;
  readonly large: number;
  readonly rounds: number;
  readonly profile: boolean;
  readonly only: ReadonlySet<TargetGroup>;
}

const flags: Cli = cli(
  'usage: npm run bench:token -- [--alg RS256|ES256|both] [--duration <s>] [--warmup <s>] [--signing async|sync] [--workers <n>] [--connections <n>] ' +
    `[--large <n>] [--rounds <n>] [--profile] [--only ${TARGET_GROUPS.join(',')}]`,
);

export function parseCli(): Args {
  const values = flags.parse(['alg', 'duration', 'warmup', 'signing', 'workers', 'connections', 'large', 'rounds', 'only'], ['profile']);
  if (values.help) {
    flags.usage('Benchmarks POST /oauth2/token (client_credentials, authorization_code, refresh_token) against oidc-provider and a bare-node ceiling (issues #3, #4).');
  }
  const alg = values.alg ?? 'both';
  if (alg !== 'RS256' && alg !== 'ES256' && alg !== 'both') flags.usage(`--alg must be RS256, ES256 or both (got "${alg}")`);
  let only = new Set<TargetGroup>(TARGET_GROUPS);
  if (values.only !== undefined) {
    only = new Set();
    for (const name of values.only.split(',').map((s) => s.trim())) {
      const group = TARGET_GROUPS.find((g) => g === name);
      if (!group) flags.usage(`--only: unknown target "${name}" (one of ${TARGET_GROUPS.join(', ')})`);
      only.add(group);
    }
  }
  const signing = values.signing ?? 'async';
  if (signing !== 'async' && signing !== 'sync') flags.usage(`--signing must be async or sync (got "${signing}")`);
  const large = flags.integer(values.large, 'large', 1_000_000, 0);
  if (large === 0) only.delete('large');
  return {
    algs: alg === 'both' ? ['RS256', 'ES256'] : [alg],
    durationSec: flags.integer(values.duration, 'duration', 10),
    warmupSec: flags.integer(values.warmup, 'warmup', 2, 0),
    layout: layoutOf(signing, values.workers === undefined ? undefined : flags.integer(values.workers, 'workers', 1)),
    connections: flags.integer(values.connections, 'connections', 50),
    fewConnections: 10,
    large,
    rounds: flags.integer(values.rounds, 'rounds', 1),
    profile: values.profile ?? false,
    only,
  };
}
