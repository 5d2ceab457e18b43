// Issue #8: the ledger of acknowledged writes for the SQLite kill -9 loop (security bar 44, I1/I2/I4).
// The driver records every 2xx it received; what the server did with a request that got no answer
// (the kill cut it) is unknown, so such objects are "maybe" and resolved after the restart.
import { json, NoAnswer, type Answer, type HttpClient } from './http.ts';

/**
 * live: created and acknowledged; deleting: a delete is in flight; maybe: a delete got no answer
 * (resolved after restart); deleted: a delete was acknowledged (2xx), it must stay deleted.
 */
export type Phase = 'live' | 'deleting' | 'maybe' | 'deleted';

export interface OrgEntry {
  readonly id: string;
  phase: Phase;
  /** Cycle in which the create (and the delete, once acknowledged) was acknowledged. */
  readonly createdIn: number;
  deletedIn: number | null;
}
export interface AppEntry extends OrgEntry {
  readonly orgId: string;
  readonly clientId: string;
}
export interface SecretEntry extends OrgEntry {
  readonly appId: string;
  /** Null for secrets found after a restart whose create got no answer (they exist; their plaintext was never seen). */
  readonly plaintext: string | null;
}

/** Counters of what the driver sent and what it was told. */
export interface DriverCounts {
  acknowledged: Record<'orgCreate' | 'appCreate' | 'secretCreate' | 'secretDelete' | 'appDelete' | 'orgDelete', number>;
  limitRefused: number;
  unanswered: number;
  /** Answers that contradict the ledger before any crash (e.g. a 404 for an object nobody deleted), or 5xx. */
  anomalies: string[];
}

export class Ledger {
  readonly orgs = new Map<string, OrgEntry>();
  readonly apps = new Map<string, AppEntry>();
  readonly secrets = new Map<string, SecretEntry>();

  app(s: SecretEntry): AppEntry {
    return this.apps.get(s.appId)!;
  }
  org(a: AppEntry): OrgEntry {
    return this.orgs.get(a.orgId)!;
  }

  /** Acknowledged and nothing that could remove it is pending or done: it must exist. */
  required(kind: 'org' | 'app' | 'secret', e: OrgEntry): boolean {
    if (e.phase !== 'live') return false;
    if (kind === 'secret') return this.required('app', this.app(e as SecretEntry));
    if (kind === 'app') return this.required('org', this.org(e as AppEntry));
    return true;
  }

  /** It, or something it belongs to (FK cascade), was deleted with a 2xx: it must be gone. */
  gone(kind: 'org' | 'app' | 'secret', e: OrgEntry): boolean {
    if (e.phase === 'deleted') return true;
    if (kind === 'secret') return this.gone('app', this.app(e as SecretEntry));
    if (kind === 'app') return this.gone('org', this.org(e as AppEntry));
    return false;
  }

  /** Neither deleting nor deleted, nor any owner: operations may pick it. */
  usable(kind: 'org' | 'app' | 'secret', e: OrgEntry): boolean {
    return this.required(kind, e);
  }

  /** A request that was cut by the kill: its delete may or may not have happened. */
  crashed(): void {
    for (const map of [this.orgs, this.apps, this.secrets] as Map<string, OrgEntry>[]) {
      for (const e of map.values()) if (e.phase === 'deleting') e.phase = 'maybe';
    }
  }
}

const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(Math.random() * items.length)];

/**
 * Concurrent writers against one server until `stopped()` is true. Each loop picks a write that
 * fits the ledger (keeping the population bounded: a few organizations, a dozen applications,
 * at most 5 secrets each) and records its outcome.
 */
export class Driver {
  readonly #ledger: Ledger;
  readonly #counts: DriverCounts;
  readonly #cycle: number;
  readonly #client: HttpClient;
  readonly #stopped: () => boolean;

  constructor(ledger: Ledger, counts: DriverCounts, cycle: number, client: HttpClient, stopped: () => boolean) {
    this.#ledger = ledger;
    this.#counts = counts;
    this.#cycle = cycle;
    this.#client = client;
    this.#stopped = stopped;
  }

