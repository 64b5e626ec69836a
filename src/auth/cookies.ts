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
