import { randomToken, systemRandom, type Random } from '../domain/random.ts';
import type { AuditContext } from '../domain/audit.ts';
import { ID_PREFIX } from '../domain/ids.ts';
import { digestsEqual } from '../domain/keyring.ts';
import type { ApiKey } from '../storage/port.ts';
import { recordEvent } from './audit.ts';
import type { ManagementDeps } from './deps.ts';

const API_KEY_RE = /^sk_[A-Za-z0-9_-]{29,200}$/;

/**
 * An API key in the shape of the WorkOS `api_key` object, which the SDK's
 * deserializer reads (it needs `owner`): the event data of
 * `api_key.created|revoked`, and what `/portico/api_keys` lists (with
 * `expires_at`, issue #14). Portico's keys belong to the environment, not to
 * an organization or user (README). Its hint only, never the key.
 */
export function formatApiKey(k: ApiKey) {
  return {
    object: 'api_key' as const,
    id: k.id,
    owner: { type: 'environment' },
    name: k.name,
    obfuscated_value: `sk_…${k.hint}`,
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
    permissions: [],
    created_at: k.createdAt.toISOString(),
    updated_at: k.createdAt.toISOString(),
  };
}

/** Who made a management request: a stored key's ID, or `env` for PORTICO_API_KEY. */
export type ApiPrincipal = { readonly apiKeyId: string; readonly expiresAt: Date | null };

/** Creates and stores a new API key; the plaintext is returned once and never stored. */
export async function createApiKey(
  deps: Pick<ManagementDeps, 'storage' | 'keyring' | 'clock' | 'ids'> & { readonly random?: Random },
  name: string,
  ctx: AuditContext,
  expiresAt: Date | null = null,
): Promise<{ key: ApiKey; plaintext: string }> {
  const plaintext = `sk_${randomToken(deps.random ?? systemRandom)}`;
  const key = await deps.storage.transaction(async (tx) => {
    const created = await tx.apiKeys.create({
      id: deps.ids(ID_PREFIX.apiKey),
      name,
      digest: deps.keyring.digest('api-key', plaintext),
      hint: plaintext.slice(-4),
      at: deps.clock.now(),
      expiresAt,
    });
    await recordEvent(tx, deps, ctx, 'api_key.created', null, formatApiKey(created));
    return created;
  });
  return { key, plaintext };
}

/** Revokes a stored API key at once; false when unknown or already revoked. */
export async function revokeApiKey(deps: Pick<ManagementDeps, 'storage' | 'clock' | 'ids'>, id: string, ctx: AuditContext): Promise<boolean> {
  return deps.storage.transaction(async (tx) => {
    const revoked = await tx.apiKeys.revoke(id, deps.clock.now());
    if (!revoked) return false;
    await recordEvent(tx, deps, ctx, 'api_key.revoked', null, formatApiKey(revoked));
    return true;
  });
}

const configuredDigests = new WeakMap<object, Buffer>();

/** PORTICO_API_KEY's digest, computed once per keyring. */
function configuredDigest(deps: ManagementDeps): Buffer {
  let d = configuredDigests.get(deps.keyring);
  if (!d) {
    d = deps.keyring.digest('api-key', deps.configuredApiKey ?? '');
    configuredDigests.set(deps.keyring, d);
  }
  return d;
}

/** Checks `Authorization: Bearer sk_…`; null when missing or not a live key. */
export async function authenticateApiKey(deps: ManagementDeps, header: string | undefined): Promise<ApiPrincipal | null> {
  if (header === undefined) return null;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const presented = match?.[1];
  if (presented === undefined || !API_KEY_RE.test(presented)) return null;
  const digest = deps.keyring.digest('api-key', presented);
  if (deps.configuredApiKey !== null && digestsEqual(digest, configuredDigest(deps))) return { apiKeyId: 'env', expiresAt: null };
  const stored = await deps.storage.apiKeys.findByDigest(digest, deps.clock.now());
  return stored ? { apiKeyId: stored.id, expiresAt: stored.expiresAt } : null;
}
