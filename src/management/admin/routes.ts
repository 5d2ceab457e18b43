import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../domain/errors.ts';
import { BodyReader, SINGLE_LINE } from '../../domain/validate.ts';
import type { ApiKey } from '../../storage/port.ts';
import { createApiKey, formatApiKey, revokeApiKey } from '../api-keys.ts';
import { auditContext } from '../audit.ts';
import type { SigningKeyView } from '../../domain/signing-key.ts';
import type { ManagementDeps } from '../deps.ts';

/**
 * Portico's own management routes (issue #14), under `/portico/` so they can
 * never collide with a WorkOS path: the management API keys and the signing
 * keys, which WorkOS manages in its dashboard and Portico's dashboard manages
 * through these (the dashboard has no other way to the data). Same API-key
 * auth, errors and idempotency as the rest of the management API.
 */
export function adminRoutes(app: FastifyInstance, deps: ManagementDeps): void {
  app.get('/portico/api_keys', async function PorticoApiKeys_list() {
    const keys = await deps.storage.apiKeys.list(deps.clock.now());
    return { object: 'list' as const, data: keys.map(listedApiKey), list_metadata: { before: null, after: null } };
  });

  app.post('/portico/api_keys', async function PorticoApiKeys_create(req, reply) {
    const r = new BodyReader(req.body);
    const name = r.requiredString('name', { min: 1, max: 100, pattern: SINGLE_LINE }).trim();
    if (name === '' && !r.errors.some((e) => e.field === 'name')) r.fail('name', 'name_required');
    r.done();
    const { key, plaintext } = await createApiKey(deps, name, auditContext(req));
    // The only answer that carries the key: never cached (the dashboard shows it once).
    return reply.code(201).header('cache-control', 'no-store').send({ ...listedApiKey(key), value: plaintext });
  });

  app.delete<{ Params: { id: string } }>('/portico/api_keys/:id', async function PorticoApiKeys_revoke(req, reply) {
    if (!(await revokeApiKey(deps, req.params.id, auditContext(req)))) throw new NotFoundError('API key', req.params.id);
    return reply.code(204).send();
  });

  app.get('/portico/signing_keys', async function PorticoSigningKeys_list() {
    const keys = await deps.signingKeys.list();
    return { object: 'list' as const, data: keys.map(formatSigningKey), list_metadata: { before: null, after: null } };
  });

  app.post('/portico/signing_keys/rotate', async function PorticoSigningKeys_rotate(req, reply) {
    return reply.code(201).send(formatSigningKey(await deps.signingKeys.rotate(auditContext(req))));
  });
}

/** An API key as listed: the WorkOS object plus when it expires. */
function listedApiKey(k: ApiKey) {
  return { ...formatApiKey(k), expires_at: k.expiresAt?.toISOString() ?? null };
}

function formatSigningKey(k: SigningKeyView) {
  return { object: 'signing_key' as const, id: k.kid, alg: k.alg, state: k.state, created_at: k.createdAt.toISOString(), active_from: k.activeFrom.toISOString() };
}
