/**
 * What every surface is, declared once: the credential schemes it accepts, how it says what went
 * wrong, how its answers may be cached, what it answers for a path it does not have, and how the
 * OpenAPI document describes its security. And what every route declares (in Fastify's per-route
 * `config`): who may call it, its surface, and the components it needs. The server refuses to
 * start with a route that declares no `auth`.
 */
import type { Static, TSchema, TUnknown } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, RouteOptions } from 'fastify';
import type { AuthRequirement, PublicRequirement, RoleRequirement } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import type { HearthError } from '../kernel/errors.js';
import type { Hearth } from '../kernel/hearth.js';
import type { Scheme } from './authenticate.js';
import { envelope } from './errors.js';

export type SurfaceName = 'native' | 'rest' | 'tokens' | 'health' | 'docs' | 'console' | 'bitwarden';

/** An OpenAPI security requirement: alternatives, each a set of schemes used together. */
export type Security = Record<string, string[]>[];

export interface SurfaceDescriptor {
  name: SurfaceName;
  /** The credential schemes its routes accept, in the order they are tried. */
  schemes: readonly Scheme[];
  /** Path prefixes it owns: an unknown path under one gets this surface's not-found answer. */
  prefixes: readonly string[];
  /** How it answers an error: the status (a surface may map some) and the body. */
  error(err: HearthError, req: FastifyRequest): { status: number; body: unknown };
  /**
   * `Cache-Control` set on every answer, or null when each route sets its own (static files).
   * Every answer that carries or depends on a credential is `no-store`.
   */
  cacheControl: 'no-store' | null;
  /** Pages of other origins may call its routes (Bearer-only surfaces, like the Bitwarden apps'). */
  crossOrigin: boolean;
  /** The OpenAPI security of its routes that need a credential. */
  security: Security;
  /** The answer for a path under one of its prefixes that has no route (default: 404 in its error shape). */
  notFound?(req: FastifyRequest, reply: FastifyReply, app: FastifyInstance): FastifyReply;
}

/**
 * A surface of public pages (health, the docs, the console's files): no credential scheme, the
 * native envelope for errors, no OpenAPI security. `cacheControl`: no-store for answers that
 * change with the daemon's state, null where each route sets its own.
 */
export function publicSurface(name: SurfaceName, cacheControl: 'no-store' | null): SurfaceDescriptor {
  return { name, schemes: [], prefixes: [], error: (err) => ({ status: err.status, body: envelope(err) }), cacheControl, crossOrigin: false, security: [] };
}

export interface HearthRouteConfig {
  auth: AuthRequirement;
  surface: SurfaceName;
  /** Components that must be on; until then the route answers 404 (as in Swarm Bee). */
  requires?: readonly string[];
  /** `WWW-Authenticate` sent with a 401 (the token service's routes). */
  challenge?: string;
  /** OpenAPI security where the route's differs from its surface's (a password as Basic auth). */
  security?: Security;
}

/** What a surface's plugin is given. */
export interface SurfaceOptions {
  hearth: Hearth;
}

/** A request whose body has passed `B`. */
export type CheckedRequest<B extends TSchema = TUnknown> = FastifyRequest<{
  Body: Static<B>;
  Params: Record<string, string>;
  Querystring: Record<string, string | undefined>;
}>;

/** One route, as a surface's resource file lists it at its top. */
export interface RouteDef<B extends TSchema = TUnknown> {
  method: HTTPMethods | HTTPMethods[];
  url: string;
  auth: AuthRequirement;
  summary: string;
  /** The body's schema: validated before the handler reads it. */
  body?: B;
  querystring?: TSchema;
  bodyLimit?: number;
  requires?: readonly string[];
  challenge?: string;
  security?: Security;
  /** Left out of the OpenAPI document (static files). */
  hidden?: boolean;
  /** Content types of the body, where not JSON alone (the OAuth token endpoint takes forms). */
  consumes?: string[];
  handler: (req: CheckedRequest<B>, reply: FastifyReply) => unknown;
}

/** A request the policy let through to a route that needs a credential: it has a principal. */
export type AuthedRequest<B extends TSchema = TUnknown> = CheckedRequest<B> & { principal: Principal };

/** A route that needs a credential: its handler sees the principal (no assertions in the handlers). */
export interface AuthedRouteDef<B extends TSchema> extends Omit<RouteDef<B>, 'auth' | 'handler'> {
  auth: RoleRequirement;
  handler: (req: AuthedRequest<B>, reply: FastifyReply) => unknown;
}

/** A route, its handler typed by its body schema and, where it needs a credential, given the principal. */
export function route<B extends TSchema = TUnknown>(def: AuthedRouteDef<B>): RouteDef;
export function route<B extends TSchema = TUnknown>(def: RouteDef<B> & { auth: PublicRequirement }): RouteDef;
export function route<B extends TSchema = TUnknown>(def: RouteDef<B> | AuthedRouteDef<B>): RouteDef {
  // The one widening: the server runs a handler only after `authorize` passed, which for a role
  // requirement means the principal is there.
  return def as unknown as RouteDef;
}

/** Registers a surface's routes, each declaring its auth and surface as the server requires. */
export function addRoutes(
  app: FastifyInstance,
  surface: SurfaceDescriptor,
  routes: readonly RouteDef[],
  defaults: { requires?: readonly string[]; tag?: string } = {},
): void {
  for (const r of routes) {
    const options: RouteOptions = {
      method: r.method,
      url: r.url,
      config: { auth: r.auth, surface: surface.name, requires: r.requires ?? defaults.requires, challenge: r.challenge, security: r.security },
      schema: r.hidden
        ? { hide: true }
        : {
            summary: r.summary,
            tags: [defaults.tag ?? surface.name],
            ...(r.body ? { body: r.body } : {}),
            ...(r.querystring ? { querystring: r.querystring } : {}),
            ...(r.consumes ? { consumes: r.consumes } : {}),
          },
      handler: r.handler as RouteOptions['handler'],
      ...(r.bodyLimit ? { bodyLimit: r.bodyLimit } : {}),
    };
    app.route(options);
  }
}

declare module 'fastify' {
  // Declaration merging: Fastify's per-route `config` gains Hearth's fields (the interface must stay empty).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyContextConfig extends Partial<HearthRouteConfig> {}
  interface FastifyRequest {
    principal: Principal | null;
  }
}
