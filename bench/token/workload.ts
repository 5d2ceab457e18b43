import type { Alg, GrantType } from './common.ts';
import { BODY, TOKEN_PATH } from './common.ts';
import { basicAuth, runTokenLoad, type TokenLoadOutcome, type TokenLoadSpec } from './load.ts';
import type { Live } from './targets.ts';
import { verifyClientCredentials, type Verified } from './verify.ts';

/**
 * What a target sends and how. measure() (measure.ts) runs every workload the
 * same way: verify one request, warm up, then the measured run. A workload
 * that must prepare requests as it goes (codes, which live 60 s) runs in
 * segments; `wrap` goes around each segment's load only, so the CPU,
 * the responses and the time of the preparation between them are not
 * measured.
 */
export type Wrap = (load: () => Promise<TokenLoadOutcome>) => Promise<TokenLoadOutcome>;

export interface Workload {
  readonly grant: GrantType;
  /** What every expected answer carries, for the table. */
  readonly tokens: string;
  readonly expectStatus: number;
  verify(alg: Alg): Promise<Verified>;
  run(durationSec: number, phase: 'warmup' | 'measured', wrap: Wrap): Promise<TokenLoadOutcome>;
  /** Counters for the report (codes made, chains broken, ...); null when there is nothing to say. */
  detail(): Record<string, unknown> | null;
  /** Reasons the run cannot be trusted (a refresh chain broke, codes ran out...); empty when fine. */
  failures(): string[];
}

/** The load spec every workload starts from. */
export function baseSpec(live: Live, connections: number, authorization: string, body: string, expectStatus: number): Omit<TokenLoadSpec, 'durationSec'> {
  return { baseUrl: live.server.baseUrl, path: TOKEN_PATH, connections, authorization, body, expectStatus };
}

/**
 * grant_type=client_credentials with HTTP Basic, the same bytes every time;
 * `secret` overrides the live client's (a wrong one for the 401 runs).
 */
export function clientCredentialsWorkload(live: Live, connections: number, opts: { expectStatus: number; secret?: string }): Workload {
  const spec = baseSpec(live, connections, basicAuth(live.clientId, opts.secret ?? live.secret), BODY, opts.expectStatus);
  return {
    grant: 'client_credentials',
    tokens: opts.expectStatus === 200 ? 'access' : 'none (401)',
    expectStatus: opts.expectStatus,
    verify: (alg) => verifyClientCredentials(live, alg),
    run: (durationSec, _phase, wrap) => wrap(() => runTokenLoad({ ...spec, durationSec })),
    detail: () => null,
    failures: () => [],
  };
}
