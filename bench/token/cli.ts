import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { TARGET_GROUPS, type Alg, type TargetGroup } from './common.ts';

export interface Args {
  readonly algs: readonly Alg[];
  readonly durationSec: number;
  readonly warmupSec: number;
  readonly workers: number;
  readonly connections: number;
  readonly large: number;
  readonly rounds: number;
  readonly profile: boolean;
  readonly only: ReadonlySet<TargetGroup>;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run bench:token -- [--alg RS256|ES256|both] [--duration <s>] [--warmup <s>] [--workers <n>] [--connections <n>] ` +
      `[--large <n>] [--rounds <n>] [--profile] [--only ${TARGET_GROUPS.join(',')}]\n`,
  );
  process.exit(2);
}

function positiveInt(raw: string | undefined, name: string, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) usage(`--${name} must be an integer >= ${min} (got "${raw}")`);
  return Number(raw);
}

export function parseCli(): Args {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        alg: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        workers: { type: 'string' },
        connections: { type: 'string' },
        large: { type: 'string' },
        rounds: { type: 'string' },
        profile: { type: 'boolean' },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    usage('Benchmarks POST /oauth2/token (client_credentials, authorization_code, refresh_token) against oidc-provider and a bare-node ceiling (issues #3, #4).');
  }
  const alg = values.alg ?? 'both';
  if (alg !== 'RS256' && alg !== 'ES256' && alg !== 'both') usage(`--alg must be RS256, ES256 or both (got "${alg}")`);
  let only = new Set<TargetGroup>(TARGET_GROUPS);
  if (values.only !== undefined) {
    only = new Set();
    for (const name of values.only.split(',').map((s) => s.trim())) {
      const group = TARGET_GROUPS.find((g) => g === name);
      if (!group) usage(`--only: unknown target "${name}" (one of ${TARGET_GROUPS.join(', ')})`);
      only.add(group);
    }
  }
  const large = positiveInt(values.large, 'large', 1_000_000, 0);
  if (large === 0) only.delete('large');
  return {
    algs: alg === 'both' ? ['RS256', 'ES256'] : [alg],
    durationSec: positiveInt(values.duration, 'duration', 10),
    warmupSec: positiveInt(values.warmup, 'warmup', 2, 0),
    workers: positiveInt(values.workers, 'workers', availableParallelism()),
    connections: positiveInt(values.connections, 'connections', 50),
    large,
    rounds: positiveInt(values.rounds, 'rounds', 1),
    profile: values.profile ?? false,
    only,
  };
}
