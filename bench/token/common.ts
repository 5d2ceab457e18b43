/** Constants, names and small helpers shared by the token benchmark's modules. */

export { median } from '../lib/load.ts';
export { errorMessage, fmt as f, log } from '../lib/output.ts';
export { NODE, REPO_ROOT, RESULTS_DIR } from '../lib/server.ts';

export const TOKEN_PATH = '/oauth2/token';
/** The client_credentials request every client_credentials target gets, byte for byte. */
export const BODY = 'grant_type=client_credentials&scope=read';
export const SCOPE = 'read';
/** What the code-exchange and refresh targets ask for: an ID token and a refresh token come with every answer. */
export const USER_SCOPE = 'openid offline_access';
/** PORTICO_AUTH_FAILURE_LIMIT for the wrong-secret run: far above what a run can send in a minute. */
export const AUTH_FAILURE_LIMIT_MAX = '999999';
/** PORTICO_AUTHORIZE_RATE_LIMIT for the code-exchange and refresh runs: every code comes through /oauth2/authorize from one address. */
export const AUTHORIZE_RATE_LIMIT_MAX = '999999';
export const PEER_AUDIENCE = 'https://api.bench.example';

export type Alg = 'RS256' | 'ES256';

/** What --only selects. */
export const TARGET_GROUPS = ['portico', 'code-exchange', 'refresh', 'oidc-provider', 'ceiling', 'layouts', 'c10', 'large', 'wrong-secret'] as const;
export type TargetGroup = (typeof TARGET_GROUPS)[number];

/** The rows of the report, in this order. */
export const TARGET_ORDER = [
  'portico',
  'portico-code-exchange',
  'portico-refresh',
  'oidc-provider',
  'ceiling',
  'portico-other-layout',
  'ceiling-other-layout',
  'portico-c10',
  'ceiling-c10',
  'portico-large',
  'portico-5-secrets-right',
  'portico-5-secrets-wrong',
] as const;
export type Target = (typeof TARGET_ORDER)[number];

export type GrantType = 'client_credentials' | 'authorization_code' | 'refresh_token';

/** Targets issues #3 and #12 set. */
export const TARGETS = {
  rs256VsOidcProvider: 1.5,
  /** Issue #12 (issue #3 had 2.0). */
  es256VsOidcProvider: 2.5,
  /** Issue #12: against the ceiling in the same process layout (issue #3 had 0.85). */
  rs256VsCeiling: 0.9,
  /** Issue #12: Portico's p99 at most this times the ceiling's, in the same run (50 connections). */
  p99VsCeiling: 1.15,
  /** Issue #12: p99 at 10 connections (issue #3's 20 ms at 50 connections is not reachable on 2 cores). */
  p99FewConnectionsMs: 15,
  /** Large / small throughput at least this. */
  largeVsSmall: 0.9,
  /** Wrong-secret CPU per request at most this times the right one's (10% allowance for measurement noise). */
  wrongVsRightCpu: 1.1,
} as const;
