import { SCOPE_TOKEN } from './validate.ts';

/** Splits a `scope` parameter (RFC 6749 §3.3); null when it holds anything but scope-tokens. */
export function parseScopeParam(value: string): string[] | null {
  const parts = value.split(' ').filter((s) => s !== '');
  if (!parts.every((s) => SCOPE_TOKEN.test(s))) return null;
  return [...new Set(parts)];
}

export function isSubset(requested: readonly string[], allowed: readonly string[]): boolean {
  const set = new Set(allowed);
  return requested.every((s) => set.has(s));
}
