import { readFileSync } from 'node:fs';
import { isHexColor, normalizeHex } from '../domain/brand.ts';
import { SCOPE_TOKEN } from '../domain/validate.ts';
import { ConfigError, fail, isLoopbackUrl, type Setting } from './schema.ts';

const TEXT = /^[^\u0000-\u001f\u007f]+$/u;

/** An absolute URL shown to users: https, or http for a loopback host outside production (development). */
function pageUrl(name: string, raw: string, production: boolean, schemes: readonly string[] = []): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(name, 'must be an absolute https URL', raw);
  }
  if (schemes.includes(url.protocol)) return raw;
  const devHttp = url.protocol === 'http:' && !production && isLoopbackUrl(raw);
  if (url.protocol !== 'https:' && !devHttp) fail(name, `must be an https URL${schemes.length > 0 ? ` (or ${schemes.join(', ')})` : ''}; http only for a loopback host outside production`, raw);
  if (url.username !== '' || url.password !== '') fail(name, 'must not contain credentials', raw);
  if (raw.length > 2048) fail(name, 'must be at most 2048 characters', raw);
  return raw;
}

/**
 * PORTICO_SCOPE_DESCRIPTIONS: a JSON object `{"scope": "What the user reads"}`,
 * given inline (starts with `{`) or as the path of a file holding it.
 */
export function parseScopeDescriptions(raw: string | undefined): ReadonlyMap<string, string> {
  const name = 'PORTICO_SCOPE_DESCRIPTIONS';
  if (raw === undefined || raw.trim() === '') return new Map();
  let text = raw.trim();
  if (!text.startsWith('{')) {
    try {
      text = readFileSync(text, 'utf8');
    } catch (err) {
      throw new ConfigError(`${name} is neither a JSON object nor a readable file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}: ${raw.slice(0, 200)})`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`${name} must be a JSON object of scope -> description (it is not valid JSON)`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`${name} must be a JSON object of scope -> description`);
  // A Map, not an object: a scope may be called "constructor" or "__proto__".
  const out = new Map<string, string>();
  for (const [scope, description] of Object.entries(parsed)) {
    if (!SCOPE_TOKEN.test(scope) || scope.length > 200) throw new ConfigError(`${name}: "${scope.slice(0, 60)}" is not a scope token (RFC 6749 §3.3)`);
    if (typeof description !== 'string' || description.trim() === '' || description.length > 200 || !TEXT.test(description)) {
      throw new ConfigError(`${name}: the description of "${scope}" must be a single line of 1-200 characters`);
    }
    out.set(scope, description.trim());
  }
  return out;
}

/** Issue #14: the company's brand on every page, and what scopes mean to users. */
export const BRAND_SETTINGS = [
  {
    key: 'brandName',
    env: ['PORTICO_BRAND_NAME'],
    description: 'Product name shown in the header and title of every page (login, organization chooser, consent, device, errors, dashboard). At most 60 characters, one line.',
    defaultText: '`Portico`',
    parse(raw) {
      if (raw === undefined || raw.trim() === '') return 'Portico';
      if (raw.length > 60 || !TEXT.test(raw)) fail('PORTICO_BRAND_NAME', 'must be one line of at most 60 characters', raw);
      return raw.trim();
    },
  } satisfies Setting<'brandName'>,
  {
    key: 'brandLogoUrl',
    env: ['PORTICO_BRAND_LOGO_URL'],
    description:
      'Logo shown next to the product name on every page: an absolute https URL (http only for a loopback host outside production). Its origin is added to the pages\' `img-src` Content-Security-Policy, nothing else. Unset: the name alone.',
    defaultText: 'none',
    parse(raw, _env, partial) {
      if (raw === undefined || raw === '') return null;
      return pageUrl('PORTICO_BRAND_LOGO_URL', raw, partial.production ?? false);
    },
  } satisfies Setting<'brandLogoUrl'>,
  {
    key: 'brandPrimaryColor',
    env: ['PORTICO_BRAND_PRIMARY_COLOR'],
    description:
      'Primary colour (`#rrggbb` or `#rgb`) of buttons and accents. Text colours are derived from it for WCAG AA contrast: button text is white or near-black, whichever reads better, and links use the colour darkened until it reaches 4.5:1 on the page background.',
    defaultText: '`#1d4ed8`',
    parse(raw) {
      if (raw === undefined || raw === '') return '#1d4ed8';
      if (!isHexColor(raw)) fail('PORTICO_BRAND_PRIMARY_COLOR', 'must be a hex colour like #1d4ed8', raw);
      return normalizeHex(raw);
    },
  } satisfies Setting<'brandPrimaryColor'>,
  {
    key: 'brandSupportUrl',
    env: ['PORTICO_BRAND_SUPPORT_URL'],
    description: 'Where users get help: an https or `mailto:` URL, linked from every page footer and from error pages ("Contact support"). Unset: no link.',
    defaultText: 'none',
    parse(raw, _env, partial) {
      if (raw === undefined || raw === '') return null;
      return pageUrl('PORTICO_BRAND_SUPPORT_URL', raw, partial.production ?? false, ['mailto:']);
    },
  } satisfies Setting<'brandSupportUrl'>,
  {
    key: 'scopeDescriptions',
    env: ['PORTICO_SCOPE_DESCRIPTIONS'],
    description:
      'What each scope means to the user on the consent page: a JSON object (`{"notes:read": "Read your notes"}`), inline or as the path of a file holding it. Entries may also reword the OIDC scopes (`openid`, `profile`, `email`, `offline_access`). A scope without a description is shown by its name.',
    defaultText: 'none (OIDC scopes have built-in descriptions)',
    parse: (raw) => parseScopeDescriptions(raw),
  } satisfies Setting<'scopeDescriptions'>,
] as const;
