import type { LoadSpec } from './load.ts';
import type { SampledApp, SeedResult } from './seed.ts';
import type { PorticoServer } from './server.ts';

/** What the management benchmark sends (see the header of bench/management.ts). */

export const SCENARIOS = ['get-application', 'list-applications', 'list-applications-org', 'list-applications-after', 'create-secret'] as const;
export type Scenario = (typeof SCENARIOS)[number];
const LIST = '/connect/applications?limit=10';

/** Deterministic xorshift32, so runs pick the same sequence of IDs. */
function rng(seedValue: number): () => number {
  let x = seedValue >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** What a scenario sends: method and path, fixed or drawn per request. */
export type Requests = Pick<LoadSpec, 'method' | 'path' | 'next'>;

/** A GET whose path is drawn per request. */
function varying(seedValue: number, path: (random: () => number, k: number) => string): Requests {
  const random = rng(seedValue);
  let k = 0;
  return { method: 'GET', path: '/', next: () => ({ path: path(random, k++) }) };
}

/** The requests of a read scenario against a seeded database. */
export function readRequests(scenario: Exclude<Scenario, 'create-secret'>, seeded: SeedResult): Requests {
  const { sample, organizationIds, middleCursors } = seeded;
  switch (scenario) {
    case 'get-application':
      return varying(0x5eed, (random, k) => {
        const app = pick(sample, random);
        return `/connect/applications/${k % 2 === 0 ? app.id : app.clientId}`;
      });
    case 'list-applications':
      return { method: 'GET', path: LIST };
    case 'list-applications-org':
      return varying(0x0123, (random) => `${LIST}&organization_id=${pick(organizationIds, random)}`);
    case 'list-applications-after':
      return varying(0x4567, (random) => `${LIST}&after=${pick(middleCursors, random)}`);
  }
}

/** One lap of create-secret: request k goes to application k mod pool size (round-robin). */
export function createSecretRequests(pool: readonly SampledApp[]): Requests {
  let k = 0;
  return { method: 'POST', path: '/', next: () => ({ path: `/connect/applications/${pool[k++ % pool.length]!.id}/client_secrets` }) };
}

/** One request of each read scenario through fetch: the answers the load will get are the expected ones. */
export async function sanityCheck(server: PorticoServer, seeded: SeedResult): Promise<void> {
  const headers = { authorization: `Bearer ${server.apiKey}` };
  const app = seeded.sample[0]!;
  const org = seeded.organizationIds[0]!;
  const cursor = seeded.middleCursors[0]!;
  const data = (b: unknown) => (b as { data?: { id?: string; organization_id?: string }[] }).data ?? [];
  const checks: [string, (body: unknown) => boolean][] = [
    [`/connect/applications/${app.id}`, (b) => (b as { id?: string }).id === app.id],
    [`/connect/applications/${app.clientId}`, (b) => (b as { id?: string }).id === app.id],
    [LIST, (b) => data(b).length === Math.min(10, seeded.applications)],
    [`${LIST}&organization_id=${org}`, (b) => data(b).length > 0 && data(b).every((d) => d.organization_id === org)],
    [`${LIST}&after=${cursor}`, (b) => data(b).length > 0 && data(b).every((d) => (d.id ?? '') < cursor)],
  ];
  for (const [path, ok] of checks) {
    const res = await fetch(`${server.baseUrl}${path}`, { headers });
    const body: unknown = await res.json();
    if (res.status !== 200 || !ok(body)) throw new Error(`sanity check failed for GET ${path}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
}
