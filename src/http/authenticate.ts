/**
 * Credential resolvers, one per scheme: each looks at a request's headers and answers a
 * Principal, nothing (its scheme was not used), or throws user:badAuth (it was used, wrongly).
 * They turn a header into a Principal by asking the feature that issued the credential; what a
 * Principal may then do is decided in one place, src/auth/policy.ts.
 */
import { parse as parseCookieHeader } from 'cookie';
import { cookieName } from '../auth/cookies.js';
import type { Principal } from '../auth/principal.js';
import { digestsEqual, tokenHash } from '../auth/secrets.js';
import { knownOwner, normalizeUsername, type OwnerRef } from '../features/accounts/service.js';
import { CSRF_HEADER, SESSION_COOKIE } from '../features/console-sessions/service.js';
import { DEVICE_TOKEN_PREFIX, principalForToken } from '../features/credentials/service.js';
import { principalForRoleToken, ROLE_TOKEN_PREFIX } from '../features/role-tokens/service.js';
import { principalForVaultToken } from '../features/vault/service.js';
import { HearthError } from '../kernel/errors.js';
import type { Hearth } from '../kernel/hearth.js';
import { then } from '../store/db.js';

export type Headers = Record<string, string | string[] | undefined>;
/** What a resolver may know of a request beyond its headers. */
export interface RequestFacts {
  /** It reached the client over HTTPS (directly, or as a trusted proxy says). */
  https: boolean;
}
export type Resolver = (headers: Headers, facts: RequestFacts) => Principal | null | Promise<Principal | null>;

/**
 * The schemes a route may accept: the global token (`X-Hearth-Auth`), a login session
 * (`Authorization: Token base64(user:token)`, Bitmask), a device or role token
 * (`Authorization: Bearer`, SelfPrivacy and Swarm Bee), the console's session cookie with its
 * CSRF header (mox); and, on the Bitwarden surface alone, the vault's JWT access tokens
 * (`Authorization: Bearer`).
 */
export type Scheme = 'global' | 'token' | 'bearer' | 'cookie' | 'bitwarden';

const GLOBAL_CREDENTIAL = Object.freeze({ kind: 'global' as const, id: 'authtoken' });

/** The global token's principal before any account exists: the server owner, nobody's. */
const NAMELESS_OWNER: Principal = Object.freeze({ credential: GLOBAL_CREDENTIAL, account: null, role: 'maintainer' as const, owner: true });

/** The global token's principal once the owner's account exists: that account, still a maintainer. Made once per owner. */
let ownerPrincipal: Principal = NAMELESS_OWNER;
function principalOf(owner: OwnerRef | null): Principal {
  if (!owner) return NAMELESS_OWNER;
  if (ownerPrincipal.account?.id !== owner.id) {
    ownerPrincipal = Object.freeze({ credential: GLOBAL_CREDENTIAL, account: Object.freeze({ ...owner }), role: 'maintainer' as const, owner: true });
  }
  return ownerPrincipal;
}

/**
 * The global API token (as in Bitmask), sent as `X-Hearth-Auth`: the owner's credential. It lives in
 * a 0600 file that the CLI reads, so the daemon holds it as is and compares in constant time
 * (every request pays for this check; a hash per request would buy nothing here). Once the
 * owner's account exists the token acts as that account: `owner` answers it from memory (no
 * store round trip), and asks the store only while no owner is known.
 */
export function globalTokenResolver(token: string, owner: () => OwnerRef | null | Promise<OwnerRef | null> = () => null): Resolver {
  const expected = Buffer.from(token, 'utf8');
  return (headers) => {
    const value = headers['x-hearth-auth'];
    if (value === undefined) return null;
    const presented = typeof value === 'string' ? Buffer.from(value.trim(), 'utf8') : null;
    if (!presented || !digestsEqual(presented, expected)) {
      throw new HearthError('user:badAuth', "the X-Hearth-Auth token is not this server's API token");
    }
    const known = owner();
    return known instanceof Promise ? known.then(principalOf) : principalOf(known);
  };
}

/** `Authorization: <scheme> <value>` → value, when the scheme matches (case-insensitively). */
export function authorization(headers: Headers, scheme: string): string | null {
  const value = headers.authorization;
  if (typeof value !== 'string') return null;
  const space = value.indexOf(' ');
  if (space < 0 || value.slice(0, space).toLowerCase() !== scheme) return null;
  return value.slice(space + 1).trim();
}

