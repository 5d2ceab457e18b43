import type { ConsentOption } from './user.ts';

/** OIDC scopes Portico understands besides an application's own permission scopes. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** A validated `GET /oauth2/authorize` request, kept while the user logs in and consents. */
export interface AuthorizationRequest {
  readonly clientId: string;
  /** Where the response goes: the `redirect_uri` sent, or the only one registered. */
  readonly redirectUri: string;
  /** Whether `redirect_uri` was sent: then the token request must repeat it (RFC 6749 §4.1.3). */
  readonly redirectUriGiven: boolean;
  readonly scopes: readonly string[];
  readonly state: string | null;
  readonly nonce: string | null;
  readonly codeChallenge: string | null;
  readonly resource: string | null;
  readonly prompt: readonly string[];
  /** OIDC `max_age` in seconds: a session older than this signs in again (0 = always). */
  readonly maxAge: number | null;
  /** OIDC `login_hint`, passed on to the login page. */
  readonly loginHint: string | null;
  /** The user a valid `id_token_hint` names: another user's session is not reused. */
  readonly hintedUserId: string | null;
  /**
   * Set when the sign-in approves a device (RFC 8628, `/device`): the flow
   * ends by approving that device authorization instead of redirecting with
   * a code, and `redirectUri` is Portico's own device page.
   */
  readonly deviceAuthorizationId: string | null;
}

/** Fields added after the first release default to "absent" on interactions stored before them. */
export function withRequestDefaults(
  stored: Partial<AuthorizationRequest> & Omit<AuthorizationRequest, 'maxAge' | 'loginHint' | 'hintedUserId' | 'deviceAuthorizationId'>,
): AuthorizationRequest {
  return { maxAge: null, loginHint: null, hintedUserId: null, deviceAuthorizationId: null, ...stored };
}

/**
 * An authorization in progress (`ext_auth_…`): created by /oauth2/authorize,
 * completed by the company's login (`/authkit/oauth2/complete`), resumed in the
 * browser, finished when a code is issued. Each step happens once.
 */
export interface Interaction {
  readonly id: string;
  readonly applicationId: string;
  readonly request: AuthorizationRequest;
  readonly userId: string | null;
  readonly organizationId: string | null;
  readonly consentOptions: readonly ConsentOption[];
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly completedAt: Date | null;
  /** Digest of the browser-binding cookie set when the interaction was started. */
  readonly bindingDigest: string | null;
  readonly finishedAt: Date | null;
}

/** An interaction past the login: the user is known (issue #9: a type, not `userId!`). */
export interface SignedInInteraction extends Interaction {
  readonly userId: string;
}

export function isSignedIn(interaction: Interaction): interaction is SignedInInteraction {
  return interaction.userId !== null;
}

/** A user's consent to an application (the WorkOS "authorized application"); its ID is the token `sid`. */
export interface Consent {
  readonly id: string;
  readonly userId: string;
  readonly applicationId: string;
  readonly organizationId: string | null;
  readonly resource: string | null;
  readonly grantedScopes: readonly string[];
  /** Consent-option choices: claim -> chosen value. */
  readonly claims: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What a code or refresh token stands for: who, for which client, with what. */
export interface Grant {
  readonly clientId: string;
  readonly userId: string;
  readonly consentId: string;
  readonly scopes: readonly string[];
  readonly resource: string | null;
  readonly organizationId: string | null;
  readonly claims: Readonly<Record<string, string>>;
  readonly authTime: Date;
}

export interface AuthorizationCode extends Grant {
  readonly digest: string;
  /** The `redirect_uri` of the authorization request, or null when it had none. */
  readonly redirectUri: string | null;
  readonly nonce: string | null;
  readonly codeChallenge: string | null;
  readonly expiresAt: Date;
  readonly consumedAt: Date | null;
  /** Set at exchange: the refresh-token family and access token born from this code. */
  readonly familyId: string | null;
  readonly accessJti: string | null;
  readonly accessExp: Date | null;
}

export interface RefreshToken extends Grant {
  readonly id: string;
  readonly digest: string;
  readonly familyId: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly rotatedAt: Date | null;
  readonly revokedAt: Date | null;
  /** The access token issued together with this refresh token. */
  readonly accessJti: string;
  readonly accessExp: Date;
}
