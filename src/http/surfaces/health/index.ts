/**
 * `/health` answers once the process listens; `/readiness` only when every component is up (as in Swarm Bee);
 * `/provider.json` is this server's provider document (public, as Bitmask's: a client reads it before it has an account);
 * `/ca.pem` is the local CA's certificate, for phones and laptops to trust (public: it is no secret,
 * and a device fetches it before it has any credential; it checks the fingerprint the console shows).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PUBLIC } from '../../../auth/policy.js';
import { HearthError } from '../../../kernel/errors.js';
import { VERSION_CORE } from '../../../kernel/version.js';
import { providerDocument } from '../../../features/providers/service.js';
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
    route({
      method: 'GET',
      url: '/.well-known/acme-challenge/:token',
      auth: PUBLIC,
      summary: 'ACME HTTP-01: the key authorization of a challenge being answered (while [server] acme_directory gets a certificate)',
      hidden: true,
      handler: (req, reply: FastifyReply) => {
        const answer = hearth.acmeChallenges.get(req.params.token ?? '');
        if (answer === undefined) throw new HearthError('notFound', 'no such ACME challenge is being answered');
        return reply.type('text/plain; charset=utf-8').send(answer);
      },
    }),
    route({
      method: 'GET',
      url: '/provider.json',
      auth: PUBLIC,
      summary: "This server's provider document (Bitmask's): its API, domain, CA fingerprint and URL, enrollment policy and services",
      handler: () => providerDocument(hearth),
    }),
    route({
      method: 'GET',
      url: '/ca.pem',
      auth: PUBLIC,
      summary: "The local CA's certificate (PEM) that devices trust for HTTPS; 404 when HTTPS is off or uses another certificate",
      handler: (_req, reply: FastifyReply) => {
        const tls = hearth.tls;
        if (!tls)
          throw new HearthError('notFound', 'HTTPS is off on this server, so there is no CA to trust; the maintainer turns it on with [server] tls_listen');
        if (!tls.ca_cert_path)
          throw new HearthError(
            'notFound',
            'this server uses a certificate from a public or configured CA, not its local one: devices need no extra CA to trust it',
          );
        let pem: string;
        try {
          pem = readFileSync(tls.ca_cert_path, 'utf8');
        } catch {
          throw new HearthError('notFound', 'the local CA certificate is missing from the home; restart hearthd to make it again');
        }
        return reply
          .type('application/x-x509-ca-cert')
          .header('content-disposition', 'attachment; filename="hearth-ca.pem"')
          .header('x-hearth-ca-fingerprint', tls.ca_cert_fingerprint)
          .send(pem);
      },
    }),
  ]);
}
