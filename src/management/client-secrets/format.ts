import type { ClientSecret } from '../../storage/port.ts';

/** `ApplicationCredentialsListItem` (plus the `expires_at` extension): never carries the secret. */
export function formatClientSecret(s: ClientSecret) {
  return {
    object: 'connect_application_secret' as const,
    id: s.id,
    secret_hint: s.hint,
    last_used_at: s.lastUsedAt === null ? null : s.lastUsedAt.toISOString(),
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
    // Issue #13, an extension (ledgered in test/contract/openapi.ts): when the secret stops authenticating.
    expires_at: s.expiresAt === null ? null : s.expiresAt.toISOString(),
  };
}

/** `NewConnectApplicationSecret`: the seven fields (and `expires_at`), the only place a plaintext appears. */
export function formatNewClientSecret(s: ClientSecret, plaintext: string) {
  return { ...formatClientSecret(s), secret: plaintext };
}
