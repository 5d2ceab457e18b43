import type { Application } from '../../domain/application.ts';
import { isMetadataDocumentUrl } from '../../domain/client-metadata.ts';
import type { RequestMeta } from '../../domain/request-meta.ts';
import { resolveMetadataDocumentClient, type MetadataDocumentDeps } from './metadata-document.ts';

/** Whether `clientId` is to be resolved as a Client ID Metadata Document here (the setting is on and it is such a URL). */
export function isDocumentClientId(deps: Pick<MetadataDocumentDeps, 'config'>, clientId: string): boolean {
  return deps.config.clientIdMetadataDocuments && isMetadataDocumentUrl(clientId, deps.config.outbound.allowPrivateNetworks);
}

/**
 * The application behind a `client_id`, at every endpoint that takes one:
 * a registered application (`client_…`, looked up as it is), or, with
 * PORTICO_CLIENT_ID_METADATA_DOCUMENTS=on, the client a metadata document
 * URL describes (fetched or taken from the shared cache). Null when unknown;
 * OAuthError (`invalid_client`, `invalid_client_metadata`, 429) when a
 * document cannot be used.
 */
export async function findClient(deps: MetadataDocumentDeps, clientId: string, meta: RequestMeta): Promise<Application | null> {
  if (isDocumentClientId(deps, clientId)) return resolveMetadataDocumentClient(deps, clientId, meta);
  if (clientId.length > 255) return null;
  const app = await deps.storage.applications.find(clientId);
  return app && app.clientId === clientId ? app : null;
}
