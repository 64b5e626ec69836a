import { hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** A fresh random secret of `bytes` bytes (at least 32 for tokens), hex-encoded. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('hex');
}

/** A fresh random secret of `bytes` bytes, base64url-encoded (shorter on the wire than hex). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** An id for a stored row: random, so it tells nothing about order or count. */
export const newId = (): string => randomUUID();

/**
 * What the store keeps of a token: its SHA-256, hex. Tokens are 16+ random bytes, so a plain
 * hash is enough (nothing to brute-force), and it makes lookup by index possible.
 */
export function tokenHash(token: string): string {
  return hash('sha256', token, 'hex'); // one-shot: a third of createHash()'s cost, on every request with a token
}

/** Constant-time comparison (lengths are not secret: tokens and digests have fixed sizes). */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time equality of two strings of hex or base64 text. */
export function secretsEqual(a: string, b: string): boolean {
  return digestsEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
