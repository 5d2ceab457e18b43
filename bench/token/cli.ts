import { availableParallelism } from 'node:os';
import { cli, type Cli } from '../lib/cli.ts';
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

const flags: Cli = cli(
  'usage: npm run bench:token -- [--alg RS256|ES256|both] [--duration <s>] [--warmup <s>] [--workers <n>] [--connections <n>] ' +
    `[--large <n>] [--rounds <n>] [--profile] [--only ${TARGET_GROUPS.join(',')}]`,
);

export function parseCli(): Args {
  const values = flags.parse(['alg', 'duration', 'warmup', 'workers', 'connections', 'large', 'rounds', 'only'], ['profile']);
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
  const large = flags.integer(values.large, 'large', 1_000_000, 0);
  if (large === 0) only.delete('large');
  return {
    algs: alg === 'both' ? ['RS256', 'ES256'] : [alg],
    durationSec: flags.integer(values.duration, 'duration', 10),
    warmupSec: flags.integer(values.warmup, 'warmup', 2, 0),
    workers: flags.integer(values.workers, 'workers', availableParallelism()),
    connections: flags.integer(values.connections, 'connections', 50),
    large,
    rounds: flags.integer(values.rounds, 'rounds', 1),
    profile: values.profile ?? false,
    only,
  };
}
