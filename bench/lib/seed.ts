import { performance } from 'node:perf_hooks';
import { sql, type Insertable, type Kysely } from 'kysely';
import { createIdGenerator, ID_PREFIX, UlidFactory } from '../../src/domain/ids.ts';
import type { ConnectApplicationsTable, Database, OrganizationsTable } from '../../src/storage/sql/schema.ts';
import { openStorage } from '../../src/storage/sql/store.ts';
import { openKysely } from './databases.ts';

/** Applications per organization: the same on every size, so the filtered list reads pages of the same shape. */
export const APPS_PER_ORGANIZATION = 100;
/** IDs kept in memory to address during the runs (the 1,000,000 rows themselves are not). */
const SAMPLE_MAX = 20_000;
/** Rows per multi-row INSERT: 13 columns x 1,000 = 13,000 parameters, under both dialects' limits. */
const BATCH_ROWS = 1_000;
/** Rows per transaction. */
const TX_ROWS = 50_000;
/** Simulated spacing of creation times, so IDs and created_at agree the way real traffic would make them. */
const APP_SPACING_MS = 30_000;
const ORG_SPACING_MS = 60_000;

export interface SampledApp {
  /** Position in creation order (0 = oldest). */
  readonly index: number;
  readonly id: string;
  readonly clientId: string;
}

export interface SeedResult {
  readonly applications: number;
  readonly organizations: number;
  readonly seconds: number;
  /** Up to SAMPLE_MAX applications spread evenly over the whole table. */
  readonly sample: readonly SampledApp[];
  readonly organizationIds: readonly string[];
  /** Application IDs from the middle fifth of the table (40%-60% of creation order): `after` cursors. */
  readonly middleCursors: readonly string[];
}

type AppRow = Insertable<ConnectApplicationsTable>;
type OrgRow = Insertable<OrganizationsTable>;

/**
 * Migrates the database with the server's own code (openStorage().migrate()),
 * then bulk-inserts `applications` Connect applications owned by
 * applications / APPS_PER_ORGANIZATION organizations, straight into the tables,
 * in the column formats of src/storage/sql/applications.ts and organizations.ts.
 *
 * Shapes, by kind = floor(i / orgs) % 10: 0 first-party OAuth (no
 * organization), 1 third-party OAuth, otherwise M2M; owner = organization
 * i % orgs, so every organization's applications are spread over the whole
 * ID range and every organization has every shape.
 * IDs come from UlidFactory on a simulated clock: strictly increasing, as
 * the keyset pagination requires.
 */
