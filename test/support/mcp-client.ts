// Issue #10: the MCP client's side of the harness (re-exported by mcp.ts). An OAuthClientProvider
// that the real SDK clients (@modelcontextprotocol/sdk 1.x and @modelcontextprotocol/client 2.x)
// drive through Portico: its redirectToAuthorization plays the user's browser and the company's
// backend (test/support/oauth-flow.ts: /authkit/oauth2/complete, the resume link, the consent
// form) and keeps the redirect to the client's callback, whose code the test hands to
// transport.finishAuth(). Pre-registered client information, a client ID metadata document
// (clientMetadataUrl) and dynamic registration (clientMetadata + saveClientInformation) are
// options; `steps` records what the SDK asked of the provider, in order.
import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { CookieJar, runAuthorization, type FlowUser } from './oauth-flow.ts';
import type { TestServer } from './server.ts';

export interface PorticoProviderOptions {
  readonly portico: TestServer;
  /** Must be a registered redirect URI of the application (loopback IPs match on any port). */
  readonly redirectUrl: string;
  /** Who signs in at the company's login. */
  readonly user: FlowUser;
  /** A pre-registered application: `{ client_id }` for a public app. */
  readonly clientInformation?: OAuthClientInformationMixed;
  /** CIMD: the client ID as an https URL of its metadata document. */
  readonly clientMetadataUrl?: string;
  /** DCR: what registration sends (merged over defaults naming redirectUrl); enables saveClientInformation. */
  readonly clientMetadata?: Partial<OAuthClientMetadata>;
  readonly consent?: 'allow' | 'deny';
  readonly organizationId?: string;
}

/** The parts of a request the SDK made, as the test wants to see them. */
export interface SentRequest {
  readonly method: string;
  readonly url: string;
  /** Form fields of a form-encoded body (token requests, registration is JSON: `json`). */
  readonly form: Record<string, string> | undefined;
  readonly json: unknown;
  readonly authorization: string | null;
  readonly status: number;
  readonly wwwAuthenticate: string | null;
}

/** A fetch for the SDK transports (option `fetch`) that records every request and its answer's status. */
export function recordingFetch(): { fetch: (url: string | URL, init?: RequestInit) => Promise<Response>; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  return {
    sent,
    async fetch(url, init) {
      const req = new Request(url, init);
      const text = req.body ? await req.clone().text() : '';
      const type = req.headers.get('content-type') ?? '';
      const res = await fetch(req);
      sent.push({
        method: req.method,
        url: req.url,
        form: type.startsWith('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(text)) : undefined,
        json: type.startsWith('application/json') && text ? (JSON.parse(text) as unknown) : undefined,
        authorization: req.headers.get('authorization'),
        status: res.status,
        wwwAuthenticate: res.headers.get('www-authenticate'),
      });
      return res;
    },
  };
}

/** An OAuthClientProvider for Portico; also satisfies @modelcontextprotocol/client 2.x's interface. */
export class PorticoClientProvider implements OAuthClientProvider {
  /** What the SDK asked of the provider, and the Portico pages passed (`portico:login`, `portico:consent`). */
  readonly steps: string[] = [];
  /** Every authorization URL the SDK built. */
  readonly authorizationUrls: URL[] = [];
  /** Every redirect to the client's callback, with code, state and iss. */
  readonly callbacks: URL[] = [];
  /** Every token set the SDK saved. */
  readonly savedTokens: OAuthTokens[] = [];
  readonly clientMetadataUrl?: string;
  saveClientInformation?: (info: OAuthClientInformationMixed) => void;
  readonly #options: PorticoProviderOptions;
  readonly #jar = new CookieJar();
  #client: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier: string | undefined;
  #discovery: OAuthDiscoveryState | undefined;
  #state: string | undefined;

  constructor(options: PorticoProviderOptions) {
    this.#options = options;
    this.#client = options.clientInformation;
    if (options.clientMetadataUrl !== undefined) this.clientMetadataUrl = options.clientMetadataUrl;
    if (options.clientMetadata !== undefined || options.clientMetadataUrl !== undefined) {
      this.saveClientInformation = (info) => {
        this.steps.push('saveClientInformation');
        this.#client = info;
      };
    }
  }

  get redirectUrl(): string {
    return this.#options.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Portico MCP test client',
      redirect_uris: [this.#options.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...this.#options.clientMetadata,
    };
  }

  /** The client information the provider holds now (pre-registered, registered or CIMD). */
  get client(): OAuthClientInformationMixed | undefined {
    return this.#client;
  }

  /** The code of the last callback (for finishAuth). */
  get code(): string {
    const code = this.callbacks.at(-1)?.searchParams.get('code');
    if (!code) throw new Error(`no code in the last callback: ${this.callbacks.at(-1)?.href ?? '(none)'}`);
    return code;
  }

  state(): string {
    this.#state = randomBytes(16).toString('base64url');
    return this.#state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    this.steps.push(`clientInformation:${this.#client ? 'known' : 'none'}`);
    return this.#client;
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.steps.push('saveTokens');
    this.savedTokens.push(tokens);
    this.#tokens = tokens;
  }

  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
  }

  codeVerifier(): string {
    if (this.#verifier === undefined) throw new Error('no code verifier saved');
    return this.#verifier;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.steps.push('saveDiscoveryState');
    this.#discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.#discovery;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    this.steps.push(`invalidateCredentials:${scope}`);
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this.#verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.#discovery = undefined;
    // Pre-registered information cannot be re-created: only what was saved is forgotten.
    if ((scope === 'all' || scope === 'client') && this.saveClientInformation) this.#client = undefined;
  }

  /**
   * Plays the browser: follows Portico's authorization from the URL the SDK built to the redirect
   * to redirectUrl, signing in as `user` through the company's complete call and allowing consent.
   */
  async redirectToAuthorization(url: URL): Promise<void> {
    this.steps.push('redirectToAuthorization');
    this.authorizationUrls.push(new URL(url));
    const { portico } = this.#options;
    if (`${url.origin}${url.pathname}` !== `${portico.baseUrl}/oauth2/authorize`) throw new Error(`the SDK sent the browser to ${url.href}, not Portico's authorization endpoint`);
    const names = [...url.searchParams.keys()];
    if (new Set(names).size !== names.length) throw new Error(`a repeated parameter in ${url.search}: runAuthorization would drop one`);
    const flow = await runAuthorization(portico, {
      params: Object.fromEntries(url.searchParams),
      user: this.#options.user,
      jar: this.#jar,
      ...(this.#options.consent && { consent: this.#options.consent }),
      ...(this.#options.organizationId !== undefined && { organizationId: this.#options.organizationId }),
    });
    this.steps.push(...flow.steps.map((s) => `portico:${s}`));
    const callback = flow.callback;
    if (!callback.href.startsWith(`${this.#options.redirectUrl}?`)) throw new Error(`Portico redirected to ${callback.href}`);
    // RFC 6749 §10.12: the SDK leaves the state check to the application.
    if (callback.searchParams.get('state') !== this.#state) throw new Error('the callback carries another state');
    this.callbacks.push(callback);
  }
}
