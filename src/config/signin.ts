import { ConfigError, fail, isLoopbackUrl, type Setting } from './schema.ts';

/** How users sign in: the company login page, the development login, authorization limits. */
export const SIGNIN_SETTINGS = [
  {
    key: 'loginUrl',
    env: ['PORTICO_LOGIN_URL'],
    description:
      "The company's login page (Standalone Connect). `/oauth2/authorize` sends the browser there with `external_auth_id`; the company authenticates the user and calls `POST /authkit/oauth2/complete`. Unset: only a loopback issuer gets the development login (see `PORTICO_DEV_LOGIN`); any other issuer serves M2M only.",
    defaultText: 'unset (development login)',
    parse(raw, env) {
      if (raw === undefined || raw === '') {
        return null;
      }
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        fail('PORTICO_LOGIN_URL', 'must be an absolute http(s) URL', raw);
      }
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && env.NODE_ENV !== 'production')) fail('PORTICO_LOGIN_URL', 'must use https (http only outside production)', raw);
      if (url.hash) fail('PORTICO_LOGIN_URL', 'must not contain a fragment', raw);
      return raw;
    },
  } satisfies Setting<'loginUrl'>,
  {
    key: 'devLogin',
    env: ['PORTICO_DEV_LOGIN'],
    description:
      'The built-in development login page (`/dev/login`, which trusts whatever email is typed). `auto` turns it on only when `PORTICO_LOGIN_URL` is unset, the issuer is a loopback URL (`localhost`, `127.0.0.1`, `[::1]`) and `NODE_ENV` is not `production`; `on` forces it on (a warning is printed at start; refused together with `PORTICO_LOGIN_URL`); `off` turns it off. Without a login page and without the development login, Portico serves M2M only and `/oauth2/authorize` answers a "sign-in is not configured" page.',
    defaultText: '`auto`',
    parse(raw, _env, partial) {
      const mode = raw === undefined || raw === '' ? 'auto' : raw;
      if (mode !== 'auto' && mode !== 'on' && mode !== 'off') fail('PORTICO_DEV_LOGIN', 'must be auto, on or off', mode);
      if (mode === 'on' && partial.loginUrl != null) throw new ConfigError('PORTICO_DEV_LOGIN=on cannot be combined with PORTICO_LOGIN_URL (anyone could bypass the company login)');
      if (mode === 'off') return { enabled: false, forced: false };
      if (mode === 'on') return { enabled: true, forced: true };
      return { enabled: partial.loginUrl == null && !partial.production && isLoopbackUrl(partial.issuer ?? ''), forced: false };
    },
  } satisfies Setting<'devLogin'>,
  {
    key: 'authorizeRateLimit',
    env: ['PORTICO_AUTHORIZE_RATE_LIMIT'],
    description:
      'New authorizations (`/oauth2/authorize` requests that start a sign-in) allowed per minute from one client address (IPv6: per /64); one `client_id` may start 20 times as many from all addresses together. Past either limit the browser gets a 429 page with `Retry-After`. Counted in the database, so shared by every node. Bounds the rows unauthenticated callers can create.',
    defaultText: '`30`',
    parse(raw) {
      if (raw === undefined) return 30;
      if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) fail('PORTICO_AUTHORIZE_RATE_LIMIT', 'must be an integer between 1 and 999999', raw);
      return Number(raw);
    },
  } satisfies Setting<'authorizeRateLimit'>,
  {
    key: 'userCodeFailureLimit',
    env: ['PORTICO_USER_CODE_FAILURE_LIMIT'],
    description:
      'Wrong user codes (device sign-in, `/device`) allowed per minute from one client address (IPv6: per /64). User codes are short by design (RFC 8628 §5.1), so past the limit every code from that address is refused with a 429 page and `Retry-After` until the minute is over. Counted in the database, so shared by every node.',
    defaultText: '`10`',
    parse(raw) {
      if (raw === undefined) return 10;
      if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) fail('PORTICO_USER_CODE_FAILURE_LIMIT', 'must be an integer between 1 and 999999', raw);
      return Number(raw);
    },
  } satisfies Setting<'userCodeFailureLimit'>,
] as const;
