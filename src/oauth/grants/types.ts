import type { FastifyRequest } from 'fastify';
import type { AuthenticatedClient } from '../client-auth.ts';
import type { OAuthDeps } from '../deps.ts';
import type { Form } from '../../http/form.ts';

/** RFC 6749 §5.1 successful response (plus OIDC's id_token). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
}

export interface GrantRequest {
  readonly deps: OAuthDeps;
  readonly request: FastifyRequest;
  readonly form: Form;
  readonly client: AuthenticatedClient;
}

/** One grant type: the token endpoint looks it up and calls it after client authentication. */
export type GrantHandler = (req: GrantRequest) => Promise<TokenResponse>;