  /** Runs `concurrency` loops; resolves when every loop has seen the stop (or its request was cut). */
  async run(concurrency: number): Promise<void> {
    await Promise.all(Array.from({ length: concurrency }, () => this.#loop()));
  }

  async #loop(): Promise<void> {
    // Bounded: a loop ends at the kill; the cap only guards against a server that stops answering slowly.
    for (let i = 0; i < 100_000 && !this.#stopped(); i++) {
      try {
        await this.#step();
      } catch (err) {
        if (!(err instanceof NoAnswer)) throw err;
        this.#counts.unanswered++;
        if (!this.#stopped()) this.#counts.anomalies.push(`no answer before the kill: ${err.message}`);
        return;
      }
    }
  }

  #unexpected(what: string, res: Answer): void {
    this.#counts.anomalies.push(`${what}: ${res.status} ${res.text.slice(0, 200)}`);
  }

  async #step(): Promise<void> {
    const L = this.#ledger;
    const orgs = [...L.orgs.values()].filter((o) => L.usable('org', o));
    const apps = [...L.apps.values()].filter((a) => L.usable('app', a));
    const secrets = [...L.secrets.values()].filter((s) => L.usable('secret', s));
    const r = Math.random();
    // Weights: mostly secret creates and deletes (the registry's hot writes), some application and
    // organization churn (their deletes cascade to secrets), and bursts that hit the 5-secret cap.
    if (orgs.length < 3 || (r < 0.02 && orgs.length < 8)) return this.#createOrg();
    if (apps.length < 6 || (r < 0.1 && apps.length < 14)) return this.#createApp(pick(orgs)!);
    if (r < 0.12 && orgs.length > 4) return this.#delete('org', pick(orgs)!);
    if (r < 0.16 && apps.length > 8) return this.#delete('app', pick(apps)!);
    if (r < 0.24) return this.#burst(pick(apps)!);
    if (r < 0.62 || secrets.length === 0) return this.#createSecret(pick(apps)!);
    return this.#delete('secret', pick(secrets)!);
  }

  async #createOrg(): Promise<void> {
    const res = await this.#client.request('POST', '/organizations', { body: { name: `fault ${this.#cycle}` } });
    if (res.status !== 201) return this.#unexpected('create organization', res);
    const { id } = json<{ id: string }>(res);
    this.#ledger.orgs.set(id, { id, phase: 'live', createdIn: this.#cycle, deletedIn: null });
    this.#counts.acknowledged.orgCreate++;
  }

  async #createApp(org: OrgEntry): Promise<void> {
    const res = await this.#client.request('POST', '/connect/applications', { body: { name: 'fault m2m', application_type: 'm2m', organization_id: org.id, scopes: ['fault:write'] } });
    if (res.status === 404 && org.phase !== 'live') return; // its organization is being deleted
    if (res.status !== 201) return this.#unexpected('create application', res);
    const { id, client_id } = json<{ id: string; client_id: string }>(res);
    this.#ledger.apps.set(id, { id, orgId: org.id, clientId: client_id, phase: 'live', createdIn: this.#cycle, deletedIn: null });
    this.#counts.acknowledged.appCreate++;
  }

  async #createSecret(app: AppEntry): Promise<void> {
    const res = await this.#client.request('POST', `/connect/applications/${app.id}/client_secrets`, { body: {} });
    if (res.status === 201) {
      const { id, secret } = json<{ id: string; secret: string }>(res);
      this.#ledger.secrets.set(id, { id, appId: app.id, plaintext: secret, phase: 'live', createdIn: this.#cycle, deletedIn: null });
      this.#counts.acknowledged.secretCreate++;
    } else if (res.status === 422 && res.text.includes('client_secret_limit_reached')) {
      this.#counts.limitRefused++;
    } else if (!(res.status === 404 && !this.#ledger.required('app', app))) {
      this.#unexpected('create secret', res);
    }
  }

  /** Six creates at once on one application: the 5-secret cap under concurrency (I4). */
  async #burst(app: AppEntry): Promise<void> {
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => this.#createSecret(app)));
    const cut = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (cut) throw cut.reason;
  }

  async #delete(kind: 'org' | 'app' | 'secret', e: OrgEntry): Promise<void> {
    const path = kind === 'org' ? `/organizations/${e.id}` : kind === 'app' ? `/connect/applications/${e.id}` : `/connect/client_secrets/${e.id}`;
    e.phase = 'deleting';
    let res: Answer;
    try {
      res = await this.#client.request('DELETE', path);
    } catch (err) {
      e.phase = 'maybe';
      throw err;
    }
    if (res.status === 204) {
      e.phase = 'deleted';
      e.deletedIn = this.#cycle;
      this.#counts.acknowledged[kind === 'org' ? 'orgDelete' : kind === 'app' ? 'appDelete' : 'secretDelete']++;
      return;
    }
    // A 404 is expected only when an owner is being deleted at the same time (the cascade got there first).
    const owner = kind === 'secret' ? this.#ledger.app(e as SecretEntry) : kind === 'app' ? this.#ledger.org(e as AppEntry) : null;
    const ownerDeleting = owner !== null && (owner.phase !== 'live' || (kind === 'secret' && this.#ledger.org(owner as AppEntry).phase !== 'live'));
    e.phase = res.status === 404 && ownerDeleting ? 'maybe' : 'live';
    if (!(res.status === 404 && ownerDeleting)) this.#unexpected(`delete ${kind}`, res);
  }
}

export function emptyCounts(): DriverCounts {
  return { acknowledged: { orgCreate: 0, appCreate: 0, secretCreate: 0, secretDelete: 0, appDelete: 0, orgDelete: 0 }, limitRefused: 0, unanswered: 0, anomalies: [] };
}
