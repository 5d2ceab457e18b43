import { BadRequestError, ValidationError } from './errors.ts';
import { BodyReader, metadataProblem, SINGLE_LINE } from './validate.ts';

export type DomainState = 'failed' | 'legacy_verified' | 'pending' | 'unverified' | 'verified';

export interface OrganizationDomain {
  readonly id: string;
  readonly organizationId: string;
  readonly domain: string;
  readonly state: DomainState;
  readonly verificationStrategy: 'dns' | 'manual';
  readonly verificationToken: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface Organization {
  readonly id: string;
  readonly name: string;
  readonly externalId: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly allowProfilesOutsideOrganization: boolean;
  readonly stripeCustomerId: string | null;
  readonly domains: readonly OrganizationDomain[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A domain as requested: `domain_data` items, or the deprecated `domains` strings. */
export interface DomainInput {
  readonly domain: string;
  readonly state: 'pending' | 'verified';
}

export interface OrganizationInput {
  readonly name: string;
  readonly externalId: string | null;
  readonly metadata: Record<string, string>;
  readonly allowProfilesOutsideOrganization: boolean;
  readonly domains: readonly DomainInput[];
}

/** Fields an update may change; absent keys stay as they are. */
export interface OrganizationPatch {
  readonly name?: string;
  readonly externalId?: string | null;
  readonly metadata?: Record<string, string>;
  readonly allowProfilesOutsideOrganization?: boolean;
  readonly stripeCustomerId?: string;
  readonly domains?: readonly DomainInput[];
}

// Limits from the OpenAPI OrganizationDto.
const EXTERNAL_ID_MAX = 128;
const NAME_MAX = 255;
const MAX_DOMAINS = 100;

/** A DNS name: labels of letters, digits and hyphens, at least one dot (RFC 1123 §2.1). */
const DOMAIN_RE = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Parses `POST /organizations` (OrganizationDto). */
export function parseOrganizationCreate(body: unknown): OrganizationInput {
  const r = new BodyReader(body);
  const name = r.requiredString('name', { min: 1, max: NAME_MAX, pattern: SINGLE_LINE });
  const externalId = r.string('external_id', { min: 1, max: EXTERNAL_ID_MAX }) ?? null;
  const allow = r.boolean('allow_profiles_outside_organization') ?? false;
  const domains = readDomains(r) ?? [];
  r.done();
  const metadata = readMetadata(r.raw('metadata')) ?? {};
  return { name, externalId, metadata, allowProfilesOutsideOrganization: allow, domains };
}

/** Parses `PUT /organizations/:id` (UpdateOrganizationDto); the SDK sends only given keys. */
export function parseOrganizationUpdate(body: unknown): OrganizationPatch {
  const r = new BodyReader(body);
  const name = r.string('name', { min: 1, max: NAME_MAX, pattern: SINGLE_LINE });
  if (name === null) r.fail('name', 'name_must_be_string');
  const externalId = r.string('external_id', { min: 1, max: EXTERNAL_ID_MAX });
  const allow = r.boolean('allow_profiles_outside_organization');
  const stripe = r.string('stripe_customer_id', { min: 1, max: 255, pattern: SINGLE_LINE });
  const domains = readDomains(r);
  r.done();
  const metadata = readMetadata(r.raw('metadata'));
  const patch: { -readonly [K in keyof OrganizationPatch]: OrganizationPatch[K] } = {};
  if (typeof name === 'string') patch.name = name;
  // external_id: null clears it (UpdateOrganizationDto types it string|null).
  if (externalId !== undefined) patch.externalId = externalId;
  if (typeof allow === 'boolean') patch.allowProfilesOutsideOrganization = allow;
  if (typeof stripe === 'string') patch.stripeCustomerId = stripe;
  if (domains !== undefined) patch.domains = domains;
  if (metadata !== undefined) patch.metadata = metadata;
  return patch;
}

function readDomains(r: BodyReader): DomainInput[] | undefined {
  const out: DomainInput[] = [];
  const data = r.raw('domain_data');
  const legacy = r.stringArray('domains', { max: 253, maxItems: MAX_DOMAINS });
  if (data !== undefined && data !== null) {
    if (!Array.isArray(data) || data.length > MAX_DOMAINS) r.fail('domain_data', 'domain_data_invalid');
    else
      data.forEach((item: unknown, i) => {
        const d = item as { domain?: unknown; state?: unknown } | null;
        if (typeof d !== 'object' || d === null || typeof d.domain !== 'string') {
          r.fail(`domain_data[${i}].domain`, 'domain_required');
          return;
        }
        if (d.state !== 'pending' && d.state !== 'verified') {
          r.fail(`domain_data[${i}].state`, 'domain_state_invalid');
          return;
        }
        out.push({ domain: d.domain, state: d.state });
      });
  }
  // The deprecated `domains` list predates verification: those domains are trusted as given.
  for (const domain of legacy ?? []) out.push({ domain, state: 'verified' });
  if (data === undefined && legacy === undefined) return undefined;
  const seen = new Set<string>();
  const result: DomainInput[] = [];
  out.forEach((d, i) => {
    const domain = d.domain.trim().toLowerCase();
    if (!DOMAIN_RE.test(domain)) r.fail(`domain_data[${i}].domain`, 'domain_invalid');
    else if (!seen.has(domain)) {
      seen.add(domain);
      result.push({ domain, state: d.state });
    }
  });
  return result;
}

/** Metadata rules answer 400 `invalid_metadata`, the code the OpenAPI document lists. */
function readMetadata(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (value === null) return {};
  const problem = metadataProblem(value);
  if (problem !== null) throw new BadRequestError('invalid_metadata', `Invalid metadata: ${problem}.`);
  return { ...(value as Record<string, string>) };
}

/** `GET /organizations` filters. */
export interface OrganizationFilter {
  readonly domains?: readonly string[];
  readonly search?: string;
}

export function parseOrganizationFilter(query: { domains?: unknown; search?: unknown }): OrganizationFilter {
  const filter: { domains?: string[]; search?: string } = {};
  const raw = query.domains;
  if (raw !== undefined && raw !== '') {
    // OpenAPI: style=form, explode=false (comma-joined); repeated keys are accepted too.
    const list = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(','));
    filter.domains = list.map((d) => d.trim().toLowerCase()).filter((d) => d !== '' && !d.includes('\u0000'));
    if (filter.domains.length > MAX_DOMAINS) throw new ValidationError([{ field: 'domains', code: 'domains_too_many' }]);
  }
  if (typeof query.search === 'string' && query.search !== '') {
    if (query.search.length > NAME_MAX || query.search.includes('\u0000')) throw new ValidationError([{ field: 'search', code: 'search_invalid' }]);
    filter.search = query.search;
  } else if (query.search !== undefined && typeof query.search !== 'string') {
    throw new ValidationError([{ field: 'search', code: 'search_invalid' }]);
  }
  return filter;
}
