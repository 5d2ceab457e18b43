// Issue #8: checks of the ledger against what survived a kill -9: the SQLite file itself (opened
// read-only right after the kill, before anything restarts) and the restarted server's API.
import { DatabaseSync } from 'node:sqlite';
import { json, type HttpClient } from './http.ts';
import type { AppEntry, Ledger, OrgEntry, SecretEntry } from './ledger.ts';

export interface Findings {
  /** Acknowledged, never deleted, yet missing. */
  readonly lost: string[];
  /** Deleted with a 2xx (or seen deleted), yet present again. */
  readonly revived: string[];
  /** Anything else that is wrong (a wrong status, more than 5 secrets, integrity). */
  readonly wrong: string[];
}

export function noFindings(): Findings {
  return { lost: [], revived: [], wrong: [] };
}

export interface FileCheck {
  readonly integrity: string;
  readonly maxSecretsPerApp: number;
  /** Ledger entries compared with the file's rows (all of history, every cycle). */
  readonly compared: number;
}

const sample = <T>(items: T[], n: number): T[] => {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
};

/**
 * The database file as the crash left it: `PRAGMA integrity_check`, the largest number of secret
 * rows any application has, and every ledger entry against the rows (required ones present,
 * deleted ones absent).
 */
export function checkFile(path: string, ledger: Ledger, findings: Findings): FileCheck {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const integrity = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    if (integrity !== 'ok') findings.wrong.push(`integrity_check: ${integrity}`);
    const top = db.prepare('SELECT application_id AS app, COUNT(*) AS n FROM client_secrets GROUP BY application_id ORDER BY n DESC LIMIT 1').get() as { app: string; n: number } | undefined;
    const maxSecretsPerApp = Number(top?.n ?? 0);
    if (maxSecretsPerApp > 5) findings.wrong.push(`application ${top!.app} has ${maxSecretsPerApp} secret rows`);
    const ids = (table: string) => new Set((db.prepare(`SELECT id FROM ${table}`).all() as { id: string }[]).map((r) => r.id));
    let compared = 0;
    const compare = (kind: 'org' | 'app' | 'secret', entries: Iterable<OrgEntry>, present: Set<string>) => {
      for (const e of entries) {
        if (ledger.required(kind, e)) {
          compared++;
          if (!present.has(e.id)) findings.lost.push(`${kind} ${e.id} (acknowledged in cycle ${e.createdIn}) is not in the file`);
        } else if (ledger.gone(kind, e)) {
          compared++;
          if (present.has(e.id)) findings.revived.push(`${kind} ${e.id} (deleted in cycle ${e.deletedIn}) is in the file again`);
        }
      }
    };
    compare('org', ledger.orgs.values(), ids('organizations'));
    compare('app', ledger.apps.values(), ids('connect_applications'));
    compare('secret', ledger.secrets.values(), ids('client_secrets'));
    return { integrity, maxSecretsPerApp, compared };
  } finally {
    db.close();
  }
}

/**
 * After the restart: deletes that got no answer are settled by asking the server, and secrets
 * whose create got no answer but exist are adopted (they count toward the cap and may be deleted
 * later). Observed deletions then count as deletions: they must not come back either.
 */
export async function settle(client: HttpClient, ledger: Ledger, cycle: number, findings: Findings): Promise<void> {
  const settleOne = async (e: OrgEntry, path: string) => {
    const res = await client.request('GET', path);
    if (res.status === 200) e.phase = 'live';
    else if (res.status === 404) {
      e.phase = 'deleted';
      e.deletedIn = cycle; // seen deleted after this cycle's crash: from now on it must stay deleted too
    } else findings.wrong.push(`GET ${path} while settling: ${res.status}`);
  };
  for (const o of ledger.orgs.values()) if (o.phase === 'maybe') await settleOne(o, `/organizations/${o.id}`);
  for (const a of ledger.apps.values()) if (a.phase === 'maybe' && !ledger.gone('org', ledger.org(a))) await settleOne(a, `/connect/applications/${a.id}`);
  for (const app of ledger.apps.values()) {
    if (!ledger.required('app', app)) continue;
    const res = await client.request('GET', `/connect/applications/${app.id}/client_secrets`);
    if (res.status !== 200) {
      findings.wrong.push(`list secrets of ${app.id}: ${res.status}`);
      continue;
    }
    const listed = new Set(json<{ id: string }[]>(res).map((s) => s.id));
    for (const s of ledger.secrets.values()) {
      if (s.appId !== app.id || s.phase !== 'maybe') continue;
      s.phase = listed.has(s.id) ? 'live' : 'deleted';
      if (s.phase === 'deleted') s.deletedIn = cycle;
    }
    for (const id of listed) {
      if (!ledger.secrets.has(id)) ledger.secrets.set(id, { id, appId: app.id, plaintext: null, phase: 'live', createdIn: cycle, deletedIn: null });
    }
  }
}

