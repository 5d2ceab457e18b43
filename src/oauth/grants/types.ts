import type { Form } from '../../domain/form.ts';
import type { AuthenticatedClient } from '../client-auth.ts';
import type { RequestMeta } from '../deps.ts';
import type { TokenResponse } from '../tokens/issue.ts';

export type { TokenResponse };

/** What a grant gets: plain values, no HTTP (issue #9). */
export interface GrantInput {
  /** The form, cut down to the grant's `parameters`: anything else is ignored. */
  readonly params: Form;
  /** The client, already authenticated by the token endpoint. */
  readonly client: AuthenticatedClient;
  /** Where the request came from, for audit events. */
  readonly meta: RequestMeta;
}

/**
 * One grant type. The token endpoint looks it up by `grantType`, authenticates
 * the client, passes only `parameters` of the form and calls `handle` with the
 * slice of dependencies `D` it declares. Adding a grant = one file exporting
 * one of these + one line in grants/index.ts.
 */
export interface GrantModule<D> {
  readonly grantType: string;
  /** The form parameters this grant reads (its allow-list). */
  readonly parameters: readonly string[];
  handle(input: GrantInput, deps: D): Promise<TokenResponse>;
}
