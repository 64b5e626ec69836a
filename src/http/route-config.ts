/**
 * What every route declares (in Fastify's per-route `config`): who may call it, which surface it
 * belongs to, and which components it needs. The server refuses to start with a route that
 * declares no `auth`.
 */
import type { AuthRequirement } from '../auth/policy.js';
import type { CredentialKind, Principal } from '../auth/principal.js';

export type Surface = 'native' | 'health' | 'docs';

export interface HearthRouteConfig {
  auth: AuthRequirement;
  surface: Surface;
  /** Components that must be on; until then the route answers 404 (as in Swarm Bee). */
  requires?: readonly string[];
  /** Credential kinds this route accepts; defaults to its surface's. */
  accepts?: readonly CredentialKind[];
}

/** The credentials each surface accepts (the Bitwarden surface, later, does not take the global token). */
export const SURFACE_CREDENTIALS: Record<Surface, readonly CredentialKind[]> = {
  native: ['global'],
  health: ['global'],
  docs: ['global'],
};

declare module 'fastify' {
  interface FastifyContextConfig extends Partial<HearthRouteConfig> {}
  interface FastifyRequest {
    principal: Principal | null;
  }
}
