/** `/health` answers once the process listens; `/readiness` only when every component is up (as in Swarm Bee). */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PUBLIC } from '../../../auth/policy.js';
import { VERSION_CORE } from '../../../kernel/version.js';
import { addRoutes, publicSurface, route, type SurfaceDescriptor, type SurfaceOptions } from '../../surface.js';

// Monitoring must see the state now, not a cached one.
export const HEALTH: SurfaceDescriptor = publicSurface('health', 'no-store');

export async function healthSurface(app: FastifyInstance, { hearth }: SurfaceOptions) {
  addRoutes(app, HEALTH, [
    route({ method: 'GET', url: '/health', auth: PUBLIC, summary: 'Liveness: the process is up', handler: () => ({ status: 'ok', version: VERSION_CORE }) }),
    route({
      method: 'GET',
      url: '/readiness',
      auth: PUBLIC,
      summary: 'Readiness: 200 once the store is migrated and every enabled component is on, else 503',
      handler: (_req, reply: FastifyReply) => {
        const waiting = hearth.components.notReady();
        if (Object.keys(waiting).length === 0) return { status: 'ready', version: VERSION_CORE };
        // States only: error texts (paths, hosts) are for `core/status`, which needs a credential.
        const states = Object.fromEntries(Object.entries(waiting).map(([name, c]) => [name, { status: c.status }]));
        return reply.status(503).send({ status: 'notReady', waiting: states });
      },
    }),
  ]);
}
