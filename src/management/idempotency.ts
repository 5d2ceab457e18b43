import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError, ConflictError, UnprocessableError } from '../domain/errors.ts';
import { openWith, sealWith } from '../domain/keyring.ts';
import type { ManagementDeps } from './deps.ts';

/** How long a key is remembered (the WorkOS SDK documents 24 hours). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A claim with no answer after this long belongs to a request that died; a retry may run. */
const STALE_CLAIM_MS = 60 * 1000;
const MAX_KEY_LENGTH = 255;

interface Claim {
  readonly lookup: Buffer;
  readonly sealKey: Buffer;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyClaim?: Claim | undefined;
    apiKeyId?: string;
  }
}

/**
 * `Idempotency-Key` on POST: a retry with the same key and body replays the
 * first answer and creates nothing; the same key with another body is a 422.
 *
 * Stored answers are sealed (AES-256-GCM) under a key derived from the server
 * key *and* the Idempotency-Key itself, and are looked up by a digest: someone
 * holding only the database can read no replayed secret.
 */
export async function idempotencyPreHandler(deps: ManagementDeps, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const header = request.headers['idempotency-key'];
  if (request.method !== 'POST' || header === undefined) return;
  if (typeof header !== 'string' || header.length === 0 || header.length > MAX_KEY_LENGTH) {
    throw new BadRequestError('invalid_idempotency_key', `Idempotency-Key must be 1-${MAX_KEY_LENGTH} characters.`);
  }
  const scope = `${request.apiKeyId ?? ''}\u0000${header}`;
  const lookup = deps.keyring.digest('idempotency', `lookup\u0000${scope}`);
  const sealKey = deps.keyring.digest('idempotency', `seal\u0000${scope}`);
  const fingerprint = createHash('sha256')
    .update(`${request.method} ${request.url}\u0000${JSON.stringify(request.body ?? null)}`)
    .digest();
  const now = deps.clock.now();
  let existing = await deps.storage.idempotency.claim(lookup, fingerprint, now, new Date(now.getTime() - IDEMPOTENCY_TTL_MS));
  if (existing && existing.status === null && now.getTime() - existing.createdAt.getTime() > STALE_CLAIM_MS) {
    await deps.storage.idempotency.release(lookup);
    existing = await deps.storage.idempotency.claim(lookup, fingerprint, now, new Date(now.getTime() - IDEMPOTENCY_TTL_MS));
  }
  if (existing === null) {
    request.idempotencyClaim = { lookup, sealKey };
    return;
  }
  if (!existing.fingerprint.equals(fingerprint)) {
    throw new UnprocessableError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
  }
  if (existing.status === null || existing.sealedBody === null) {
    throw new ConflictError('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed.');
  }
  const stored = JSON.parse(openWith(sealKey, existing.sealedBody).toString('utf8')) as { body: string };
  await reply.code(existing.status).header('idempotent-replayed', 'true').header('cache-control', 'no-store').type('application/json; charset=utf-8').send(stored.body);
}

/** Stores the answer to a claimed request, or forgets the claim when the server failed. */
export async function idempotencyOnSend(deps: ManagementDeps, request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
  const claim = request.idempotencyClaim;
  if (!claim) return;
  request.idempotencyClaim = undefined;
  if (reply.statusCode >= 500 || typeof payload !== 'string') {
    await deps.storage.idempotency.release(claim.lookup);
    return;
  }
  const sealed = sealWith(claim.sealKey, Buffer.from(JSON.stringify({ body: payload }), 'utf8'));
  await deps.storage.idempotency.complete(claim.lookup, reply.statusCode, sealed);
}
