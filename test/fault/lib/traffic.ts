// Issue #8: mixed traffic for the PostgreSQL faults and the soak: client_credentials, introspection,
// management reads and writes, secret create/delete. Every answer is kept as a sample (time sent,
// time answered, status, Retry-After) so a test can judge each phase of a fault afterwards.
import { json, NoAnswer, type Answer, type HttpClient } from './http.ts';

export interface Sample {
  readonly op: string;
  /** performance.now() when sent and when the answer (or the failure) came. */
  readonly sentAt: number;
  readonly doneAt: number;
  /** 0: no HTTP answer (connection failed, or the client's deadline passed). */
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly timedOut: boolean;
}

export interface Fixture {
  readonly orgId: string;
  /** M2M applications: the first one's secret stays; the others take the create/delete churn. */
  readonly apps: readonly { readonly id: string; readonly clientId: string }[];
  readonly secret: string;
}

async function created<T>(res: Promise<Answer>, what: string): Promise<T> {
  const answer = await res;
  if (answer.status !== 201) throw new Error(`${what}: ${answer.status} ${answer.text}`);
  return json<T>(answer);
}

/** An organization, four M2M applications, and one long-lived secret on the first. */
export async function seedFixture(client: HttpClient): Promise<Fixture> {
  const org = await created<{ id: string }>(client.request('POST', '/organizations', { body: { name: 'Fault traffic' } }), 'organization');
  const apps: { id: string; clientId: string }[] = [];
  for (let i = 0; i < 4; i++) {
    const app = await created<{ id: string; client_id: string }>(
      client.request('POST', '/connect/applications', { body: { name: `traffic ${i}`, application_type: 'm2m', organization_id: org.id, scopes: ['fault:read'] } }),
      'application',
    );
    apps.push({ id: app.id, clientId: app.client_id });
  }
  const { secret } = await created<{ secret: string }>(client.request('POST', `/connect/applications/${apps[0]!.id}/client_secrets`, { body: {} }), 'secret');
  return { orgId: org.id, apps, secret };
}

/** Secrets the churn created (201): deleted says whether their delete was acknowledged. */
export interface ChurnEntry {
  readonly appClientId: string;
  readonly secret: string;
  deleted: boolean;
}

export class Traffic {
  readonly samples: Sample[] = [];
  readonly churn: ChurnEntry[] = [];
  readonly #client: HttpClient;
  readonly #fixture: Fixture;
  readonly #paceMs: number;
  readonly #maxSamples: number;
  #token: string | null = null;
  #stopping = false;
  #loops: Promise<void>[] = [];
  /** Counts by op and status, kept even when samples are capped. */
  readonly counts = new Map<string, number>();

  /** paceMs: pause after each request per loop (0: as fast as the server answers). */
  constructor(client: HttpClient, fixture: Fixture, options: { paceMs?: number; maxSamples?: number } = {}) {
    this.#client = client;
    this.#fixture = fixture;
    this.#paceMs = options.paceMs ?? 0;
    this.#maxSamples = options.maxSamples ?? 1_000_000;
  }

  start(concurrency: number): void {
    this.#loops = Array.from({ length: concurrency }, (_, i) => this.#loop(i));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#loops);
  }

  async #record(op: string, send: () => Promise<Answer>): Promise<Answer | null> {
    const sentAt = performance.now();
    let sample: Sample;
    let answer: Answer | null = null;
    try {
      answer = await send();
      sample = { op, sentAt, doneAt: performance.now(), status: answer.status, retryAfter: answer.headers['retry-after'] as string | undefined, timedOut: false };
    } catch (err) {
      if (!(err instanceof NoAnswer)) throw err;
      sample = { op, sentAt, doneAt: performance.now(), status: 0, retryAfter: undefined, timedOut: err.timedOut };
    }
    const key = `${op} ${sample.status}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.samples.length < this.#maxSamples) this.samples.push(sample);
    return answer;
  }

  async #loop(index: number): Promise<void> {
    const c = this.#client;
    const f = this.#fixture;
    const main = f.apps[0]!;
    for (let i = 0; !this.#stopping && i < 100_000_000; i++) {
      const r = Math.random();
      if (r < 0.4) {
        const res = await this.#record('token', () => c.token(main.clientId, f.secret));
        if (res?.status === 200) this.#token = json<{ access_token: string }>(res).access_token;
      } else if (r < 0.5) {
        const token = this.#token ?? 'not-a-token';
        await this.#record('introspect', () => c.request('POST', '/oauth2/introspection', { form: { token }, basic: { id: main.clientId, secret: f.secret } }));
      } else if (r < 0.65) {
        await this.#record('get-app', () => c.request('GET', `/connect/applications/${main.id}`));
      } else if (r < 0.75) {
        await this.#record('list-secrets', () => c.request('GET', `/connect/applications/${main.id}/client_secrets`));
      } else if (r < 0.8) {
        await this.#record('list-orgs', () => c.request('GET', '/organizations?limit=10'));
      } else if (r < 0.85) {
        await this.#record('create-org', () => c.request('POST', '/organizations', { body: { name: `traffic ${index}` } }));
      } else {
        // Create then delete a secret on one of the churn applications (the cap may refuse: 422).
        const app = f.apps[1 + (index % (f.apps.length - 1))]!;
        const res = await this.#record('create-secret', () => c.request('POST', `/connect/applications/${app.id}/client_secrets`, { body: {} }));
        if (res?.status === 201) {
          const { id, secret } = json<{ id: string; secret: string }>(res);
          const entry: ChurnEntry = { appClientId: app.clientId, secret, deleted: false };
          this.churn.push(entry);
          const del = await this.#record('delete-secret', () => c.request('DELETE', `/connect/client_secrets/${id}`));
          if (del?.status === 204) entry.deleted = true;
        }
      }
      if (this.#paceMs > 0) await new Promise((r2) => setTimeout(r2, this.#paceMs * (0.5 + Math.random())));
    }
  }
}

/** "op status" -> count, as one line. */
export function countsLine(counts: ReadonlyMap<string, number> | Map<string, number>): string {
  return [...counts.entries()]
    .sort()
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

/** Samples grouped by status: { "200": n, "503": m, ... }. */
export function byStatus(samples: readonly Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) out[String(s.status)] = (out[String(s.status)] ?? 0) + 1;
  return out;
}
