/**
 * Credential resolvers: each looks at a request's headers and answers a Principal, nothing
 * (this scheme was not used), or throws user:badAuth (it was used, wrongly).
 */
import { HearthError } from '../errors.js';
import type { CredentialKind, Principal } from './principal.js';
import { digestsEqual } from './secrets.js';

export type Headers = Record<string, string | string[] | undefined>;
export type Resolver = (headers: Headers) => Principal | null | Promise<Principal | null>;

const OWNER_PRINCIPAL: Principal = Object.freeze({
  credential: Object.freeze({ kind: 'global' as const, id: 'authtoken' }),
  account: null,
  role: 'maintainer' as const,
  owner: true,
});

/**
 * The global API token (as in Bitmask), sent as `X-Hearth-Auth`: the owner's credential. It lives in
 * a 0600 file that the CLI reads, so the daemon holds it as is and compares in constant time
 * (every request pays for this check; a hash per request would buy nothing here).
 */
export function globalTokenResolver(token: string): Resolver {
  const expected = Buffer.from(token, 'utf8');
  return (headers) => {
    const value = headers['x-hearth-auth'];
    if (value === undefined) return null;
    const presented = typeof value === 'string' ? Buffer.from(value.trim(), 'utf8') : null;
    if (!presented || !digestsEqual(presented, expected)) {
      throw new HearthError('user:badAuth', 'the X-Hearth-Auth token is not this server\'s API token');
    }
    return OWNER_PRINCIPAL;
  };
}

/**
 * Tries each resolver the surface accepts, in order; the first that recognises its header wins.
 * Answers synchronously while the resolvers do (the global token), so the hot path has no promise.
 */
export function resolvePrincipal(
  resolvers: Map<CredentialKind, Resolver>,
  accepted: readonly CredentialKind[],
  headers: Headers,
  from = 0,
): Principal | null | Promise<Principal | null> {
  for (let i = from; i < accepted.length; i++) {
    const resolver = resolvers.get(accepted[i]!);
    if (!resolver) continue;
    const principal = resolver(headers);
    if (principal instanceof Promise) {
      return principal.then((p) => p ?? resolvePrincipal(resolvers, accepted, headers, i + 1));
    }
    if (principal) return principal;
  }
  return null;
}
