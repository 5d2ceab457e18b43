// Issue #9 (item 7): string generators more than one fuzz suite uses (issues #2, #3, #4 each had copies).
import fc from 'fast-check';

/** Percent-encodes text the way a client would (lone surrogates become U+FFFD first). */
export const encode = (s: string) => encodeURIComponent(s.toWellFormed());

/** Full Unicode (fast-check 4's replacement for fc.fullUnicodeString). */
export const unicode = (maxLength = 40) => fc.string({ unit: 'binary', maxLength });

/** A NUL between two strings of up to `partLength` characters each. */
export const withNulInside = (partLength: number) => fc.tuple(fc.string({ maxLength: partLength }), fc.string({ maxLength: partLength })).map(([a, b]) => `${a}\u0000${b}`);

/** `unit` repeated min..max times. */
export const repeated = (unit: string, min: number, max: number) => fc.integer({ min, max }).map((n) => unit.repeat(n));

/** The base64url alphabet (RFC 4648 §5). */
export const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Exactly `length` base64url characters. */
export const b64url = (length: number) => fc.string({ unit: fc.constantFrom(...B64URL), minLength: length, maxLength: length });

/** Visible ASCII (%x21-7E): no space, no control characters. */
export const visibleAscii = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

/** Printable ASCII for header values (fetch refuses control characters), without the cookie separators `;` and `,`. */
export const headerSafe = (maxLength: number) => visibleAscii(maxLength).map((s) => s.replace(/[;,]/g, ''));

/** Header values fetch will send: Latin-1 without NUL, CR or LF. */
export const headerText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength });

/** Query/form tails the servers must ignore: unique names no real parameter decodes to, values possibly badly encoded. */
export const junkSegments = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('', '%ZZ', '%E0%A4', '%00', '%5B%5D', '[]', '.x', '%C0%AF'), fc.string({ maxLength: 8 }).map(encode)),
      fc.oneof(fc.constantFrom('', '%', '%ZZ', '%E0%A4%A', '%FF', '%ED%A0%80', '%00', '+', '%2B', 'a+b'), fc.string({ maxLength: 20 }).map(encode), unicode(10).map(encode)),
    ),
    { maxLength: 3 },
  )
  .map((parts) => parts.map(([name, value], i) => `x${i}${name}=${value}`));
