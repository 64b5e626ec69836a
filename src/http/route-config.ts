/**
 * What every route declares (in Fastify's per-route `config`): who may call it, which surface it
 * belongs to, and which components it needs. The server refuses to start with a route that
 * declares no `auth`.
 */
import type { AuthRequirement } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import type { Scheme } from '../auth/resolvers.js';

export type Surface = 'native' | 'rest' | 'tokens' | 'health' | 'docs' | 'console' | 'bitwarden';

export interface HearthRouteConfig {
  auth: AuthRequirement;
  surface: Surface;
  /** Components that must be on; until then the route answers 404 (as in Swarm Bee). */
  requires?: readonly string[];
  /** Pages of other origins may call it (routes that take only Bearer tokens, like the Bitwarden apps'). */
  crossOrigin?: boolean;
  /** `WWW-Authenticate` sent with a 401 (the token service's routes). */
  challenge?: string;
  /** Credential schemes this route accepts; defaults to its surface's. */
  accepts?: readonly Scheme[];
}

/**
 * The credential schemes each surface accepts. Every surface takes every header scheme of
 * Hearth's own; the native API, which the console calls, also takes its session cookie with the
 * CSRF header (tried last, so a header credential wins). The Bitwarden surface takes only its own
 * tokens (never the global token, a session, a device or a role token).
 */
const ALL_SCHEMES: readonly Scheme[] = ['global', 'token', 'bearer'];
export const SURFACE_CREDENTIALS: Record<Surface, readonly Scheme[]> = {
  native: [...ALL_SCHEMES, 'cookie'],
  rest: ALL_SCHEMES,
  tokens: ['bearer'],
  health: ALL_SCHEMES,
  docs: ALL_SCHEMES,
  console: [],
  bitwarden: ['bitwarden'],
};

declare module 'fastify' {
  interface FastifyContextConfig extends Partial<HearthRouteConfig> {}
  interface FastifyRequest {
    principal: Principal | null;
  }
}
