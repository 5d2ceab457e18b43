import { performance } from 'node:perf_hooks';
import { runLoad } from '../lib/load.ts';
import { f, log, type Alg } from './common.ts';
import { basicAuth, codeExchangeBody, mapConcurrent, refreshBody, tokenRequest, type CodeFactory } from './flow.ts';
import type { Live } from './targets.ts';
import { verifyUserTokens, type Verified } from './verify.ts';
import { baseSpec, type Workload } from './workload.ts';

/**
 * grant_type=refresh_token, HTTP Basic. Every answer rotates the token: the
 * new one must be sent next, and sending a used one again revokes its whole
 * family. So the load runs over chains, one per refresh-token family (made
 * through the code flow and an exchange with offline_access): a request
 * takes a chain that has nothing in flight, sends its latest token, and its
 * answer's refresh_token becomes the chain's latest before the chain is free
 * again. A chain is never in two requests at once and never sends a token
 * twice.
 *
 * (Chains are checked out per request rather than pinned to a connection:
 * autocannon restarts the `requests` sequence, and the per-connection context
 * with it, after every request when the sequence has one entry, so the
 * context lives from setupRequest to onResponse of one request, not longer.
 * With at least as many chains as connections, every connection finds one.)
 *
 * A chain whose request was in flight when a run stopped may have rotated
 * without us seeing the answer: it is dropped, and new chains are made
 * before the next run. Any invalid_grant answer means a chain broke (a token
 * sent twice): the run is reported as failed.
 */

/** Chains made beyond the connections, so that none waits for one. */
const SPARE_CHAINS = 10;
/** Exchanges at once while making chains. */
const MAKE_CONCURRENCY = 16;
const REFRESH_TOKEN = /"refresh_token":"([^"\\]+)"/;

class Chain {
  token: string;
  uses = 0;
  constructor(token: string) {
    this.token = token;
  }
}

interface PhaseCounters {
  /** 200 answers: rotations. */
  rotations: number;
  invalidGrant: number;
  /** Other failed answers (the chain is dropped too). */
  otherFailures: number;
  /** 200 answers without a refresh token or an ID token. */
  incomplete: number;
  /** Chains whose request was in flight when the run stopped (dropped). */
  lostInFlight: number;
  /** Requests that found no free chain (cannot happen with chains >= connections). */
  noChain: number;
}

const counters = (): PhaseCounters => ({ rotations: 0, invalidGrant: 0, otherFailures: 0, incomplete: 0, lostInFlight: 0, noChain: 0 });

export function refreshWorkload(live: Live, factory: CodeFactory, connections: number, redirectUri: string): Workload {
  const auth = basicAuth(live.clientId, live.secret);
  const spec = baseSpec(live, connections, auth, 'grant_type=refresh_token', 200);
  const free: Chain[] = [];
  const phases = { warmup: counters(), measured: counters() };
  let created = 0;
  let maxUses = 0;

  /** Makes chains (code flow + exchange with offline_access) until `n` are free. */
  async function topUp(n: number): Promise<void> {
    const missing = n - free.length;
    if (missing <= 0) return;
    const t0 = performance.now();
    const { codes } = await factory.make(missing);
    const tokens = await mapConcurrent(codes, MAKE_CONCURRENCY, async (code) => {
      const answer = await tokenRequest(live.server.baseUrl, auth, Object.fromEntries(new URLSearchParams(codeExchangeBody(code, redirectUri))));
      const token = answer.json.refresh_token;
      if (answer.status !== 200 || typeof token !== 'string') throw new Error(`making a refresh chain: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
      return token;
    });
    for (const token of tokens) free.push(new Chain(token));
    created += tokens.length;
    log(`    made ${tokens.length} refresh-token chains (code flow + exchange) in ${f((performance.now() - t0) / 1000, 1)} s; ${free.length} free`);
  }

  return {
    grant: 'refresh_token',
    tokens: 'access+id+refresh',
    expectStatus: 200,
    async verify(alg: Alg): Promise<Verified> {
      await topUp(1);
      const chain = free.shift()!;
      const answer = await tokenRequest(live.server.baseUrl, auth, Object.fromEntries(new URLSearchParams(refreshBody(chain.token))));
      const verified = await verifyUserTokens(live, alg, answer, { nonce: null, previousRefresh: chain.token });
      chain.token = verified.refreshToken;
      chain.uses++;
      free.push(chain);
      return verified;
    },
    async run(durationSec, phase, wrap) {
      const c = phases[phase];
      await topUp(connections + SPARE_CHAINS);
      const checkedOut = new Set<Chain>();
      const outcome = await wrap(() =>
        runLoad({
          ...spec,
          durationSec,
          next(context) {
            const chain = free.shift();
            if (chain === undefined) {
              c.noChain++;
              return { body: 'grant_type=refresh_token&refresh_token=none' };
            }
            checkedOut.add(chain);
            context.chain = chain;
            return { body: refreshBody(chain.token) };
          },
          onResponse(status, body, context) {
            const chain = context.chain;
            if (!(chain instanceof Chain)) return;
            checkedOut.delete(chain);
            if (status === 200) {
              const next = REFRESH_TOKEN.exec(body)?.[1];
              if (next === undefined || !body.includes('"id_token"')) c.incomplete++;
              if (next === undefined) return; // dropped: no successor to send
              chain.token = next;
              chain.uses++;
              if (chain.uses > maxUses) maxUses = chain.uses;
              c.rotations++;
              free.push(chain);
            } else if (body.includes('"invalid_grant"')) {
              c.invalidGrant++;
            } else {
              c.otherFailures++;
            }
          },
        }),
      );
      c.lostInFlight += checkedOut.size;
      return outcome;
    },
    detail: () => ({
      client: 'confidential first-party OAuth application, client_secret_basic, scope "openid offline_access"; rotation on every use (PORTICO_REFRESH_GRACE_SECONDS default 0)',
      chainsMade: created,
      chainsFree: free.length,
      maxRotationsOfOneChain: maxUses,
      codeMaking: `${factory.browsers} browsers, ${factory.logins} logins, ${factory.requests} flow requests`,
      ...phases,
    }),
    failures() {
      const out: string[] = [];
      for (const [name, c] of Object.entries(phases)) {
        if (c.invalidGrant > 0) out.push(`${name}: ${c.invalidGrant} invalid_grant answers: a refresh chain broke`);
        if (c.otherFailures + c.incomplete + c.noChain > 0) {
          out.push(`${name}: ${c.otherFailures} other failed answers, ${c.incomplete} incomplete 200 answers, ${c.noChain} requests without a free chain`);
        }
      }
      return out;
    },
  };
}
