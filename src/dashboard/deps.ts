import type { ManagementDeps } from '../management/deps.ts';
import type { Pages } from '../pages/kit.ts';
import type { ManagementApi } from './api.ts';

/**
 * What the dashboard needs: the management API (its only way to data), the
 * page kit (brand, stylesheet, CSP), and, for signing operators in and out
 * only, the API-key service and the settings row holding the password hash.
 */
export interface DashboardDeps extends ManagementDeps {
  readonly api: ManagementApi;
  readonly pages: Pages;
}
