/** `/health` answers once the process listens; `/readiness` only when every component is up (as in Swarm Bee). */
import type { FastifyInstance } from 'fastify';
import { PUBLIC } from '../../auth/policy.js';
import type { Hearth } from '../../core/hearth.js';
import { VERSION_CORE } from '../../version.js';

export async function healthSurface(app: FastifyInstance, { hearth }: { hearth: Hearth }) {
  const config = { auth: PUBLIC, surface: 'health' as const };
  app.get('/health', { config, schema: { summary: 'Liveness: the process is up', tags: ['health'] } }, async () => ({
    status: 'ok',
    version: VERSION_CORE,
  }));
  app.get(
    '/readiness',
    { config, schema: { summary: 'Readiness: 200 once the store is migrated and every enabled component is on, else 503', tags: ['health'] } },
    async (_req, reply) => {
      const waiting = hearth.components.notReady();
      if (Object.keys(waiting).length === 0) return { status: 'ready', version: VERSION_CORE };
      // States only: error texts (paths, hosts) are for `core/status`, which needs a credential.
      const states = Object.fromEntries(Object.entries(waiting).map(([name, c]) => [name, { status: c.status }]));
      return reply.status(503).send({ status: 'notReady', waiting: states });
    },
  );
}
