import type { FastifyReply } from 'fastify';
import { esc, sendHtml } from '../pages/html.ts';
import type { DashboardDeps } from './deps.ts';
import { csrfInput } from './html.ts';
import type { DashboardSession } from './session.ts';

export type Section = 'organizations' | 'applications' | 'api-keys' | 'signing-keys' | 'events' | 'webhooks';

const NAV: readonly { readonly section: Section; readonly label: string }[] = [
  { section: 'organizations', label: 'Organizations' },
  { section: 'applications', label: 'Applications' },
  { section: 'api-keys', label: 'API keys' },
  { section: 'signing-keys', label: 'Signing keys' },
  { section: 'events', label: 'Events' },
  { section: 'webhooks', label: 'Webhooks' },
];

export interface DashboardView {
  readonly title: string;
  /** The nav entry this page belongs to (aria-current). */
  readonly section: Section | null;
  /** Content of `<main>`, already escaped. */
  readonly body: string;
}

/**
 * The dashboard's layout: the brand, the navigation and sign-out for a
 * signed-in operator, one stylesheet and one script from Portico's origin.
 * Every page is `no-store` and its CSP allows no inline script or style and
 * posts only to Portico (`form-action 'self'`: dashboard forms never leave).
 */
export function sendDashboard(deps: DashboardDeps, reply: FastifyReply, status: number, session: DashboardSession | null, view: DashboardView): FastifyReply {
  const { pages } = deps;
  const nav =
    session === null
      ? ''
      : `<nav aria-label="Dashboard"><ul>${NAV.map((n) => `<li><a href="/dashboard/${n.section}"${n.section === view.section ? ' aria-current="page"' : ''}>${n.label}</a></li>`).join('')}</ul></nav>
<form class="signout" method="post" action="/dashboard/sign-out">${csrfInput(session.csrf)}<button class="secondary" type="submit">Sign out</button></form>`;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(view.title)} · ${esc(pages.brand.productName)} dashboard</title><link rel="stylesheet" href="${pages.stylesheet}"><script src="${pages.script}" defer></script></head>
<body class="dash"><a class="skip" href="#main">Skip to content</a><header class="topbar">${pages.brandMark('/dashboard', ' <small>Dashboard</small>')}${nav}</header>
<main id="main" tabindex="-1">${view.body}</main>${pages.footer()}</body></html>`;
  return sendHtml(reply, status, html, { imageOrigins: pages.imageOrigins, script: true, formActionSelf: true }, 'same-origin');
}