export interface ApiCheck {
  /** Required objects read back (GET or in a list) and secrets that authenticated. */
  readonly present: number;
  /** Deleted objects that answered 404, or secrets that answered 401. */
  readonly absent: number;
}

/**
 * Every required organization and application is readable, every required secret is listed and
 * authenticates (client_credentials), and no deleted secret of a live application is listed.
 * Deletions acknowledged in `cycle` (and a sample of older ones) answer 404, or 401 at the token
 * endpoint.
 */
export async function checkApi(client: HttpClient, ledger: Ledger, cycle: number, findings: Findings): Promise<ApiCheck> {
  let present = 0;
  let absent = 0;
  const expect = async (path: string, status: number, what: string, into: string[]) => {
    const res = await client.request('GET', path);
    if (res.status === status) return true;
    into.push(`${what}: GET ${path} answered ${res.status}`);
    return false;
  };
  const orgs = [...ledger.orgs.values()];
  const apps = [...ledger.apps.values()];
  const secrets = [...ledger.secrets.values()];
  for (const o of orgs.filter((x) => ledger.required('org', x))) if (await expect(`/organizations/${o.id}`, 200, 'acknowledged organization', findings.lost)) present++;
  for (const a of apps.filter((x) => ledger.required('app', x))) {
    if (!(await expect(`/connect/applications/${a.id}`, 200, 'acknowledged application', findings.lost))) continue;
    present++;
    const res = await client.request('GET', `/connect/applications/${a.id}/client_secrets`);
    const listed = new Set(res.status === 200 ? json<{ id: string }[]>(res).map((s) => s.id) : []);
    for (const s of secrets.filter((x) => x.appId === a.id)) {
      if (ledger.required('secret', s) && !listed.has(s.id)) findings.lost.push(`secret ${s.id} (cycle ${s.createdIn}) is not listed`);
      else if (ledger.gone('secret', s) && listed.has(s.id)) findings.revived.push(`secret ${s.id} (deleted in cycle ${s.deletedIn}) is listed again`);
      else if (ledger.required('secret', s)) present++;
      else if (ledger.gone('secret', s)) absent++;
    }
  }
  for (const s of secrets.filter((x) => x.plaintext !== null && ledger.required('secret', x))) {
    const res = await client.token(ledger.app(s).clientId, s.plaintext!);
    if (res.status === 200) present++;
    else findings.lost.push(`secret ${s.id} (cycle ${s.createdIn}) no longer authenticates: ${res.status} ${res.text.slice(0, 120)}`);
  }
  const recent = (e: OrgEntry) => e.deletedIn === cycle;
  const goneOrgs = orgs.filter((o) => o.phase === 'deleted');
  const goneApps = apps.filter((a) => ledger.gone('app', a));
  const goneSecrets = secrets.filter((s) => s.plaintext !== null && ledger.gone('secret', s));
  const pickGone = <T extends OrgEntry>(items: T[], n: number, isRecent: (e: T) => boolean) => [...items.filter(isRecent), ...sample(items.filter((e) => !isRecent(e)), n)];
  for (const o of pickGone(goneOrgs, 10, recent)) if (await expect(`/organizations/${o.id}`, 404, 'deleted organization', findings.revived)) absent++;
  const appRecent = (a: AppEntry) => recent(a) || recent(ledger.org(a));
  for (const a of pickGone(goneApps, 20, appRecent)) if (await expect(`/connect/applications/${a.id}`, 404, 'deleted application', findings.revived)) absent++;
  const secretRecent = (s: SecretEntry) => recent(s) || appRecent(ledger.app(s));
  for (const s of pickGone(goneSecrets, 40, secretRecent)) {
    const res = await client.token(ledger.app(s).clientId, s.plaintext!);
    if (res.status === 401) absent++;
    else findings.revived.push(`deleted secret ${s.id} (cycle ${s.deletedIn ?? ledger.app(s).deletedIn}) answered ${res.status} at the token endpoint`);
  }
  return { present, absent };
}
