/**
 * The HTTP server: one Fastify instance carrying every surface. This file holds the
 * cross-cutting parts (route declarations, readiness gates, authentication, errors, cache headers,
 * request logs), each driven by the route's surface descriptor (./surface.ts); each surface is a
 * plugin of its own under ./surfaces.
 */
import AjvCompiler from '@fastify/ajv-compiler';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import { authorize, isPublic } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import { HearthError } from '../kernel/errors.js';
import type { Hearth } from '../kernel/hearth.js';
import { resolvePrincipal, type Resolver, type Scheme } from './authenticate.js';
import { isHttps } from './client.js';
import { envelope, toHearthError } from './errors.js';
import { parseJson } from './json.js';
import { checkOrigin, isLocalHost } from './origin.js';
import { requestLogger } from './request-log.js';
import { drainBody, hasUnreadBody } from './unread-body.js';
import type { HearthRouteConfig, SurfaceDescriptor } from './surface.js';
import { PLUGINS, SURFACES, surfaceOfPath } from './surfaces/index.js';

export interface ServerOptions {
  hearth: Hearth;
  logger: Logger;
  resolvers: Map<Scheme, Resolver>;
}

/** Routes as registered, for the start-up check and the test that walks them. */
export interface RegisteredRoute {
  method: string;
  url: string;
  config: Partial<HearthRouteConfig>;
  /** Its request schemas (body, querystring), as validated. */
  schema: { body?: unknown; querystring?: unknown };
}

/** A route's validator, as Fastify calls it: `errors` is read after a `false`. */
type Validator = ((data: unknown) => unknown) & { errors?: unknown };
type Builder<R, F> = (externalSchemas: unknown, options: never) => (route: R) => F;

/**
 * Fastify's own compilers (Ajv, fast-json-stringify), each compiling a route's schema when the
 * route is first called instead of at start: most of the routes a daemon carries are never
 * called in a given run, and their compiled code would take start-up time and memory.
 */
function lazyValidators<R>(build: Builder<R, Validator>): Builder<R, Validator> {
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options);
    return (route) => {
      let fn: Validator | undefined;
      const validate: Validator = (data) => {
        fn ??= compile(route);
        const ok = fn(data);
        validate.errors = fn.errors;
        return ok;
      };
      return validate;
    };
  };
}

function lazySerializers<R>(build: Builder<R, (data: unknown) => string>): Builder<R, (data: unknown) => string> {
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options);
    return (route) => {
      let fn: ((data: unknown) => string) | undefined;
      return (data) => (fn ??= compile(route))(data);
    };
  };
}

/** One year; no includeSubDomains, since other names under the domain are not Hearth's to decide. */
const HSTS_VALUE = 'max-age=31536000';

