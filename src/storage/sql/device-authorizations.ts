import type { Kysely, Selectable } from 'kysely';
import type { Grant } from '../../domain/authorization.ts';
import { pollTiming, type DeviceAuthorization } from '../../domain/device.ts';
import type { CreateInteractionResult, DeviceAuthorizationRepository, InteractionLimits, NewDeviceAuthorization } from '../port.ts';
import { grantFields } from './grant-rows.ts';
import { createLimited } from './limits.ts';
import { atomically, fromIso, fromIsoOrNull, parseJson, toIso, unstorable } from './rows.ts';
import type { Database, DeviceAuthorizationsTable } from './schema.ts';

type Row = Selectable<DeviceAuthorizationsTable>;

function toStatus(s: string): DeviceAuthorization['status'] {
  return s === 'approved' || s === 'denied' ? s : 'pending';
}

/** The approved grant, when the row holds one (every column is set together by `approve`). */
function grantOf(r: Row): Grant | null {
  if (r.user_id === null || r.consent_id === null || r.granted_scopes === null || r.claims === null || r.auth_time === null) return null;
  return grantFields({ ...r, user_id: r.user_id, consent_id: r.consent_id, scopes: r.granted_scopes, claims: r.claims, auth_time: r.auth_time });
}

function toDevice(r: Row): DeviceAuthorization {
  return {
    id: r.id,
    applicationId: r.application_id,
    clientId: r.client_id,
    scopes: parseJson<string[]>(r.scopes),
    resource: r.resource,
    userCodeSealed: Buffer.from(r.user_code_sealed, 'base64'),
    createdAt: fromIso(r.created_at),
    expiresAt: fromIso(r.expires_at),
    intervalSeconds: Number(r.interval_seconds),
    lastPolledAt: fromIsoOrNull(r.last_polled_at),
    status: toStatus(r.status),
    grant: grantOf(r),
    redeemedAt: fromIsoOrNull(r.redeemed_at),
  };
}

/** Device authorizations (RFC 8628): every transition is one conditional statement. */
export class SqlDeviceAuthorizations implements DeviceAuthorizationRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: 'sqlite' | 'postgres';
  constructor(db: Kysely<Database>, dialect: 'sqlite' | 'postgres') {
    this.#db = db;
    this.#dialect = dialect;
  }

  async create(d: NewDeviceAuthorization, limits: InteractionLimits): Promise<CreateInteractionResult> {
    return createLimited(this.#db, this.#dialect, 'device_authorizations', d, limits, async (trx) => {
      await trx
        .insertInto('device_authorizations')
        .values({
          id: d.id,
          digest: d.digest,
          user_code_digest: d.userCodeDigest,
          user_code_sealed: d.userCodeSealed.toString('base64'),
          application_id: d.applicationId,
          client_id: d.clientId,
          scopes: JSON.stringify(d.scopes),
          resource: d.resource,
          client_address: d.clientAddress,
          created_at: toIso(d.at),
          expires_at: toIso(d.expiresAt),
          interval_seconds: d.intervalSeconds,
          last_polled_at: null,
          status: 'pending',
          decided_at: null,
          user_id: null,
          consent_id: null,
          organization_id: null,
          granted_scopes: null,
          claims: null,
          auth_time: null,
          redeemed_at: null,
        })
        .execute();
    });
  }

  async get(id: string): Promise<DeviceAuthorization | null> {
    if (unstorable(id)) return null;
    const row = await this.#db.selectFrom('device_authorizations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDevice(row) : null;
  }

  async findByDigest(digest: string): Promise<DeviceAuthorization | null> {
    const row = await this.#db.selectFrom('device_authorizations').selectAll().where('digest', '=', digest).executeTakeFirst();
    return row ? toDevice(row) : null;
  }

  async findPendingByUserCode(userCodeDigest: string, at: Date): Promise<DeviceAuthorization | null> {
    const row = await this.#db
      .selectFrom('device_authorizations')
      .selectAll()
      .where('user_code_digest', '=', userCodeDigest)
      .where('status', '=', 'pending')
      .where('expires_at', '>', toIso(at))
      .executeTakeFirst();
    return row ? toDevice(row) : null;
  }

  async recordPoll(digest: string, at: Date): Promise<{ tooFast: boolean; intervalSeconds: number } | null> {
    const now = toIso(at);
    return atomically(this.#db, async (trx) => {
      // Concurrent polls queue here (the row lock on PostgreSQL, the write lock on SQLite), so each one
      // sees the poll before it: of two polls at the same instant, the second is too fast.
      let q = trx.selectFrom('device_authorizations').select(['id', 'last_polled_at', 'interval_seconds']).where('digest', '=', digest).where('status', '=', 'pending');
      if (this.#dialect === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      if (!row) return null;
      const timing = pollTiming(fromIsoOrNull(row.last_polled_at), Number(row.interval_seconds), at);
      await trx.updateTable('device_authorizations').set({ last_polled_at: now, interval_seconds: timing.intervalSeconds }).where('id', '=', row.id).execute();
      return timing;
    });
  }

  async approve(id: string, grant: Grant, at: Date): Promise<boolean> {
    if (unstorable(id)) return false;
    const now = toIso(at);
    const r = await this.#db
      .updateTable('device_authorizations')
      .set({
        status: 'approved',
        decided_at: now,
        user_id: grant.userId,
        consent_id: grant.consentId,
        organization_id: grant.organizationId,
        granted_scopes: JSON.stringify(grant.scopes),
        claims: JSON.stringify(grant.claims),
        auth_time: toIso(grant.authTime),
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async deny(id: string, at: Date): Promise<boolean> {
    if (unstorable(id)) return false;
    const now = toIso(at);
    const r = await this.#db
      .updateTable('device_authorizations')
      .set({ status: 'denied', decided_at: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async redeem(digest: string, clientId: string, at: Date): Promise<DeviceAuthorization | null> {
    const now = toIso(at);
    // One conditional statement: of any number of concurrent polls exactly one wins, on every node.
    const row = await this.#db
      .updateTable('device_authorizations')
      .set({ redeemed_at: now })
      .where('digest', '=', digest)
      .where('client_id', '=', clientId)
      .where('status', '=', 'approved')
      .where('redeemed_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    return row ? toDevice(row) : null;
  }

  async purge(before: Date): Promise<number> {
    const r = await this.#db.deleteFrom('device_authorizations').where('expires_at', '<', toIso(before)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