export async function seed(url: string, applications: number, log: (line: string) => void): Promise<SeedResult> {
  const started = performance.now();
  const storage = openStorage({ url });
  try {
    await storage.migrate();
  } finally {
    await storage.close();
  }

  const orgCount = Math.max(1, Math.ceil(applications / APPS_PER_ORGANIZATION));
  let clock = Date.now() - orgCount * ORG_SPACING_MS - applications * APP_SPACING_MS - 86_400_000;
  const ids = createIdGenerator(new UlidFactory(() => clock));

  const db = openKysely(url);
  try {
    const organizationIds: string[] = [];
    await insertInBatches(db, 'organizations', orgCount, (i): OrgRow => {
      clock += ORG_SPACING_MS;
      const at = new Date(clock).toISOString();
      const id = ids(ID_PREFIX.organization);
      organizationIds.push(id);
      return { id, name: `Bench Org ${i}`, external_id: null, metadata: '{}', allow_profiles_outside_organization: 0, stripe_customer_id: null, created_at: at, updated_at: at };
    });

    const stride = Math.max(1, Math.floor(applications / SAMPLE_MAX));
    const sample: SampledApp[] = [];
    const middleCursors: string[] = [];
    const midLo = Math.floor(applications * 0.4);
    const midHi = Math.ceil(applications * 0.6);
    let lastReport = performance.now();
    await insertInBatches(
      db,
      'connect_applications',
      applications,
      (i): AppRow => {
        clock += APP_SPACING_MS;
        const id = ids(ID_PREFIX.application);
        const clientId = ids(ID_PREFIX.clientId);
        if (i % stride === 0) {
          sample.push({ index: i, id, clientId });
          if (i >= midLo && i < midHi) middleCursors.push(id);
        }
        // Owner i mod orgs; the shape cycles once per pass over the organizations, so every
        // organization gets every shape (and about 90 applications: first-party ones have no owner).
        const kind = Math.floor(i / orgCount) % 10;
        return applicationRow(i, kind, id, clientId, organizationIds[i % orgCount]!, new Date(clock).toISOString());
      },
      (done) => {
        if (performance.now() - lastReport > 10_000 || done === applications) {
          lastReport = performance.now();
          log(`  seeded ${done.toLocaleString('en-US')} / ${applications.toLocaleString('en-US')} applications (${((performance.now() - started) / 1000).toFixed(1)} s)`);
        }
      },
    );

    if (url.startsWith('sqlite:')) {
      // Leave no seeding WAL behind for the server's first reads to wade through.
      await sql`pragma wal_checkpoint(truncate)`.execute(db);
    } else {
      // What autovacuum would reach shortly after a bulk load: planner statistics and a visibility map.
      await sql`vacuum analyze`.execute(db);
    }

    const counted = await db.selectFrom('connect_applications').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    if (Number(counted.n) !== applications) throw new Error(`seeding produced ${String(counted.n)} applications, expected ${applications}`);
    if (middleCursors.length === 0 && sample.length > 0) middleCursors.push(sample[Math.floor(sample.length / 2)]!.id);

    return {
      applications,
      organizations: orgCount,
      seconds: (performance.now() - started) / 1000,
      sample,
      organizationIds,
      middleCursors,
    };
  } finally {
    await db.destroy();
  }
}

/** Inserts rows 0..count-1 made by `row`, BATCH_ROWS per INSERT and TX_ROWS per transaction; `committed` after each transaction. */
async function insertInBatches<T extends 'organizations' | 'connect_applications'>(
  db: Kysely<Database>,
  table: T,
  count: number,
  row: (i: number) => Insertable<Database[T]>,
  committed?: (done: number) => void,
): Promise<void> {
  for (let start = 0; start < count; start += TX_ROWS) {
    await db.transaction().execute(async (trx) => {
      for (let b = start; b < Math.min(count, start + TX_ROWS); b += BATCH_ROWS) {
        const rows: Insertable<Database[T]>[] = [];
        for (let i = b; i < Math.min(count, b + BATCH_ROWS); i++) rows.push(row(i));
        await trx.insertInto(table).values(rows).execute();
      }
    });
    committed?.(Math.min(count, start + TX_ROWS));
  }
}

function applicationRow(i: number, kind: number, id: string, clientId: string, organizationId: string, at: string): AppRow {
  const common = {
    id,
    client_id: clientId,
    name: `Bench App ${i}`,
    description: i % 3 === 0 ? null : `Benchmark application number ${i}`,
    scopes: JSON.stringify(i % 2 === 0 ? ['read', 'write'] : ['read']),
    was_dynamically_registered: 0,
    created_at: at,
    updated_at: at,
  };
  if (kind === 0 || kind === 1) {
    return {
      ...common,
      application_type: 'oauth',
      organization_id: kind === 0 ? null : organizationId,
      is_first_party: kind === 0 ? 1 : 0,
      uses_pkce: kind === 0 ? 1 : 0,
      redirect_uris: JSON.stringify([{ uri: `https://app${i}.example.com/callback`, default: true }]),
    };
  }
  return { ...common, application_type: 'm2m', organization_id: organizationId, is_first_party: 0, uses_pkce: 0, redirect_uris: '[]' };
}
