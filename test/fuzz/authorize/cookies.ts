// Issue #4 (browser binding: issue #7): the cookies of the authorization flow as the fuzz suite
// sends and checks them (moved out of test/fuzz/authorize-fuzz.test.ts by issue #9).
//
// GET /oauth2/authorize binds every authorization it starts to the browser
// with a cookie of its own, `portico_ia_<last 12 characters of the interaction
// id>` (HttpOnly, SameSite=Lax, Max-Age=600). The page steps and the resume
// link work only with it, so a resume link opened in another browser is an
// error page, never a redirect.
import assert from 'node:assert/strict';
import { show } from '../support/harness.ts';
import { resolve } from '../support/placeholders.ts';

/**
 * The cookie that binds interaction `id` to the browser that started it
 * (src/oauth/authorize/cookies.ts): one per interaction, so that several tabs
 * do not overwrite each other's binding.
 */
export const bindingName = (id: string) => `portico_ia_${id.slice(-12)}`;
/** Path, lifetime (the interaction's ten minutes) and flags of a binding cookie. */
// Issue #7: Path=/ (the development login needs the binding too, and __Host- cookies require it).
const BINDING_PATH = '/';
const BINDING_MAX_AGE = '600';

/** The Set-Cookie lines of binding cookies (any interaction). */
export const bindingLines = (headers: Headers) => headers.getSetCookie().filter((line) => line.trimStart().toLowerCase().startsWith('portico_ia_'));

/** A binding cookie as /oauth2/authorize must set it: its own name, a 256-bit value, Path=/oauth2/authorize, Max-Age=600, HttpOnly, SameSite=Lax, host-only. */
export function assertBindingLine(line: string, context: string): { name: string; value: string } {
  const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
  const m = /^(portico_ia_[0-9A-Za-z]{12})=([A-Za-z0-9_-]{43})$/.exec(pair);
  assert.ok(m?.[1] && m[2], `binding cookie is not portico_ia_<12 characters>=<43 base64url characters>: ${show(line)}: ${context}`);
  const attrs = new Map(attributes.map((a) => [a.split('=')[0]!.toLowerCase(), a.includes('=') ? a.slice(a.indexOf('=') + 1) : '']));
  assert.equal(attrs.get('path'), BINDING_PATH, `binding cookie path: ${show(line)}: ${context}`);
  assert.equal(attrs.get('max-age'), BINDING_MAX_AGE, `binding cookie lifetime: ${show(line)}: ${context}`);
  assert.ok(attrs.has('httponly'), `binding cookie without HttpOnly: ${show(line)}: ${context}`);
  assert.equal(attrs.get('samesite')?.toLowerCase(), 'lax', `binding cookie without SameSite=Lax: ${show(line)}: ${context}`);
  assert.ok(!attrs.has('domain'), `binding cookie with a Domain (must be host-only): ${show(line)}: ${context}`);
  return { name: m[1], value: m[2] };
}

/** The value of the binding cookie for interaction `id` that `res` set (checked), or null when it set none for it. */
export function bindingSet(res: Response, id: string, context: string): string | null {
  const mine = bindingLines(res.headers).map((line) => assertBindingLine(line, context)).filter((c) => c.name === bindingName(id));
  assert.ok(mine.length <= 1, `the binding cookie of ${id} set twice: ${context}`);
  return mine[0]?.value ?? null;
}

export interface CookiePart {
  readonly name: string;
  readonly value: string;
}

/** A cookie of a request; name and value may hold placeholders (the binding cookies' names depend on the interaction). */
export const cookie = (name: string, value: string): CookiePart => ({ name, value });
export const renderCookie = (parts: readonly CookiePart[], values: Record<string, string>) => parts.map((p) => `${resolve(p.name, values)}=${resolve(p.value, values)}`).join('; ');

/** The value of a cookie as a server that takes names exactly (after trimming) sees it; 'ambiguous' when sent twice. */
export function cookieValue(parts: readonly CookiePart[], name: string, values: Record<string, string>): string | null | 'ambiguous' {
  const found = parts.filter((p) => resolve(p.name, values).trim() === name);
  if (found.length > 1) return 'ambiguous';
  return found[0] === undefined ? null : resolve(found[0].value, values).trim();
}
