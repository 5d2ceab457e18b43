import { clientCredentials } from './client-credentials.ts';
import type { GrantHandler } from './types.ts';

/** Every grant the token endpoint serves, by `grant_type`. */
export const grants: ReadonlyMap<string, GrantHandler> = new Map([['client_credentials', clientCredentials]]);
