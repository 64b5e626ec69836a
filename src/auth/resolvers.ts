/**
 * Credential resolvers: each looks at a request's headers and answers a Principal, nothing
 * (this scheme was not used), or throws user:badAuth (it was used, wrongly).
 */
import { HearthError } from '../errors.js';
import type { CredentialKind, Principal } from './principal.js';
import { digestsEqual, hashToken } from './secrets.js';

export type Headers = Record<string, string | string[] | undefined>;
export type Resolver = (headers: Headers) => Principal | null | Promise<Principal | null>;

const OWNER_PRINCIPAL: Principal = Object.freeze({
  credential: Object.freeze({ kind: 'global' as const, id: 'authtoken' }),
  account: null,
  role: 'maintainer' as const,
  owner: true,
});

/** The global API token (seed 000), sent as `X-Hearth-Auth`: the owner's credential. */
export function globalTokenResolver(tokenDigest: Buffer): Resolver {
  return (headers) => {
    const value = headers['x-hearth-auth'];
    if (value === undefined) return null;
    if (typeof value !== 'string' || !digestsEqual(hashToken(value.trim()), tokenDigest)) {
      throw new HearthError('user:badAuth', 'the X-Hearth-Auth token is not this server\'s API token');
    }
    return OWNER_PRINCIPAL;
  };
}

/** Tries each resolver the surface accepts, in order; the first that recognises its header wins. */
export async function resolvePrincipal(
  resolvers: Map<CredentialKind, Resolver>,
  accepted: readonly CredentialKind[],
  headers: Headers,
): Promise<Principal | null> {
  for (const kind of accepted) {
    const resolver = resolvers.get(kind);
    if (!resolver) continue;
    const principal = await resolver(headers);
    if (principal) return principal;
  }
  return null;
}
