import { ID_PREFIX } from '../../src/domain/ids.ts';
import { Form } from '../../src/domain/form.ts';
import type { Application } from '../../src/domain/application.ts';
import type { OAuthDeps } from '../../src/oauth/deps.ts';
import type { ClientAuthMethod } from '../../src/oauth/client-auth.ts';
import type { GrantInput } from '../../src/oauth/grants/types.ts';
import { tokenDigest } from '../../src/oauth/tokens/issue.ts';

export const META = { ip: '192.0.2.1', userAgent: 'unit', requestId: 'req_unit' };

/** A grant's input as the token endpoint builds it: the form cut down to the grant's parameters. */
export function grantInput(app: Application, form: string, parameters: readonly string[], method: ClientAuthMethod = 'client_secret_basic'): GrantInput {
  return { params: Form.parse(form).only(parameters), client: { application: app, method }, meta: META };
}

/** A user, a consent, and a live authorization code for them, stored directly. */
export async function storeCode(
  deps: OAuthDeps,
  app: Application,
  over: { code?: string; scopes?: string[]; redirectUri?: string | null; codeChallenge?: string | null; nonce?: string | null; resource?: string | null } = {},
) {
  const now = deps.clock.now();
  const { user } = await deps.storage.users.upsertByExternalId({ newId: deps.ids(ID_PREFIX.user), externalId: `ext-${deps.ids.random(ID_PREFIX.bare)}`, email: `${deps.ids.random(ID_PREFIX.bare).toLowerCase()}@example.test`, firstName: 'Ada', lastName: 'L', metadata: null, at: now });
  const scopes = over.scopes ?? ['openid', 'offline_access', 'read'];
  const resource = over.resource ?? null;
  const consent = await deps.storage.consents.grant({ userId: user.id, applicationId: app.id, organizationId: null, resource }, { newId: deps.ids(ID_PREFIX.authorizedApplication), scopes, claims: {}, at: now });
  const code = over.code ?? deps.ids.random(ID_PREFIX.bare);
  await deps.storage.codes.create({
    digest: tokenDigest(deps, code),
    clientId: app.clientId,
    userId: user.id,
    consentId: consent.id,
    scopes,
    resource,
    organizationId: null,
    claims: {},
    authTime: now,
    redirectUri: over.redirectUri === undefined ? 'https://app.example.test/cb' : over.redirectUri,
    nonce: over.nonce ?? null,
    codeChallenge: over.codeChallenge ?? null,
    expiresAt: new Date(now.getTime() + 60_000),
  });
  return { code, user, consent };
}

export const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
