import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The browser's arrival at the callback, held open until the CLI has an answer for it. */
export interface Arrival {
  readonly params: URLSearchParams;
  /** Answers the waiting browser with a small page and closes the listener. */
  respond(ok: boolean, title: string, message: string): Promise<void>;
}

export interface LoopbackCallback {
  /** `http://127.0.0.1:<port>/callback`: the redirect URI to send. */
  readonly redirectUri: string;
  /** Resolves on the first request to /callback; rejects when none came within the timeout. */
  readonly arrival: Promise<Arrival>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: ServerResponse, status: number, title: string, message: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'",
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  });
  res.end(`<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>\n`);
}

/**
 * A native app's loopback redirect (RFC 8252 §7.3): listens on 127.0.0.1 only
 * (never on other interfaces, so nobody else can deliver a code), on `port`
 * or a free one, and takes exactly one callback.
 */
export async function listenForCallback(port: number, timeoutMs: number): Promise<LoopbackCallback> {
  let settle: { resolve: (a: Arrival) => void; reject: (e: Error) => void } | undefined;
  const arrival = new Promise<Arrival>((resolve, reject) => (settle = { resolve, reject }));
  let taken = false;
  let timer: NodeJS.Timeout | undefined;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/callback') return page(res, 404, 'Not found', 'portico try-login only answers /callback.');
    if (taken) return page(res, 409, 'Already answered', 'This try-login run already received its callback.');
    taken = true;
    clearTimeout(timer);
    settle!.resolve({
      params: url.searchParams,
      respond: (ok, title, message) =>
        new Promise<void>((resolve) => {
          res.once('finish', () => {
            server.close(() => resolve());
            // Browsers keep connections alive; an idle one must not hold the CLI open.
            server.closeIdleConnections();
          });
          page(res, ok ? 200 : 400, title, message);
        }),
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  timer = setTimeout(() => {
    server.closeAllConnections();
    server.close();
    settle!.reject(new Error(`no browser came back to the callback within ${Math.round(timeoutMs / 60_000)} minutes`));
  }, timeoutMs);
  const bound = (server.address() as AddressInfo).port;
  return { redirectUri: `http://127.0.0.1:${bound}/callback`, arrival };
}
