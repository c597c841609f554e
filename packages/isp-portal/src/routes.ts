import type { PortalRoute } from './web/route-table';
import { authRoutes } from './auth/auth.routes';
import { accountRoutes } from './auth/account.routes';
import { listApi } from './api/lists.api';
import { batchApi } from './api/batches.api';
import { registryApi } from './api/registry.api';
import { listPages } from './pages/lists.pages';
import { batchPages } from './pages/batches.pages';
import { registryPages } from './pages/registry.pages';
import { adminPages } from './pages/admin.pages';
import { statsPages } from './pages/stats.pages';
import { registryImportPages } from './pages/registry-import.pages';
import { statsApi } from './api/stats.api';
import { listDecisionPages } from './pages/list-decision.pages';
import { adminSettingsPages } from './pages/settings.pages';
import { sourceApi } from './api/sources.api';
import { sourcePages } from './pages/sources.pages';

/** Every page and API route, in one table: the server registers it and the isolation test walks it. */
export const ROUTES: PortalRoute[] = [
  ...authRoutes,
  ...accountRoutes,
  ...listPages,
  ...batchPages,
  ...registryPages,
  ...adminPages,
  ...statsPages,
  ...registryImportPages,
  ...listDecisionPages,
  ...adminSettingsPages,
  ...sourcePages,
  ...listApi,
  ...batchApi,
  ...registryApi,
  ...statsApi,
  ...sourceApi,
];
