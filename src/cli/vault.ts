/**
 * `hearth vault register`: makes a Bitwarden vault's keys in this process — the master key from
 * the master password (PBKDF2-SHA256 or Argon2id), a user key and an RSA key pair, wrapped — and
 * sends the daemon only what a Bitwarden client would: the master-password hash and wrapped keys.
 * The master password is read from the terminal (twice, not echoed) or from stdin, never argv
 * (the CLI's one SecretReader).
 */
import type { Kdf } from '../vault-client/crypto.js';

export const MIN_MASTER_PASSWORD = 12;

/** The KDF from the command's options, checked against what Bitwarden clients accept. */
export function kdfFromOptions(o: { kdf?: string; iterations?: string; memory?: string; parallelism?: string }): Kdf {
  const num = (v: string | undefined, name: string, dflt: number, min: number, max: number) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
  const kind = (o.kdf ?? 'pbkdf2').toLowerCase();
  if (kind === 'pbkdf2') return { kdfType: 0, iterations: num(o.iterations, 'iterations', 600_000, 5000, 2_000_000) };
  if (kind === 'argon2id' || kind === 'argon2') {
    return {
      kdfType: 1,
      iterations: num(o.iterations, 'iterations', 3, 2, 10),
      memory: num(o.memory, 'memory', 64, 16, 1024),
      parallelism: num(o.parallelism, 'parallelism', 4, 1, 16),
    };
  }
  throw new Error('--kdf must be pbkdf2 or argon2id');
}