export async function buildServer({ hearth, logger, resolvers }: ServerOptions): Promise<FastifyInstance> {
  const { config } = hearth;
  const hsts = config.server.tls_cert !== '';
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One line per request, written below, with no secrets in it.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (pino's child() serializes its bindings each time): the few
    // lines written about a request carry its id themselves.
    childLoggerFactory: (parent) => parent,
    bodyLimit: config.server.body_limit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // `x-ask-when`: an annotation for the CLI (which optional secret to ask for), not a check.
    schemaController: {
      compilersFactory: {
        buildValidator: lazyValidators(AjvCompiler() as unknown as Builder<unknown, Validator>) as never,
        buildSerializer: lazySerializers(SerializerSelector() as unknown as Builder<unknown, (data: unknown) => string>) as never,
      },
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, keywords: ['x-ask-when'] } },
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    // Behind a reverse proxy the client's address (rate limits, login log) and scheme (secure
    // cookies) come from X-Forwarded-*, believed only from the proxies the owner names.
    trustProxy: config.server.trusted_proxies.length ? config.server.trusted_proxies : false,
    // Errors raised before routing (a malformed URL) get the same envelope as the rest.
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      const e =
        err.code === 'FST_ERR_BAD_URL'
          ? new HearthError('badRequest', 'the URL is not valid (bad percent-encoding)')
          : toHearthError(err, config.server.body_limit);
      void reply.status(e.status).send(envelope(e));
    },
  });

  // JSON bodies everywhere go through the one parser (prototype keys and deep nesting refused);
  // surfaces that take other types add their own parsers in their scope.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);

  const surfaceOf = (req: FastifyRequest): SurfaceDescriptor | null => {
    const name = (req.routeOptions.config as Partial<HearthRouteConfig>).surface;
    return name ? SURFACES[name] : null;
  };

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
      get schema() {
        return (route.schema ?? {}) as RegisteredRoute['schema'];
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
  // never gets a large body parsed. Callback-style hooks: every request pays for these. A body on
  // a GET or HEAD, which no route reads, is first read to its end and dropped (./unread-body.ts).
  const gate = (req: FastifyRequest, done: (err?: Error) => void) => {
    const route = req.routeOptions.config as Partial<HearthRouteConfig>;
    const surface = route.surface ? SURFACES[route.surface] : null;
    try {
      checkOrigin(req, config.server.domain, surface?.crossOrigin ?? false);
    } catch (err) {
      return done(err as Error);
    }
    if (!route.auth || !surface) return done(); // the not-found handler
    for (const component of route.requires ?? []) {
      if (!hearth.components.isOn(component)) {
        const status = hearth.components.get(component)?.status ?? 'off';
        return done(new HearthError('notFound', `${req.routeOptions.url} is not available yet: ${component} is ${status}`));
      }
    }
    if (isPublic(route.auth) && !route.auth.identify) return done();
    const requirement = route.auth;
    const decide = (principal: Principal | null) => {
      req.principal = principal;
      authorize(principal, requirement);
    };
    try {
      const resolved = resolvePrincipal(resolvers, surface.schemes, req.headers, { https: isHttps(req) });
      if (resolved instanceof Promise) {
        resolved.then(decide).then(() => done(), done);
        return;
      }
      decide(resolved);
      done();
    } catch (err) {
      done(err as Error);
    }
  };
  app.addHook('onRequest', (req, _reply, done) => {
    if (hasUnreadBody(req.method, req.headers)) {
      drainBody(req.raw, config.server.body_limit, (err) => (err ? done(err) : gate(req, done)));
      return;
    }
    gate(req, done);
  });

  // While stopping, each answer closes its connection, so a keep-alive client does not hold
  // the stop open until its idle timeout.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (hearth.stopping) reply.header('connection', 'close');
    // Answers that carry or depend on a credential: no cache keeps them (the surface says which).
    const cacheControl = (surfaceOf(req) ?? surfaceOfPath(req.url))?.cacheControl;
    if (cacheControl) reply.header('cache-control', cacheControl);
    // HSTS only for a configured certificate, over HTTPS served here, to a DNS name: with the
    // local CA a browser that does not trust it yet must still be able to click through, and
    // browsers would pin localhost for every port (a proxy sets its own).
    if (hsts && (req.raw.socket as { encrypted?: boolean }).encrypted && req.headers.host && !isLocalHost(req.headers.host)) {
      reply.header('strict-transport-security', HSTS_VALUE);
    }
    done(null, payload);
  });

  const logRequest = requestLogger(logger);
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.config as Partial<HearthRouteConfig>;
    const surface = route.surface ?? 'none';
    hearth.requests.add(surface);
    logRequest({
      reqId: req.id,
      surface,
      method: req.method,
      route: req.routeOptions.url ?? null,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
      principal: req.principal?.credential.kind ?? 'none',
    });
    done();
  });

  app.setErrorHandler((err, req, reply) => {
    const e = toHearthError(err, req.routeOptions.bodyLimit ?? config.server.body_limit);
    if (e.code === 'internal') req.log.error({ reqId: req.id, err }, 'unexpected error');
    const retryAfter = e.details?.retryAfter;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    const route = req.routeOptions.config as Partial<HearthRouteConfig>;
    if (e.status === 401 && route.challenge) void reply.header('www-authenticate', route.challenge);
    const { status, body } = (surfaceOf(req) ?? surfaceOfPath(req.url.split('?')[0]!) ?? SURFACES.native).error(e, req);
    return reply.status(status).send(body);
  });
  // An unknown path: the surface owning its prefix answers (each has its own 404/405/401 rules).
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const owner = surfaceOfPath(path);
    if (owner?.notFound) return owner.notFound(req, reply, app);
    const e = new HearthError('notFound', `no route ${req.method} ${path}`);
    if (owner) {
      const { status, body } = owner.error(e, req);
      return reply.status(status).send(body);
    }
    return reply.status(404).send(envelope(e));
  });

  if (config.services.docs) {
    const { registerDocs } = await import('./surfaces/docs/index.js');
    await registerDocs(app, SURFACES);
  }
  for (const { plugin, prefix } of PLUGINS) await app.register(plugin, { hearth, ...(prefix ? { prefix } : {}) });
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    hearthRoutes: RegisteredRoute[];
  }
}