/** Bitmask's local session token: `Authorization: Token base64(username:token)`. */
export function sessionTokenResolver(hearth: Hearth): Resolver {
  const bad = () => new HearthError('user:badAuth', 'the session token is wrong or has expired; log in again with bonafide/user/authenticate');
  return (headers) => {
    const value = authorization(headers, 'token');
    if (value === null) return null;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.lastIndexOf(':');
    if (colon <= 0) throw bad();
    let user: string;
    try {
      user = normalizeUsername(hearth, decoded.slice(0, colon)); // `alice` or `alice@<domain>`, as everywhere
    } catch {
      throw bad();
    }
    return then(principalForToken(hearth, 'session', decoded.slice(colon + 1)), (principal) => {
      // A console session (it has a CSRF token) is used only with it, through its cookie.
      if (!principal || principal.account?.username !== user || principal.csrfHash !== null) throw bad();
      const { csrfHash: _, ...rest } = principal;
      return rest;
    });
  };
}

/** `Authorization: Bearer hd_…` (a device token) or `Bearer hr_…` (a role token). */
export function bearerResolver(hearth: Hearth): Resolver {
  return (headers) => {
    const value = authorization(headers, 'bearer');
    if (value === null) return null;
    if (value.startsWith(ROLE_TOKEN_PREFIX)) return principalForRoleToken(hearth, value);
    if (!value.startsWith(DEVICE_TOKEN_PREFIX)) throw badBearer();
    return then(principalForToken(hearth, 'device', value), (principal) => {
      if (!principal) throw badBearer();
      return principal;
    });
  };
}
const badBearer = () => new HearthError('user:badAuth', 'the Bearer token is not a valid device or role token here');

/**
 * The console's session (mox's webauth): the `hearth_session` cookie (`__Host-hearth_session`
 * over HTTPS) and the session's CSRF token in `X-Hearth-CSRF`. No cookie: this scheme was not
 * used. A cookie without the header → user:noAuth; an unknown or expired session, or a CSRF
 * token that is not this session's (compared in constant time, by hash) → user:badAuth.
 */
export function cookieResolver(hearth: Hearth): Resolver {
  return (headers, facts) => {
    const header = headers.cookie;
    if (typeof header !== 'string') return null;
    const name = cookieName(SESSION_COOKIE, facts.https);
    const token = parseCookieHeader(header)[name];
    if (token === undefined || token === '') return null;
    const csrf = headers[CSRF_HEADER];
    if (typeof csrf !== 'string' || csrf === '') {
      throw new HearthError('user:noAuth', `console calls carry the session's CSRF token in the X-Hearth-CSRF header; log in again to get one`);
    }
    return then(principalForToken(hearth, 'session', token), (principal) => {
      if (!principal) throw new HearthError('user:badAuth', 'the session has expired or was ended; log in again');
      const { csrfHash, ...rest } = principal;
      if (csrfHash === null || !digestsEqual(Buffer.from(tokenHash(csrf), 'utf8'), Buffer.from(csrfHash, 'utf8'))) {
        throw new HearthError('user:badAuth', "the X-Hearth-CSRF token is not this session's; log in again");
      }
      return rest;
    });
  };
}

/** `Authorization: Bearer <JWT>` from a Bitwarden client: a vault access token, nothing else. */
export function vaultTokenResolver(hearth: Hearth): Resolver {
  return async (headers) => {
    const value = authorization(headers, 'bearer');
    if (value === null) return null;
    return principalForVaultToken(hearth, value);
  };
}

/** Every scheme's resolver, as the daemon wires them. */
export function resolversFor(hearth: Hearth, globalToken: string): Map<Scheme, Resolver> {
  return new Map<Scheme, Resolver>([
    ['global', globalTokenResolver(globalToken, () => knownOwner(hearth))],
    ['token', sessionTokenResolver(hearth)],
    ['bearer', bearerResolver(hearth)],
    ['cookie', cookieResolver(hearth)],
    ['bitwarden', vaultTokenResolver(hearth)],
  ]);
}

/**
 * Tries each resolver the surface accepts, in order; the first that recognises its header wins.
 * Answers synchronously while the resolvers do (the global token), so the hot path has no promise.
 */
export function resolvePrincipal(
  resolvers: Map<Scheme, Resolver>,
  accepted: readonly Scheme[],
  headers: Headers,
  facts: RequestFacts,
  from = 0,
): Principal | null | Promise<Principal | null> {
  for (let i = from; i < accepted.length; i++) {
    const resolver = resolvers.get(accepted[i]!);
    if (!resolver) continue;
    const principal = resolver(headers, facts);
    if (principal instanceof Promise) {
      return principal.then((p) => p ?? resolvePrincipal(resolvers, accepted, headers, facts, i + 1));
    }
    if (principal) return principal;
  }
  return null;
}
