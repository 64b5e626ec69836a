/**
 * Device cookies (OWASP's "Slow Down Online Guessing Attacks with Device Cookies"): after a
 * successful sign-in the client gets `v1.<account>.<issued>.<nonce>.<mac>`, the MAC an
 * HMAC-SHA256 under a key derived from the server's token secret (replicas share it). A sign-in
 * to that account presenting it is spared the per-address limits, so a stranger behind the same
 * address (a NAT) cannot lock the owner out; its failures count against the cookie instead.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header API clients send it in and get a new one back in; browsers keep the cookie. */
export const DEVICE_HEADER = 'x-hearth-device-cookie';
export const DEVICE_COOKIE = 'hearth_device';
/** How long a device cookie is honoured after it was issued (every sign-in issues a new one). */
export const DEVICE_COOKIE_MAX_AGE_S = 365 * 86_400;

/** A sign-in's device cookie: the one presented, if any, and where a new one goes once it succeeds. */
export interface DeviceSlot {
  presented?: string;
  issue(cookie: string): void;
}

export function deriveDeviceCookieKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('hearth'), Buffer.from('device cookies: hmac-sha256 v1'), 32));
}

const mac = (key: Buffer, body: string) => createHmac('sha256', key).update(body, 'utf8').digest();

/** A new device cookie for `accountId`, issued at `now` (ms). */
export function issueDeviceCookie(key: Buffer, accountId: string, now: number): string {
  const body = `v1.${Buffer.from(accountId, 'utf8').toString('base64url')}.${Math.floor(now / 1000)}.${randomBytes(16).toString('base64url')}`;
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/** The cookie's nonce when it is genuine, for `accountId`, and not too old; else null. */
export function verifyDeviceCookie(key: Buffer, cookie: string | undefined, accountId: string, now: number): string | null {
  if (key.length === 0 || !cookie || cookie.length > 300) return null;
  const parts = cookie.split('.');
  if (parts.length !== 5 || parts[0] !== 'v1') return null;
  const body = parts.slice(0, 4).join('.');
  const given = Buffer.from(parts[4]!, 'base64url');
  const want = mac(key, body);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return null;
  if (Buffer.from(parts[1]!, 'base64url').toString('utf8') !== accountId) return null;
  const issued = Number(parts[2]) * 1000;
  if (!Number.isFinite(issued) || issued > now + 60_000 || now - issued > DEVICE_COOKIE_MAX_AGE_S * 1000) return null;
  return parts[3]!;
}
