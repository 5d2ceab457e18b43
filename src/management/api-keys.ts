import { randomBytes } from 'node:crypto';
import { ID_PREFIX } from '../domain/ids.ts';
import { digestsEqual } from '../domain/keyring.ts';
import type { ApiKey } from '../storage/port.ts';
import type { ManagementDeps } from './deps.ts';

const API_KEY_RE = /^sk_[A-Za-z0-9_-]{29,200}$/;

/** Who made a management request: a stored key's ID, or `env` for PORTICO_API_KEY. */
export type ApiPrincipal = { readonly apiKeyId: string };

/** Creates and stores a new API key; the plaintext is returned once and never stored. */
export async function createApiKey(deps: Pick<ManagementDeps, 'storage' | 'keyring' | 'clock' | 'ids'>, name: string): Promise<{ key: ApiKey; plaintext: string }> {
  const plaintext = `sk_${randomBytes(32).toString('base64url')}`;
  const key = await deps.storage.apiKeys.create({
    id: deps.ids(ID_PREFIX.apiKey),
    name,
    digest: deps.keyring.digest('api-key', plaintext),
    hint: plaintext.slice(-4),
    at: deps.clock.now(),
  });
  return { key, plaintext };
}

/** Checks `Authorization: Bearer sk_…`; null when missing or not a live key. */
export async function authenticateApiKey(deps: ManagementDeps, header: string | undefined): Promise<ApiPrincipal | null> {
  if (header === undefined) return null;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const presented = match?.[1];
  if (presented === undefined || !API_KEY_RE.test(presented)) return null;
  const digest = deps.keyring.digest('api-key', presented);
  if (deps.configuredApiKey !== null && digestsEqual(digest, deps.keyring.digest('api-key', deps.configuredApiKey))) {
    return { apiKeyId: 'env' };
  }
  const stored = await deps.storage.apiKeys.findByDigest(digest);
  return stored ? { apiKeyId: stored.id } : null;
}
