import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-registry.ts';
import * as m0002 from './0002-oauth.ts';
import * as m0003 from './0003-users.ts';
import * as m0004 from './0004-flow-limits.ts';
import * as m0005 from './0005-last-sign-in.ts';
import * as m0006 from './0006-dynamic-clients.ts';
import * as m0007 from './0007-device-and-exchange.ts';
import * as m0008 from './0008-webhooks.ts';
import * as m0009 from './0009-dashboard.ts';

/** Every migration, in order. Names are their sort keys; never rename one that shipped. */
export const migrations: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '0001-registry': m0001, '0002-oauth': m0002, '0003-users': m0003, '0004-flow-limits': m0004, '0005-last-sign-in': m0005, '0006-dynamic-clients': m0006,
      '0007-device-and-exchange': m0007, '0008-webhooks': m0008, '0009-dashboard': m0009,
    };
  },
};
