/**
 * How Hearth's cookies are named and sent. Over HTTPS a cookie gets the `__Host-` prefix, which
 * browsers accept only with Secure, Path=/ and no Domain: no other host (a sibling subdomain) can
 * set or shadow it. Over plain HTTP (a laptop's loopback) the plain name is used.
 */
export function cookieName(name: string, https: boolean): string {
  return https ? `__Host-${name}` : name;
}

/** The attributes of every cookie Hearth sets: script-proof, same-site only, for the whole console. */
export function cookieAttributes(https: boolean, maxAge?: number) {
  return {
    httpOnly: true,
    sameSite: 'strict' as const,
    path: '/',
    secure: https,
    ...(maxAge !== undefined ? { maxAge } : {}),
  };
}

/**
 * Cookies as the core sees them: by their plain names (`hearth_session`). The surface chooses
 * the name on the wire and the attributes (above): HttpOnly, SameSite=Strict, Path=/, and Secure
 * with the `__Host-` prefix when the request came over HTTPS.
 */
export interface CookieJar {
  get(name: string): string | undefined;
  /** `maxAge` in seconds; without it the cookie ends with the browser session. */
  set(name: string, value: string, opts?: { maxAge?: number }): void;
  clear(name: string): void;
}
