import { performance } from 'node:perf_hooks';
import { mergeOutcomes, runLoad, type LoadOutcome } from '../lib/load.ts';
import { f, log, type Alg } from './common.ts';
import { basicAuth, codeExchangeBody, tokenRequest, type CodeFactory, type IssuedCode } from './flow.ts';
import type { Live } from './targets.ts';
import { verifyUserTokens, type Verified } from './verify.ts';
import { baseSpec, type Workload, type Wrap } from './workload.ts';

/**
 * grant_type=authorization_code, HTTP Basic, one fresh code per request.
 *
 * Codes are single-use and live 60 s, so they are made (flow.ts) right before
 * the load that spends them, in segments: make the codes a segment needs,
 * then run it with autocannon stopping after exactly that many requests, so
 * no code is sent twice. A segment's making plus its load fit in
 * SEGMENT_BUDGET_SEC; codes are spent oldest first, so none is older than
 * that when sent (checked per request: an older one would be skipped and
 * counted). The segment size comes from the rate the previous one reached
 * (the warm-up's, for the first measured one) and the rate codes were made.
 */

const SEGMENT_BUDGET_SEC = 50;
/** Codes older than this are not sent (they would be close to their 60 s expiry); counted as stale. */
const MAX_CODE_AGE_MS = 55_000;
/** Codes made per segment: this times the expected exchanges, so that the duration, not the codes, ends the segment. */
const OVERSIZE = 1.3;
/** Until measured. */
const GUESS_EXCHANGES_PER_SEC = 800;
const GUESS_CODES_PER_SEC = 500;
const MAX_SEGMENTS = 50;

interface PhaseCounters {
  segments: number;
  codesMade: number;
  makeSeconds: number;
  codesSent: number;
  codesUnused: number;
  codesStale: number;
  codesExhausted: number;
  maxCodeAgeMs: number;
  invalidGrant: number;
  /** 200 answers without an ID token or a refresh token. */
  incomplete: number;
}

const counters = (): PhaseCounters => ({
  segments: 0,
  codesMade: 0,
  makeSeconds: 0,
  codesSent: 0,
  codesUnused: 0,
  codesStale: 0,
  codesExhausted: 0,
  maxCodeAgeMs: 0,
  invalidGrant: 0,
  incomplete: 0,
});

export function codeExchangeWorkload(live: Live, factory: CodeFactory, connections: number, redirectUri: string): Workload {
  const auth = basicAuth(live.clientId, live.secret);
  const spec = baseSpec(live, connections, auth, 'grant_type=authorization_code', 200);
  const phases = { warmup: counters(), measured: counters() };
  let exchangesPerSec: number | null = null;

  async function segment(remainingSec: number, c: PhaseCounters, wrap: Wrap): Promise<LoadOutcome> {
    const rate = exchangesPerSec ?? GUESS_EXCHANGES_PER_SEC;
    const makeRate = factory.lastRate ?? GUESS_CODES_PER_SEC;
    // making (n / makeRate) + load (seconds) <= budget, with n = rate * seconds * OVERSIZE
    const fits = SEGMENT_BUDGET_SEC / (1 + (OVERSIZE * rate) / makeRate);
    let seconds = Math.max(1, Math.round(Math.min(remainingSec, fits)));
    const want = Math.max(connections * 2, Math.ceil(rate * seconds * OVERSIZE) + connections);
    const { codes, seconds: made } = await factory.make(want);
    c.codesMade += codes.length;
    c.makeSeconds += made;
    if (made + seconds > SEGMENT_BUDGET_SEC) seconds = Math.floor(SEGMENT_BUDGET_SEC - made);
    if (seconds < 1) throw new Error(`making ${codes.length} codes took ${f(made, 1)} s: too slow to spend them within their lifetime`);
    log(
      `    made ${codes.length.toLocaleString('en-US')} codes in ${f(made, 1)} s (${f(codes.length / made, 0)}/s); ` +
        `load for up to ${seconds} s (expecting ~${f(rate, 0)} exchanges/s)`,
    );

    let next = 0;
    const take = (): IssuedCode | null => {
      const now = performance.now();
      while (next < codes.length && now - codes[next]!.at > MAX_CODE_AGE_MS) {
        next++;
        c.codesStale++;
      }
      const code = codes[next];
      if (code === undefined) return null;
      next++;
      c.maxCodeAgeMs = Math.max(c.maxCodeAgeMs, now - code.at);
      return code;
    };
    const outcome = await wrap(() =>
      runLoad({
        ...spec,
        durationSec: seconds,
        maxOverallRequests: codes.length,
        next() {
          const code = take();
          if (code === null) {
            // Cannot happen with maxOverallRequests = codes, unless codes went stale: an invalid code, counted.
            c.codesExhausted++;
            return { body: 'grant_type=authorization_code&code=exhausted' };
          }
          c.codesSent++;
          return { body: codeExchangeBody(code, redirectUri) };
        },
        onResponse(status, body) {
          if (status === 200) {
            if (!body.includes('"id_token"') || !body.includes('"refresh_token"')) c.incomplete++;
          } else if (body.includes('"invalid_grant"')) {
            c.invalidGrant++;
          }
        },
      }),
    );
    c.segments++;
    c.codesUnused += codes.length - next;
    if (outcome.expected > 0 && outcome.activeMs > 0) exchangesPerSec = outcome.expected / (outcome.activeMs / 1000);
    return outcome;
  }

  return {
    grant: 'authorization_code',
    tokens: 'access+id+refresh',
    expectStatus: 200,
    async verify(alg: Alg): Promise<Verified> {
      const { codes } = await factory.make(1);
      const code = codes[0]!;
      const answer = await tokenRequest(live.server.baseUrl, auth, Object.fromEntries(new URLSearchParams(codeExchangeBody(code, redirectUri))));
      return verifyUserTokens(live, alg, answer, { nonce: code.nonce, previousRefresh: null });
    },
    async run(durationSec, phase, wrap) {
      const c = phases[phase];
      const parts: LoadOutcome[] = [];
      let remaining = durationSec;
      while (remaining >= 0.5 && parts.length < MAX_SEGMENTS) {
        const outcome = await segment(remaining, c, wrap);
        parts.push(outcome);
        remaining -= outcome.activeMs / 1000;
        if (outcome.responses === 0) break;
      }
      return mergeOutcomes(parts);
    },
    detail: () => ({
      client: 'confidential first-party OAuth application, client_secret_basic, PKCE S256, scope "openid offline_access" (no consent page)',
      codeMaking: `${factory.browsers} browsers, each logs in once (authorize + complete + resume: 3 requests), then 1 authorize request per code on its session`,
      codesMadeTotal: factory.made,
      flowRequests: factory.requests,
      logins: factory.logins,
      ...phases,
    }),
    failures() {
      const out: string[] = [];
      for (const [name, c] of Object.entries(phases)) {
        if (c.invalidGrant > 0) out.push(`${name}: ${c.invalidGrant} invalid_grant answers (a code expired or was sent twice)`);
        if (c.codesStale + c.codesExhausted > 0) out.push(`${name}: ${c.codesStale} stale codes skipped, ${c.codesExhausted} requests without a code`);
        if (c.incomplete > 0) out.push(`${name}: ${c.incomplete} 200 answers without an ID token or a refresh token`);
      }
      return out;
    },
  };
}
