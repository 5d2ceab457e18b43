import { runLoad, type LoadOutcome, type LoadSpec } from '../lib/load.ts';
import type { Alg, GrantType } from './common.ts';
import { BODY, TOKEN_PATH } from './common.ts';
import { basicAuth } from './flow.ts';
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
export type Wrap = (load: () => Promise<LoadOutcome>) => Promise<LoadOutcome>;

export interface Workload {
  readonly grant: GrantType;
  /** What every expected answer carries, for the table. */
  readonly tokens: string;
  readonly expectStatus: number;
  verify(alg: Alg): Promise<Verified>;
  run(durationSec: number, phase: 'warmup' | 'measured', wrap: Wrap): Promise<LoadOutcome>;
  /** Counters for the report (codes made, chains broken, ...); null when there is nothing to say. */
  detail(): Record<string, unknown> | null;
  /** Reasons the run cannot be trusted (a refresh chain broke, codes ran out...); empty when fine. */
  failures(): string[];
}

/**
 * The load spec every workload starts from: `POST /oauth2/token` with a form
 * body (fixed, or a placeholder when a workload gives every request its own)
 * and a fixed Authorization header.
 */
export function baseSpec(live: Live, connections: number, authorization: string, body: string, expectStatus: number): Omit<LoadSpec, 'durationSec'> {
  return {
    baseUrl: live.server.baseUrl,
    method: 'POST',
    path: TOKEN_PATH,
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    connections,
    body,
    expectStatus,
  };
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
    run: (durationSec, _phase, wrap) => wrap(() => runLoad({ ...spec, durationSec })),
    detail: () => null,
    failures: () => [],
  };
}
