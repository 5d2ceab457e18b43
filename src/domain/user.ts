import { BadRequestError, ValidationError } from './errors.ts';
import { BodyReader, metadataProblem, SINGLE_LINE } from './validate.ts';

/** A user known to Portico; Standalone Connect creates them from the company's login. */
export interface User {
  readonly id: string;
  /** The company's own user ID (`user.id` in the complete call): the upsert key. */
  readonly externalId: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  /** When the company's login last vouched for this user (`/authkit/oauth2/complete`). */
  readonly lastSignInAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** One `UserConsentOption`: a choice the user makes on the consent page that becomes a claim. */
export interface ConsentOption {
  readonly claim: string;
  readonly type: 'enum';
  readonly label: string;
  readonly choices: readonly { readonly value: string; readonly label: string }[];
}

export interface CompleteLoginInput {
  readonly externalAuthId: string;
  readonly user: {
    readonly externalId: string;
    readonly email: string;
    readonly firstName: string | null;
    readonly lastName: string | null;
    readonly metadata: Record<string, string> | null;
  };
  readonly consentOptions: readonly ConsentOption[];
}

/** Claims a consent option may never set: they carry Portico's own meaning. */
export const RESERVED_CLAIMS = new Set([
  'iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sid', 'scope', 'client_id', 'org_id', 'act', 'azp',
  'nonce', 'auth_time', 'at_hash', 'c_hash', 'email', 'email_verified', 'name', 'given_name', 'family_name', 'typ', 'cnf',
  // Issue #11: the chain of an exchanged token (RFC 8693), which revocation follows.
  'exchanged_from',
]);

/** A practical email check (RFC 5322's full grammar is not useful for identity). */
const EMAIL = /^[^\s@<>()[\]\\,;:"\u0000-\u001f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function normaliseEmail(email: string): string | null {
  const e = email.trim().toLowerCase();
  return e.length <= 254 && EMAIL.test(e) ? e : null;
}

/**
 * Parses `POST /authkit/oauth2/complete` (UserManagementLoginRequest). Errors
 * follow the reference: 400 `invalid_email`, 400 for a reserved claim, 422
 * for shape problems.
 */
export function parseCompleteLogin(body: unknown): CompleteLoginInput {
  const r = new BodyReader(body);
  const externalAuthId = r.requiredString('external_auth_id', { min: 1, max: 100 });
  const rawUser = r.raw('user');
  if (typeof rawUser !== 'object' || rawUser === null || Array.isArray(rawUser)) r.fail('user', 'user_required');
  const u = new BodyReader(rawUser ?? {});
  const externalId = u.requiredString('id', { min: 1, max: 255 });
  const email = u.requiredString('email', { min: 1, max: 320 });
  const firstName = u.string('first_name', { max: 255, pattern: SINGLE_LINE }) ?? null;
  const lastName = u.string('last_name', { max: 255, pattern: SINGLE_LINE }) ?? null;
  const metadata = readMetadata(u.raw('metadata'));
  for (const e of u.errors) r.fail(`user.${e.field}`, e.code === `${e.field}_required` ? `user_${e.code}` : `user_${e.code}`);
  const consentOptions = readConsentOptions(r);
  r.done();
  const normalised = normaliseEmail(email);
  if (normalised === null) throw new BadRequestError('invalid_email', `'${email.slice(0, 320)}' is not a valid email address.`);
  return { externalAuthId, user: { externalId, email: normalised, firstName, lastName, metadata }, consentOptions };
}

function readMetadata(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  const problem = metadataProblem(value);
  if (problem !== null) throw new ValidationError([{ field: 'user.metadata', code: 'user_metadata_invalid' }], `Invalid user metadata: ${problem}.`);
  return { ...(value as Record<string, string>) };
}

function readConsentOptions(r: BodyReader): ConsentOption[] {
  const raw = r.raw('user_consent_options');
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.length > 10) {
    r.fail('user_consent_options', 'user_consent_options_invalid');
    return [];
  }
  const out: ConsentOption[] = [];
  const claims = new Set<string>();
  raw.forEach((item: unknown, i) => {
    const o = item as { claim?: unknown; type?: unknown; label?: unknown; choices?: unknown } | null;
    const field = `user_consent_options[${i}]`;
    const str = (v: unknown, max: number) => typeof v === 'string' && v.length > 0 && v.length <= max && !v.includes('\u0000');
    if (typeof o !== 'object' || o === null || !str(o.claim, 100) || o.type !== 'enum' || !str(o.label, 200) || !Array.isArray(o.choices) || o.choices.length === 0 || o.choices.length > 50) {
      r.fail(field, 'user_consent_option_invalid');
      return;
    }
    const choices = (o.choices as unknown[]).map((c) => c as { value?: unknown; label?: unknown } | null);
    if (!choices.every((c) => typeof c === 'object' && c !== null && str(c.value, 200) && str(c.label, 200))) {
      r.fail(`${field}.choices`, 'user_consent_option_choices_invalid');
      return;
    }
    const claim = o.claim as string;
    // The documented body: {error: "Bad Request", message: 'Claim "sub" is reserved and cannot be used.'}.
    if (RESERVED_CLAIMS.has(claim)) throw new BadRequestError('reserved_claim', `Claim "${claim}" is reserved and cannot be used.`, { error: 'Bad Request' });
    if (claims.has(claim)) {
      r.fail(`${field}.claim`, 'user_consent_option_claim_duplicate');
      return;
    }
    claims.add(claim);
    out.push({ claim, type: 'enum', label: o.label as string, choices: choices.map((c) => ({ value: c!.value as string, label: c!.label as string })) });
  });
  return out;
}

/**
 * The WorkOS `user` object (UserlandUser): what the management API lists and
 * what `/user_management/authenticate` answers (issue #11). A wire shape that
 * both faces need, so it lives here rather than in either.
 */
export function formatUser(u: User) {
  return {
    object: 'user' as const,
    id: u.id,
    email: u.email,
    email_verified: u.emailVerified,
    first_name: u.firstName,
    last_name: u.lastName,
    profile_picture_url: null,
    last_sign_in_at: u.lastSignInAt?.toISOString() ?? null,
    external_id: u.externalId,
    metadata: u.metadata,
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
  };
}
