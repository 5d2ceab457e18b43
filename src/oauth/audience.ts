import { OAuthError } from '../domain/errors.ts';
import type { Form } from '../domain/form.ts';
import { configuredResource } from '../domain/resource.ts';
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
  const resource = configuredResource(requested[0]!, deps.config.resources);
  if (resource === null) throw new OAuthError('invalid_target', unknownResource(requested[0]!));
  return resource;
}

/** The invalid_target text: what was asked, and what this server does know (resource indicators are not secret). */
export function unknownResource(requested: string): string {
  return `The resource ${JSON.stringify(requested.slice(0, 200))} is not one this server issues tokens for (PORTICO_RESOURCES); resources compare exactly, up to one trailing slash.`;
}
