import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config.ts';
import { imageOrigin, palette, type Brand } from '../domain/brand.ts';
import { esc, sendHtml, type PageView } from './html.ts';

/** Plain-language descriptions of the OIDC scopes; PORTICO_SCOPE_DESCRIPTIONS adds (or rewords) the rest. */
const OIDC_SCOPE_TEXT: ReadonlyMap<string, string> = new Map([
  ['openid', 'Sign you in with your account'],
  ['profile', 'See your name'],
  ['email', 'See your email address'],
  ['offline_access', 'Stay signed in (keep access when you are not using it)'],
]);

/** A static file served under /assets/ with a content hash in its name, so it can be cached forever. */
interface Asset {
  readonly path: string;
  readonly type: string;
  readonly body: string;
}

function asset(name: string, ext: string, type: string, body: string): Asset {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 10);
  return { path: `/assets/${name}.${hash}.${ext}`, type, body };
}

/**
 * Everything a page needs besides its own content: the brand, the one
 * stylesheet, the CSP and the scope descriptions. Built once from the
 * configuration (app.ts) and passed to every face that renders HTML.
 */
export interface Pages {
  readonly brand: Brand;
  readonly stylesheet: string;
  readonly script: string;
  /** Sends a sign-in page (login, organization chooser, consent, device, errors) in the branded layout. */
  send(reply: FastifyReply, status: number, view: PageView): FastifyReply;
  /** An error page: what happened (the title), then what to do (the message), each said once. */
  error(reply: FastifyReply, status: number, title: string, message: string): FastifyReply;
  /** What a scope lets the application do, or null when nobody described it. */
  describeScope(scope: string): string | null;
  /** The brand header, for layouts of their own (the dashboard). */
  brandMark(href: string | null, suffix?: string): string;
  /** The footer's support link, or ''. */
  footer(): string;
  /** Image origins every page allows (the brand logo's). */
  readonly imageOrigins: readonly string[];
  /** GET /assets/… for the stylesheet and the dashboard script. */
  routes(app: FastifyInstance): void;
}

/** The brand as configured (PORTICO_BRAND_*). */
export function brandOf(config: Config): Brand {
  return { productName: config.brandName, logoUrl: config.brandLogoUrl, primaryColor: config.brandPrimaryColor, supportUrl: config.brandSupportUrl };
}

export function createPages(brand: Brand, scopeDescriptions: ReadonlyMap<string, string>): Pages {
  const colours = palette(brand.primaryColor);
  const css = readFileSync(new URL('./assets/portico.css', import.meta.url), 'utf8')
    .replace('--primary: #1d4ed8;', `--primary: ${colours.primary};`)
    .replace('--on-primary: #ffffff;', `--on-primary: ${colours.onPrimary};`)
    .replace('--accent: #1d4ed8;', `--accent: ${colours.accent};`);
  const js = readFileSync(new URL('../dashboard/assets/dashboard.js', import.meta.url), 'utf8');
  const stylesheet = asset('portico', 'css', 'text/css; charset=utf-8', css);
  const script = asset('dashboard', 'js', 'text/javascript; charset=utf-8', js);
  const logoOrigin = brand.logoUrl === null ? null : imageOrigin(brand.logoUrl);
  const imageOrigins = logoOrigin === null ? [] : [logoOrigin];

  const brandMark = (href: string | null, suffix = '') => {
    const logo = brand.logoUrl === null ? '' : `<img src="${esc(brand.logoUrl)}" alt="" width="32" height="32">`;
    const inner = `${logo}<span>${esc(brand.productName)}</span>${suffix}`;
    return href === null ? `<span class="brand">${inner}</span>` : `<a class="brand" href="${esc(href)}">${inner}</a>`;
  };
  const footer = () => (brand.supportUrl === null ? '' : `<footer class="page-footer">Need help? <a href="${esc(brand.supportUrl)}">Contact support</a></footer>`);

  const send = (reply: FastifyReply, status: number, view: PageView) => {
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(view.title)} · ${esc(brand.productName)}</title><link rel="stylesheet" href="${stylesheet.path}"></head><body class="auth"><header class="brand-bar">${brandMark(null)}</header><main id="main">${view.body}</main>${footer()}</body></html>`;
    return sendHtml(reply, status, html, { imageOrigins: [...imageOrigins, ...(view.imageOrigins ?? [])], script: false, formActionSelf: false });
  };

  return {
    brand,
    stylesheet: stylesheet.path,
    script: script.path,
    imageOrigins,
    send,
    error: (reply, status, title, message) => send(reply, status, { title, body: `<h1>${esc(title)}</h1><p>${esc(message)}</p>` }),
    describeScope: (scope) => scopeDescriptions.get(scope) ?? OIDC_SCOPE_TEXT.get(scope) ?? null,
    brandMark,
    footer,
    routes(app) {
      for (const a of [stylesheet, script]) {
        app.get(a.path, async (_request, reply) =>
          // The name changes with the content: browsers may keep it for a year.
          reply.headers({ 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' }).type(a.type).send(a.body),
        );
      }
    },
  };
}
