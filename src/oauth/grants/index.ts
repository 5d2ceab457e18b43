import type { OAuthDeps } from '../deps.ts';
import { authorizationCode } from './authorization-code.ts';
import { clientCredentials } from './client-credentials.ts';
import { deviceCode } from './device-code.ts';
import { refreshToken } from './refresh-token.ts';
import { tokenExchange } from './token-exchange.ts';
import type { GrantModule } from './types.ts';

/** Every grant the token endpoint serves, by `grant_type` (discovery advertises these keys). */
export const grants: ReadonlyMap<string, GrantModule<OAuthDeps>> = new Map(
  [authorizationCode, refreshToken, clientCredentials, deviceCode, tokenExchange].map((g): [string, GrantModule<OAuthDeps>] => [g.grantType, g]),
);
