import type { FastifyReply } from 'fastify';

/** Escapes text for HTML element content and double-quoted attributes. */
export function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** What a page handler renders: the layout (brand, stylesheet, CSP) is added by {@link Pages}. */
export interface PageView {
  readonly title: string;
  /** The content of `<main>`, already escaped. */
  readonly body: string;
  /**
   * Origins images on this page come from besides Portico's own (an app's
   * logo on consent): each becomes an `img-src` source of this page's CSP only.
   */
  readonly imageOrigins?: readonly string[];
}

/** What a page's Content-Security-Policy allows beyond `'self'` styles. */
export interface CspOptions {
  readonly imageOrigins: readonly string[];
  /** Dashboard pages load one script from Portico's origin; the sign-in pages run none. */
  readonly script: boolean;
  /** Dashboard forms post only to Portico; sign-in pages may not say so (see PAGE_HEADERS). */
  readonly formActionSelf: boolean;
}

/**
 * The Content-Security-Policy of every page (issue #14): styles and scripts
 * only from Portico's origin (no `unsafe-inline`, so an injected `<style>` or
 * `style=` does nothing), images from Portico and the few origins named, no
 * framing (RFC 9700 §4.16; security bar R8), no `<base>`.
 */
export function contentSecurityPolicy(o: CspOptions): string {
  const images = ["'self'", ...new Set(o.imageOrigins)].join(' ');
  return [
    "default-src 'none'",
    "style-src 'self'",
    `img-src ${images}`,
    ...(o.script ? ["script-src 'self'"] : []),
    ...(o.formActionSelf ? ["form-action 'self'"] : []),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * Headers of every Portico page besides the CSP: no framing, no caching, no
 * referrer (URLs carry interaction IDs). `form-action` is left out of the
 * sign-in pages on purpose: Chrome applies it to the redirect after a form
 * POST, and consent redirects to the client's own URI.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/**
 * Sends a rendered page with its CSP and the common headers. The dashboard
 * asks for `Referrer-Policy: same-origin` instead: under `no-referrer`
 * Chromium sends `Origin: null` with a form POST, and the dashboard checks
 * that its writes come from its own origin (its URLs carry no flow IDs).
 */
export function sendHtml(reply: FastifyReply, status: number, html: string, csp: CspOptions, referrerPolicy: 'no-referrer' | 'same-origin' = 'no-referrer'): FastifyReply {
  return reply
    .code(status)
    .headers(PAGE_HEADERS)
    .header('referrer-policy', referrerPolicy)
    .header('content-security-policy', contentSecurityPolicy(csp))
    .type('text/html; charset=utf-8')
    .send(html);
}
