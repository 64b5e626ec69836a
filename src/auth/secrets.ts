import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh random secret of `bytes` bytes (at least 32 for tokens), hex-encoded. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('hex');
}

/** SHA-256 of a token: the only form a token is kept in. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time comparison (lengths are not secret: tokens and digests have fixed sizes). */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
