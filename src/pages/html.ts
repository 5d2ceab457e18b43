import type { FastifyReply } from 'fastify';

/** Escapes text for HTML element content and double-quoted attributes. */
export function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Headers of every Portico page: no framing (RFC 9700 §4.16; security bar R8),
 * no caching, no referrer (URLs carry interaction IDs), no script at all.
 * `form-action` is left out on purpose: Chrome applies it to the redirect
 * after a form POST, and consent redirects to the client's own URI.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const STYLE = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f5f6f8;color:#1d2433;margin:0}
main{max-width:28rem;margin:4rem auto;background:#fff;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.08);padding:2rem}
h1{font-size:1.25rem;margin:0 0 1rem}p{line-height:1.5}ul{padding-left:1.25rem}label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #c9ced8;border-radius:8px;font-size:1rem}
.actions{display:flex;gap:.75rem;margin-top:1.5rem}button{flex:1;padding:.7rem;border-radius:8px;border:1px solid #1d4ed8;font-size:1rem;cursor:pointer}
button.primary{background:#1d4ed8;color:#fff}button.secondary{background:#fff;color:#1d4ed8}.muted{color:#5b6475;font-size:.9rem}code{word-break:break-all}
.code{font:600 2rem ui-monospace,SFMono-Regular,Menlo,monospace;letter-spacing:.15em;text-align:center;margin:1rem 0}.error{color:#b42318}
input.code-input{font:600 1.5rem ui-monospace,SFMono-Regular,Menlo,monospace;letter-spacing:.15em;text-align:center;text-transform:uppercase}`;

/** A complete page around `body` (already escaped). */
export function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(html);
}

/** A readable error page; never a redirect to an unverified URI (security bar R2). */
export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${esc(title)}</h1><p>${esc(message)}</p><p class="muted">You can close this window and start again from the application.</p>`);
}
