import { OAuthError } from '../domain/errors.ts';
import type { Form } from '../domain/form.ts';
import { canonicalResource } from '../domain/resource.ts';
import type { OAuthDeps } from './deps.ts';

/**
 * The token's `aud`: the RFC 8707 `resource` when one is requested (it must be
 * on the configured allow-list), else the environment's client ID. One resource
 * per token: several would make a multi-audience token (RFC 8707 §2 allows
 * refusing them with invalid_target).
 */
export function resolveAudience(deps: Pick<OAuthDeps, 'config' | 'environmentClientId'>, params: Form): string {
  const requested = params.all('resource');
  if (requested.length === 0) return deps.environmentClientId;
  if (requested.length > 1) throw new OAuthError('invalid_target', 'Request one resource per token.');
  const canonical = canonicalResource(requested[0]!);
  if (canonical === null || !deps.config.resources.includes(canonical)) {
    throw new OAuthError('invalid_target', 'The requested resource is not known to this server.');
  }
  return canonical;
}
