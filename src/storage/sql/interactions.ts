import type { Kysely, Selectable } from 'kysely';
import { withRequestDefaults, type AuthorizationRequest, type Interaction } from '../../domain/authorization.ts';
import type { ConsentOption } from '../../domain/user.ts';
import type { CompleteResult, CreateInteractionResult, InteractionLimits, InteractionRepository, NewInteraction, SessionRepository } from '../port.ts';
import { createLimited } from './limits.ts';
import { fromIso, fromIsoOrNull, parseJson, toIso, unstorable } from './rows.ts';
import type { Database, InteractionsTable } from './schema.ts';

function toInteraction(r: Selectable<InteractionsTable>): Interaction {
  return {
    id: r.id,
    applicationId: r.application_id,
    request: withRequestDefaults(parseJson<AuthorizationRequest>(r.request)),
    userId: r.user_id,
    organizationId: r.organization_id,
    consentOptions: parseJson<ConsentOption[]>(r.consent_options),
    createdAt: fromIso(r.created_at),
    expiresAt: fromIso(r.expires_at),
    completedAt: fromIsoOrNull(r.completed_at),
    bindingDigest: r.binding_digest,
    finishedAt: fromIsoOrNull(r.finished_at),
  };
}

export class SqlInteractions implements InteractionRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: 'sqlite' | 'postgres';
  constructor(db: Kysely<Database>, dialect: 'sqlite' | 'postgres') {
    this.#db = db;
    this.#dialect = dialect;
  }

  async create(i: NewInteraction, limits: InteractionLimits): Promise<CreateInteractionResult> {
    return createLimited(this.#db, this.#dialect, 'interactions', i, limits, (trx) => this.#insert(trx, i, toIso(i.at)));
  }

  async #insert(db: Kysely<Database>, i: NewInteraction, at: string): Promise<void> {
    await db
      .insertInto('interactions')
      .values({
        id: i.id,
        application_id: i.applicationId,
        request: JSON.stringify(i.request),
        user_id: i.userId,
        organization_id: null,
        consent_options: '[]',
        resume_digest: null,
        binding_digest: i.bindingDigest,
        created_at: at,
        expires_at: toIso(i.expiresAt),
        // With a live browser session there is nothing for the company's login to complete;
        // completed_at then records when that session's user authenticated.
        completed_at: i.userId === null ? null : toIso(i.authTime ?? i.at),
        resumed_at: i.userId === null ? null : at,
        finished_at: null,
        client_address: i.clientAddress,
      })
      .execute();
  }

  async get(id: string): Promise<Interaction | null> {
    if (unstorable(id)) return null;
    const row = await this.#db.selectFrom('interactions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toInteraction(row) : null;
  }

  async complete(id: string, c: { userId: string; consentOptions: readonly ConsentOption[]; resumeDigest: string; at: Date }): Promise<CompleteResult> {
    if (unstorable(id)) return 'not_found';
    const at = toIso(c.at);
    const r = await this.#db
      .updateTable('interactions')
      .set({ user_id: c.userId, consent_options: JSON.stringify(c.consentOptions), resume_digest: c.resumeDigest, completed_at: at })
      .where('id', '=', id)
      .where('completed_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst();
    if (r.numUpdatedRows > 0n) return 'ok';
    const row = await this.#db.selectFrom('interactions').select(['completed_at', 'expires_at']).where('id', '=', id).executeTakeFirst();
    if (!row || row.expires_at <= at) return 'not_found';
    return 'already_completed';
  }

  async findByResume(resumeDigest: string, at: Date): Promise<Interaction | null> {
    const row = await this.#db
      .selectFrom('interactions')
      .selectAll()
      .where('resume_digest', '=', resumeDigest)
      .where('resumed_at', 'is', null)
      .where('finished_at', 'is', null)
      .where('expires_at', '>', toIso(at))
      .executeTakeFirst();
    return row ? toInteraction(row) : null;
  }

  async resume(id: string, resumeDigest: string, bindingDigest: string, at: Date): Promise<boolean> {
    const now = toIso(at);
    const r = await this.#db
      .updateTable('interactions')
      .set({ resumed_at: now })
      .where('id', '=', id)
      .where('resume_digest', '=', resumeDigest)
      .where('binding_digest', '=', bindingDigest)
      .where('resumed_at', 'is', null)
      .where('finished_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async selectOrganization(id: string, organizationId: string): Promise<void> {
    await this.#db.updateTable('interactions').set({ organization_id: organizationId }).where('id', '=', id).where('finished_at', 'is', null).execute();
  }

  async finish(id: string, at: Date): Promise<boolean> {
    const r = await this.#db.updateTable('interactions').set({ finished_at: toIso(at) }).where('id', '=', id).where('finished_at', 'is', null).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async purge(before: Date): Promise<number> {
    const r = await this.#db.deleteFrom('interactions').where('expires_at', '<', toIso(before)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

export class SqlSessions implements SessionRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(digest: string, userId: string, at: Date, expiresAt: Date): Promise<void> {
    await this.#db.insertInto('user_sessions').values({ digest, user_id: userId, created_at: toIso(at), expires_at: toIso(expiresAt) }).execute();
  }

  async find(digest: string, now: Date): Promise<{ userId: string; authTime: Date } | null> {
    const row = await this.#db
      .selectFrom('user_sessions')
      .select(['user_id', 'created_at'])
      .where('digest', '=', digest)
      .where('expires_at', '>', toIso(now))
      .executeTakeFirst();
    return row ? { userId: row.user_id, authTime: fromIso(row.created_at) } : null;
  }

  async delete(digest: string): Promise<void> {
    await this.#db.deleteFrom('user_sessions').where('digest', '=', digest).execute();
  }

  async purge(now: Date): Promise<number> {
    const r = await this.#db.deleteFrom('user_sessions').where('expires_at', '<', toIso(now)).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
