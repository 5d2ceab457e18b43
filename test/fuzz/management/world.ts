// Issue #2: the seeded world of the management fuzz suite (moved out of
// test/fuzz/management-fuzz.test.ts by issue #9): one organization (with an external ID, a domain
// and metadata), one M2M app, one OAuth app and one client secret, through the real API. The world
// is re-seeded after a successful DELETE and every RESEED_EVERY runs.
import { randomBytes } from 'node:crypto';
import type { TestServer } from '../../support/server.ts';
import { resolve } from '../support/placeholders.ts';
import { seed, seedSecret } from '../support/seeding.ts';

export const RESEED_EVERY = 60;

export interface World {
  readonly org: string;
  readonly ext: string;
  readonly m2m: string;
  readonly m2m_client: string;
  readonly oauth: string;
  readonly oauth_client: string;
  readonly secret: string;
}

export interface Context {
  server: TestServer;
  world: World;
  stale: boolean;
  runsSinceSeed: number;
  statuses: Map<number, number>;
}

/** Resolves the placeholders of `text` against the world and the API key. */
export function resolveIn(text: string, world: World, apiKey: string): string {
  return resolve(text, { ...world, key: apiKey });
}

/** One organization, one M2M app, one OAuth app and one secret, through the real API. */
export async function seedWorld(server: TestServer): Promise<World> {
  const tag = randomBytes(6).toString('hex');
  const ext = `ext_${tag}`;
  const org = await seed<{ id: string }>(
    server,
    '/organizations',
    { name: `Fuzz ${tag}`, external_id: ext, domain_data: [{ domain: `fuzz-${tag}.test`, state: 'verified' }], metadata: { tier: 'fuzz' } },
    'organization',
  );
  const m2m = await seed<{ id: string; client_id: string }>(
    server,
    '/connect/applications',
    { name: 'Fuzz M2M', application_type: 'm2m', organization_id: org.id, scopes: ['read:things'] },
    'm2m application',
  );
  const oauth = await seed<{ id: string; client_id: string }>(
    server,
    '/connect/applications',
    {
      name: 'Fuzz OAuth',
      application_type: 'oauth',
      is_first_party: false,
      organization_id: org.id,
      uses_pkce: true,
      redirect_uris: [{ uri: 'https://fuzz.example.com/callback', default: true }],
    },
    'oauth application',
  );
  const secret = await seedSecret(server, oauth.id, 'client secret');
  return { org: org.id, ext, m2m: m2m.id, m2m_client: m2m.client_id, oauth: oauth.id, oauth_client: oauth.client_id, secret: secret.id };
}

/** A request rendered against the live world: placeholders resolved, a string body as UTF-8 bytes. */
export interface Rendered {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | null;
}

/**
 * Re-seeds a stale world (after a successful DELETE, or every RESEED_EVERY
 * runs), then renders `req` against it.
 */
export async function renderFresh(ctx: Context, req: { readonly path: string; readonly headers: Readonly<Record<string, string>>; readonly body: string | Uint8Array | null }): Promise<Rendered> {
  if (ctx.stale || ctx.runsSinceSeed >= RESEED_EVERY) {
    ctx.world = await seedWorld(ctx.server);
    ctx.stale = false;
    ctx.runsSinceSeed = 0;
  }
  ctx.runsSinceSeed++;
  const { world, server } = ctx;
  const url = `${server.baseUrl}${resolveIn(req.path, world, server.apiKey)}`;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = resolveIn(v, world, server.apiKey);
  // Bytes, so that fetch adds no Content-Type of its own: a missing one stays missing.
  const body = req.body === null ? null : typeof req.body === 'string' ? new Uint8Array(Buffer.from(resolveIn(req.body, world, server.apiKey), 'utf8')) : req.body;
  return { url, headers, body };
}
