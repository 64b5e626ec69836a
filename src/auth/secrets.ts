import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh random secret of `bytes` bytes (at least 32 for tokens), hex-encoded. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('hex');
}

/** Constant-time comparison (lengths are not secret: tokens and digests have fixed sizes). */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
