/**
 * The HTTP server: one Fastify instance carrying every surface. This file holds the
 * cross-cutting parts (route declarations, readiness gates, authentication, errors, request
 * logs); each surface is a plugin of its own under ./surfaces.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import { authorize } from '../auth/policy.js';
import type { CredentialKind, Principal } from '../auth/principal.js';
import { resolvePrincipal, type Resolver } from '../auth/resolvers.js';
import type { Hearth } from '../core/hearth.js';
import { HearthError } from '../errors.js';
import { envelope, toHearthError } from './errors.js';
import { SURFACE_CREDENTIALS, type HearthRouteConfig } from './route-config.js';
import { healthSurface } from './surfaces/health.js';
import { nativeSurface } from './surfaces/native.js';

export interface ServerOptions {
  hearth: Hearth;
  logger: Logger;
  resolvers: Map<CredentialKind, Resolver>;
}

/** Routes as registered, for the start-up check and the test that walks them. */
export interface RegisteredRoute {
  method: string;
  url: string;
  config: Partial<HearthRouteConfig>;
}

export async function buildServer({ hearth, logger, resolvers }: ServerOptions): Promise<FastifyInstance> {
  const { config } = hearth;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One line per request, written below, with no secrets in it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.server.body_limit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    // Errors raised before routing (a malformed URL) get the same envelope as the rest.
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      const e = err.code === 'FST_ERR_BAD_URL' ? new HearthError('badRequest', 'the URL is not valid (bad percent-encoding)') : toHearthError(err, config.server.body_limit);
      void reply.status(e.status).send(envelope(e));
    },
  });

  const routes: RegisteredRoute[] = [];
  app.decorate('hearthRoutes', routes);
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route: RouteOptions) => {
    routes.push({
      method: String(route.method),
      url: route.url,
      get config() {
        return (route.config ?? {}) as Partial<HearthRouteConfig>;
      },
    });
  });
  app.addHook('onReady', async () => {
    const undeclared = routes.filter((r) => !r.config.auth || !r.config.surface);
    if (undeclared.length) {
      throw new Error(`routes without an auth declaration: ${undeclared.map((r) => `${r.method} ${r.url}`).join(', ')}`);
    }
  });

  // Gates and authentication run before the body is read, so a caller without a credential
  // never gets a large body parsed. Callback-style hooks: every request pays for these.
  app.addHook('onRequest', (req, _reply, done) => {
    const route = req.routeOptions.config as Partial<HearthRouteConfig>;
    if (!route.auth) return done(); // the not-found handler
    for (const component of route.requires ?? []) {
      if (!hearth.components.isOn(component)) {
        const status = hearth.components.get(component)?.status ?? 'off';
        return done(new HearthError('notFound', `${req.routeOptions.url} is not available yet: ${component} is ${status}`));
      }
    }
    if ('public' in route.auth) return done();
    const requirement = route.auth;
    const decide = (principal: Principal | null) => {
      req.principal = principal;
      authorize(principal, requirement);
    };
    try {
      const resolved = resolvePrincipal(resolvers, route.accepts ?? SURFACE_CREDENTIALS[route.surface!], req.headers);
      if (resolved instanceof Promise) {
        resolved.then(decide).then(() => done(), done);
        return;
      }
      decide(resolved);
      done();
    } catch (err) {
      done(err as Error);
    }
  });

  // While stopping, each answer closes its connection, so a keep-alive client does not hold
  // the stop open until its idle timeout.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (hearth.stopping) reply.header('connection', 'close');
    done(null, payload);
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.config as Partial<HearthRouteConfig>;
    const surface = route.surface ?? 'none';
    hearth.requests.add(surface);
    req.log.info(
      {
        surface,
        method: req.method,
        route: req.routeOptions.url ?? null,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        principal: req.principal?.credential.kind ?? 'none',
      },
      'request',
    );
    done();
  });

  app.setErrorHandler((err, req, reply) => {
    const e = toHearthError(err, config.server.body_limit);
    if (e.code === 'internal') req.log.error({ err }, 'unexpected error');
    return reply.status(e.status).send(envelope(e));
  });
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/API/') && req.method !== 'POST') {
      return reply.status(405).header('allow', 'POST').send(envelope(new HearthError('methodNotAllowed', 'native commands are called with POST')));
    }
    const what = req.url.startsWith('/API/') ? `unknown command ${req.url.slice(5).split('?')[0]}` : `no route ${req.method} ${req.url.split('?')[0]}`;
    return reply.status(404).send(envelope(new HearthError('notFound', what)));
  });

  if (config.services.docs) {
    const { registerDocs } = await import('./surfaces/docs.js');
    await registerDocs(app);
  }
  await app.register(healthSurface, { hearth });
  await app.register(nativeSurface, { hearth });
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    hearthRoutes: RegisteredRoute[];
  }
}
