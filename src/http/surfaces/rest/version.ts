/** SelfPrivacy's `/api/version`, which its app reads before it has a token. */
import { PUBLIC } from '../../../auth/policy.js';
import { route, type RouteDef } from '../../surface.js';

/** The SelfPrivacy API version whose clients this surface serves (its app enables features by it). */
export const SELFPRIVACY_API_VERSION = '1.2.7';

export const versionRoutes = (): RouteDef[] => [
  route({
    method: 'GET',
    url: '/api/version',
    auth: PUBLIC,
    summary: 'The SelfPrivacy API version served',
    handler: () => ({ version: SELFPRIVACY_API_VERSION }),
  }),
];
