import type { Application } from '../../domain/application.ts';
import { addressKey } from '../../domain/client-address.ts';
import { parseClientMetadata, type ParsedClientMetadata } from '../../domain/client-metadata.ts';
import { OAuthError, UniqueViolationError } from '../../domain/errors.ts';
import { ID_PREFIX } from '../../domain/ids.ts';
import type { RequestMeta } from '../../domain/request-meta.ts';
import { OutboundError } from '../../outbound/fetch.ts';
import type { OAuthDeps } from '../deps.ts';

/** The CIMD draft §4: small documents, fetched quickly. */
const MAX_BYTES = 5 * 1024;
const TIMEOUT_MS = 3000;
/** Cache-Control max-age is honoured within these bounds (the 30 s - 24 h); none means the minimum. */
const MIN_TTL_S = 30;
const MAX_TTL_S = 86_400;
const RATE_WINDOW_MS = 60_000;

export type MetadataDocumentDeps = Pick<OAuthDeps, 'config' | 'storage' | 'clock' | 'ids' | 'outbound' | 'metrics'>;

/** How long a fetched document is good for: its max-age, clamped. */
export function documentTtlSeconds(cacheControl: string | string[] | undefined): number {
  const header = Array.isArray(cacheControl) ? cacheControl.join(',') : (cacheControl ?? '');
  if (/\bno-store\b|\bno-cache\b/i.test(header)) return MIN_TTL_S;
  const m = /\bmax-age=(\d{1,10})\b/i.exec(header);
  const seconds = m ? Number(m[1]) : MIN_TTL_S;
  return Math.min(MAX_TTL_S, Math.max(MIN_TTL_S, seconds));
}

const unreachable = (why: string, cause?: unknown) =>
  new OAuthError('invalid_client', `The client's metadata document could not be fetched: ${why}.`, { status: 401, detail: why, ...(cause !== undefined && { cause }) });

/** Fetches and validates the document at `clientId` (CIMD draft §4.1, §4.2); never cached when it fails. */
async function fetchDocument(deps: MetadataDocumentDeps, clientId: string): Promise<{ parsed: ParsedClientMetadata; ttlSeconds: number }> {
  let res;
  try {
    res = await deps.outbound({ url: clientId, headers: { accept: 'application/json' }, maxBytes: MAX_BYTES, timeoutMs: TIMEOUT_MS });
  } catch (err) {
    deps.metrics.inc('portico_outbound_requests_total', { purpose: 'client_metadata', outcome: err instanceof OutboundError ? err.reason : 'error' });
    throw unreachable(err instanceof OutboundError ? err.message : 'the request failed', err);
  }
  deps.metrics.inc('portico_outbound_requests_total', { purpose: 'client_metadata', outcome: String(res.status) });
  // No redirect is followed: the document must live at the client_id itself (CIMD draft §4.1).
  if (res.status !== 200) throw unreachable(res.status >= 300 && res.status < 400 ? `it redirects (${res.status}); redirects are not followed` : `HTTP ${res.status}`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(res.body));
  } catch {
    throw new OAuthError('invalid_client_metadata', 'The client metadata document is not JSON.');
  }
  const obj = (typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? doc : {}) as Record<string, unknown>;
  if (obj.client_id !== clientId) throw new OAuthError('invalid_client_metadata', 'The metadata document\'s client_id is not its own URL.');
  // A document is public: a secret in it would be everybody's (CIMD draft §4.2).
  for (const key of Object.keys(obj)) if (key.startsWith('client_secret')) throw new OAuthError('invalid_client_metadata', `A metadata document must not hold ${key}.`);
  const parsed = parseClientMetadata(obj, { source: 'cimd', authMethods: ['none', 'private_key_jwt'], allowedScopes: deps.config.dynamicClientScopes });
  return { parsed, ttlSeconds: documentTtlSeconds(res.headers['cache-control']) };
}

/**
 * The application a metadata-document client_id stands for. The document is
 * cached in the application row itself (`metadata_expires_at`), so every node
 * shares it: within its max-age every request uses the stored copy; after it
 * the next request (on any node) fetches it again, which is how a changed
 * document is seen. A failed fetch is never cached: the stored copy is not
 * used past its expiry. The first sighting of a document creates the row,
 * within PORTICO_REGISTRATION_RATE_LIMIT per client address (unauthenticated
 * callers must not create rows without bound; unused ones are purged).
 */
export async function resolveMetadataDocumentClient(deps: MetadataDocumentDeps, clientId: string, meta: RequestMeta): Promise<Application> {
  const now = deps.clock.now();
  const existing = await deps.storage.applications.find(clientId);
  if (existing && existing.clientId !== clientId) throw unreachable('unknown client');
  if (existing && existing.dynamic?.metadata.source !== 'cimd') throw unreachable('not a metadata-document client');
  const expiresAt = existing?.dynamic?.metadataExpiresAt;
  if (existing && expiresAt && expiresAt > now) return existing;

  const { parsed, ttlSeconds } = await fetchDocument(deps, clientId);
  const fields = { name: parsed.clientName, scopes: parsed.scopes, redirectUris: parsed.redirectUris, usesPkce: true, metadata: parsed.metadata };
  const until = new Date(now.getTime() + ttlSeconds * 1000);
  if (existing) {
    const updated = await deps.storage.dynamicClients.update(clientId, fields, until, now);
    if (updated) return updated;
  }
  try {
    const created = await deps.storage.dynamicClients.register(
      { ...fields, id: deps.ids(ID_PREFIX.application), clientId, metadataExpiresAt: until, registrationTokenDigest: null, clientAddress: addressKey(meta.ip), at: now },
      { since: new Date(now.getTime() - RATE_WINDOW_MS), perAddress: deps.config.registrationRateLimit },
    );
    if (created.outcome === 'address_limited') {
      throw new OAuthError('slow_down', 'Too many new clients from this address. Retry later.', { status: 429, headers: { 'retry-after': String(RATE_WINDOW_MS / 1000) } });
    }
    return created.application;
  } catch (err) {
    // Another request saw the same new document at the same moment: use the row it stored.
    if (err instanceof UniqueViolationError) {
      const raced = await deps.storage.applications.find(clientId);
      if (raced) return raced;
    }
    throw err;
  }
}
