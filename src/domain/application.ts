import type { ClientMetadata } from './client-metadata.ts';
import { ValidationError } from './errors.ts';
import { redirectUriProblem, type RedirectUri } from './redirect-uri.ts';
import { BodyReader, SCOPE_TOKEN, SINGLE_LINE } from './validate.ts';

export type ApplicationType = 'oauth' | 'm2m';

/** A Connect application (reference §1.1). */
export interface Application {
  readonly id: string;
  readonly clientId: string;
  readonly name: string;
  readonly description: string | null;
  readonly scopes: readonly string[];
  readonly type: ApplicationType;
  /** Owner: required for M2M and third-party OAuth apps, null for first-party and DCR apps. */
  readonly organizationId: string | null;
  readonly isFirstParty: boolean;
  readonly wasDynamicallyRegistered: boolean;
  readonly usesPkce: boolean;
  readonly redirectUris: readonly RedirectUri[];
  /** Clients that registered themselves or are described by a metadata document (issue #10); null otherwise. */
  readonly dynamic: DynamicClient | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What only a dynamic client has. */
export interface DynamicClient {
  readonly metadata: ClientMetadata;
  /** CIMD: the cached document is good until then. */
  readonly metadataExpiresAt: Date | null;
  /** When a token was last issued to it: never used ones are purged after PORTICO_REGISTRATION_UNUSED_TTL_SECONDS. */
  readonly lastUsedAt: Date | null;
}

export type ApplicationInput = Omit<Application, 'id' | 'clientId' | 'createdAt' | 'updatedAt' | 'dynamic'>;

export interface ApplicationPatch {
  readonly name?: string;
  readonly description?: string | null;
  readonly scopes?: readonly string[];
  readonly redirectUris?: readonly RedirectUri[];
}

const NAME_MAX = 255;
const DESCRIPTION_MAX = 2000;
const SCOPE = { max: 200, min: 1, pattern: SCOPE_TOKEN, maxItems: 100 } as const;
const MAX_REDIRECT_URIS = 50;

/**
 * Parses `POST /connect/applications` (CreateOAuthApplicationDto |
 * CreateM2MApplicationDto). The SDK sends every optional key as null, so null
 * is read as "not provided".
 */
export function parseApplicationCreate(body: unknown): ApplicationInput {
  const r = new BodyReader(body);
  const type = r.raw('application_type');
  if (type !== 'oauth' && type !== 'm2m') {
    r.fail('application_type', r.has('application_type') ? 'application_type_invalid' : 'application_type_required');
  }
  const name = r.requiredString('name', { min: 1, max: NAME_MAX, pattern: SINGLE_LINE });
  const description = r.string('description', { max: DESCRIPTION_MAX }) ?? null;
  const scopes = unique(r.stringArray('scopes', SCOPE) ?? []);
  const organizationId = r.string('organization_id', { min: 1, max: 100 }) ?? null;
  let isFirstParty = false;
  let usesPkce = false;
  let redirectUris: RedirectUri[] = [];
  if (type === 'm2m') {
    if (organizationId === null) r.fail('organization_id', 'organization_id_required');
    // "M2M applications can only be third-party"; OAuth-only fields make no sense here.
    for (const key of ['redirect_uris', 'uses_pkce', 'is_first_party']) {
      if (r.has(key)) r.fail(key, `${key}_not_allowed_for_m2m`);
    }
  } else if (type === 'oauth') {
    isFirstParty = r.requiredBoolean('is_first_party');
    usesPkce = r.boolean('uses_pkce') ?? false;
    redirectUris = readRedirectUris(r) ?? [];
    if (r.raw('is_first_party') === false && organizationId === null) r.fail('organization_id', 'organization_id_required');
    // First-party apps belong to no organization (reference §1.1).
    if (isFirstParty && organizationId !== null) r.fail('organization_id', 'organization_id_not_allowed_for_first_party');
  }
  r.done();
  return {
    name,
    description: description === '' ? null : description,
    scopes,
    type: type as ApplicationType,
    organizationId,
    isFirstParty,
    wasDynamicallyRegistered: false,
    usesPkce,
    redirectUris,
  };
}

/**
 * Parses `PUT /connect/applications/:id` (UpdateOAuthApplicationDto). The SDK
 * sends `description`, `scopes` and `redirect_uris` as null whenever the
 * caller did not set them, so null leaves a field unchanged; an empty string
 * clears the description (see README, "Divergences").
 */
export function parseApplicationUpdate(body: unknown, type: ApplicationType): ApplicationPatch {
  const r = new BodyReader(body);
  const name = r.string('name', { min: 1, max: NAME_MAX, pattern: SINGLE_LINE });
  const description = r.string('description', { max: DESCRIPTION_MAX });
  const scopes = r.stringArray('scopes', SCOPE);
  const redirectUris = readRedirectUris(r);
  if (type === 'm2m' && redirectUris != null) r.fail('redirect_uris', 'redirect_uris_not_allowed_for_m2m');
  r.done();
  const patch: { -readonly [K in keyof ApplicationPatch]: ApplicationPatch[K] } = {};
  if (typeof name === 'string') patch.name = name;
  if (typeof description === 'string') patch.description = description === '' ? null : description;
  if (scopes != null) patch.scopes = unique(scopes);
  if (redirectUris != null) patch.redirectUris = redirectUris;
  return patch;
}

function readRedirectUris(r: BodyReader): RedirectUri[] | null | undefined {
  const raw = r.raw('redirect_uris');
  if (raw === undefined || raw === null) return raw;
  if (!Array.isArray(raw)) {
    r.fail('redirect_uris', 'redirect_uris_must_be_array');
    return undefined;
  }
  if (raw.length > MAX_REDIRECT_URIS) {
    r.fail('redirect_uris', 'redirect_uris_too_many');
    return undefined;
  }
  const out: RedirectUri[] = [];
  const seen = new Set<string>();
  raw.forEach((item: unknown, i) => {
    const field = `redirect_uris[${i}]`;
    const entry = item as { uri?: unknown; default?: unknown } | null;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      r.fail(field, 'redirect_uri_must_be_object');
      return;
    }
    if (typeof entry.uri !== 'string') {
      r.fail(`${field}.uri`, 'redirect_uri_required');
      return;
    }
    const problem = redirectUriProblem(entry.uri);
    if (problem) {
      r.fail(`${field}.uri`, `redirect_uri_${problem}`);
      return;
    }
    if (entry.default !== undefined && entry.default !== null && typeof entry.default !== 'boolean') {
      r.fail(`${field}.default`, 'redirect_uri_default_must_be_boolean');
      return;
    }
    if (seen.has(entry.uri)) {
      r.fail(`${field}.uri`, 'redirect_uri_duplicate');
      return;
    }
    seen.add(entry.uri);
    out.push({ uri: entry.uri, default: entry.default === true });
  });
  const defaults = out.filter((u) => u.default).length;
  if (defaults > 1) r.fail('redirect_uris', 'redirect_uris_multiple_defaults');
  // Exactly one default when any exist: the first one unless the caller chose.
  if (defaults === 0 && out.length > 0) out[0] = { uri: out[0]!.uri, default: true };
  return out;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Throws a 422 for an `organization_id` filter that cannot be an ID. */
export function parseApplicationFilter(query: { organization_id?: unknown; application_type?: unknown }): ApplicationFilter {
  const filter: { organizationId?: string; type?: ApplicationType } = {};
  const v = query.organization_id;
  if (v !== undefined && v !== '') {
    if (typeof v !== 'string' || v.length > 100 || v.includes('\u0000')) {
      throw new ValidationError([{ field: 'organization_id', code: 'organization_id_invalid' }]);
    }
    filter.organizationId = v;
  }
  // Issue #14 (Portico's own filter, for the dashboard): `oauth` or `m2m`.
  const t = query.application_type;
  if (t !== undefined && t !== '') {
    if (t !== 'oauth' && t !== 'm2m') throw new ValidationError([{ field: 'application_type', code: 'application_type_invalid' }]);
    filter.type = t;
  }
  return filter;
}

/** What GET /connect/applications may filter on. */
export interface ApplicationFilter {
  readonly organizationId?: string;
  readonly type?: ApplicationType;
}

/**
 * The scopes an application may be granted besides the OIDC ones: its own.
 * A dynamic client that registered (or described itself) without `scope`
 * may ask for any scope the environment allows dynamic clients
 * (PORTICO_DYNAMIC_CLIENT_SCOPES): MCP clients learn scopes from the
 * protected-resource metadata, after registering (issue #10).
 */
export function grantableScopes(app: Application, dynamicClientScopes: readonly string[]): readonly string[] {
  return app.dynamic !== null && app.dynamic.metadata.scope === null ? dynamicClientScopes : app.scopes;
}
