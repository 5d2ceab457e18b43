import { MalformedRequestError } from './errors.ts';

/** Decodes bytes as UTF-8, refusing (never replacing) anything that is not (issue #8). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
export function strictUtf8(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw new MalformedRequestError('invalid_utf8', 'The request is not valid UTF-8.');
  }
}

/**
 * Percent-decoding as WHATWG URL does it (a `%` not followed by two hex digits
 * stays as it is), except that the decoded bytes must be UTF-8: `%FF` or an
 * encoded lone surrogate is refused instead of becoming U+FFFD (issue #8).
 */
export function percentDecode(text: string): string {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  return spaced.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => strictUtf8(Buffer.from(run.replace(/%/g, ''), 'hex')));
}

