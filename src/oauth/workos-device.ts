import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OAuthError } from '../domain/errors.ts';
import { Form } from '../domain/form.ts';
import { formatUser } from '../domain/user.ts';
import { requestMeta } from '../http/request-meta.ts';
import { authenticateClient, type AuthenticatedClient } from './client-auth.ts';
import type { OAuthDeps, RequestMeta } from './deps.ts';
import { startDeviceAuthorization } from './device/start.ts';
import { DEVICE_CODE_GRANT, deviceCode, redeemDeviceCode } from './grants/device-code.ts';
import { grantRunner } from './token-endpoint.ts';

/** The JSON object body of a WorkOS-twin request (these endpoints take JSON, not forms). */
function jsonBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body instanceof Form) {
    throw new OAuthError('invalid_request', 'The request body must be a JSON object (Content-Type: application/json).');
  }
  return body as Record<string, unknown>;
}

/** The string members `names` of `body` as a Form, so the OAuth core reads them as it reads a token request. */
function asForm(body: Record<string, unknown>, names: readonly string[]): Form {
  const values = new Map<string, string[]>();
  for (const name of names) {
    const v = body[name];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw new OAuthError('invalid_request', `${name} must be a string.`);
    values.set(name, [v]);
  }
  return new Form(values);
}

/** WorkOS answers these with 400 `invalid_client` (no Basic challenge: credentials travel in the JSON body). */
async function twinClient(deps: OAuthDeps, form: Form, meta: RequestMeta): Promise<AuthenticatedClient> {
  try {
    return await authenticateClient(deps, { authorization: undefined, form, meta });
  } catch (err) {
    if (err instanceof OAuthError && err.error === 'invalid_client') throw new OAuthError('invalid_client', 'Unknown client, or wrong client credentials.', { cause: err });
    throw err;
  }
}

/**
 * The WorkOS API-host twins of CLI Auth, on the OAuth face (no API key, OAuth
 * error bodies, as the OpenAPI document has them):
 * - `POST /user_management/authorize/device` (`security: []`, JSON
 *   `{client_id}`): a device authorization for an OAuth app, with the scopes
 *   of an AuthKit session (`openid profile email offline_access`: the body has
 *   no scope); an unknown client is 400 `invalid_client` "Unknown client".
 * - `POST /user_management/authenticate` with `grant_type =
 *   urn:ietf:params:oauth:grant-type:device_code`: the device grant itself
 *   (same polling answers), answered as `UserlandAuthenticateResponse`
 *   (`user`, `organization_id`, `access_token`, `refresh_token`). A public app
 *   sends `client_id`; a confidential one adds its `client_secret`. Other
 *   grant types of this WorkOS endpoint are not served here (400 `invalid_request`).
 */
export function workosDeviceRoutes(app: FastifyInstance, deps: OAuthDeps): void {
  const run = grantRunner(deps);
  app.post('/user_management/authorize/device', async function UserlandSsoController_deviceAuthorization(request, reply) {
    const body = jsonBody(request);
    const clientId = body.client_id;
    if (typeof clientId !== 'string' || clientId === '') throw new OAuthError('invalid_request', 'client_id is required.');
    const found = clientId.length <= 255 && !clientId.includes('\u0000') ? await deps.storage.applications.find(clientId) : null;
    if (!found || found.clientId !== clientId) throw new OAuthError('invalid_client', 'Unknown client');
    const answer = await startDeviceAuthorization(deps, found, { scope: undefined, resources: [] }, requestMeta(request));
    return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(answer);
  });

  app.post('/user_management/authenticate', async function UserlandSessionsController_authenticate(request, reply) {
    const body = jsonBody(request);
    if (body.grant_type !== DEVICE_CODE_GRANT) {
      throw new OAuthError('invalid_request', `Portico serves grant_type=${DEVICE_CODE_GRANT} here; the other grants are at /oauth2/token.`);
    }
    const form = asForm(body, ['client_id', 'client_secret', 'device_code']);
    const meta = requestMeta(request);
    const signIn = await run(DEVICE_CODE_GRANT, async () => {
      const client = await twinClient(deps, form, meta);
      return { app: client.application, answer: await redeemDeviceCode({ params: form.only(deviceCode.parameters), client, meta }, deps) };
    });
    const tokens = signIn.tokens;
    return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({
      user: formatUser(signIn.user),
      ...(signIn.organizationId !== null && { organization_id: signIn.organizationId }),
      access_token: tokens.access_token,
      ...(tokens.refresh_token !== undefined && { refresh_token: tokens.refresh_token }),
      // The user signed in through the company's own login (Standalone Connect).
      authentication_method: 'ExternalAuth',
    });
  });
}
