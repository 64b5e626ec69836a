/**
 * Pairing a new device (SelfPrivacy's new-device phrase) and recovery tokens: one-time phrases
 * that a device trades for a device token of its own, under the failed-login limits.
 */
import { ownScope } from '../../auth/ownership.js';
import type { Principal } from '../../auth/principal.js';
import type { Role } from '../../auth/roles.js';
import { badRequest, notFound } from '../../kernel/errors.js';
import type { Hearth } from '../../kernel/hearth.js';
import { isoOrNull } from '../../store/db.js';
import { createDevice } from '../credentials/service.js';
import { guarded, type From } from '../limits/service.js';
import { consumeSecret, deleteOwnedSecrets, deleteSecret, findOwnedSecret, newPhrase, replaceSecret } from '../one-time-secrets/service.js';

export const PAIRING_TTL_MS = 10 * 60_000;

// ---- new-device pairing --------------------------------------------------------------------

/**
 * A pairing phrase (SelfPrivacy's POST /auth/new_device): 16 random bytes as 12 BIP39 words,
 * valid 10 minutes, single use; a new one replaces the caller's previous one.
 */
export async function newPairing(h: Hearth, principal: Principal): Promise<{ token: string; expires_at: string; expires_in: number; link: string | null }> {
  const words = newPhrase(16);
  const now = h.clock.now();
  const expiresAt = now + PAIRING_TTL_MS;
  await replaceSecret(h.store.db, { kind: 'pairing', accountId: ownScope(principal), role: principal.role, secret: words, now, expiresAt, uses: 1 });
  // expires_in (seconds) lets a client count down whatever its own clock says.
  return { token: words, expires_at: new Date(expiresAt).toISOString(), expires_in: PAIRING_TTL_MS / 1000, link: pairingLink(h, words) };
}

/**
 * What a new device scans: `hearth://pair?url=<public URL>&fp=<hex>&words=<phrase>`. `fp` is the
 * SHA-256 of the local CA, or of the served certificate, that the device pins; left out when this
 * daemon serves no HTTPS itself (a TLS proxy in front: the device checks that one's certificate as
 * usual). Null before anything listens.
 */
export function pairingLink(h: Hearth, words: string): string | null {
  const url = h.publicUrl;
  if (!url) return null;
  const params = new URLSearchParams({ url });
  const fp = h.tls?.ca_cert_fingerprint.replace(/^SHA256:\s*/, '');
  if (fp && url.startsWith('https://')) params.set('fp', fp);
  params.set('words', words);
  return `hearth://pair?${params.toString()}`;
}

export async function cancelPairing(h: Hearth, principal: Principal): Promise<void> {
  await deleteOwnedSecrets(h.store.db, 'pairing', ownScope(principal));
}

/** Spends a phrase of `kind` for a new device token, under the failed-login limits; else 404. */
async function redeem(h: Hearth, kind: 'pairing' | 'recovery', p: { token: string; device: string }, from: From): Promise<{ name: string; token: string }> {
  return guarded(
    h,
    { ...from, username: `(${kind} phrase)`, accountId: null },
    () =>
      h.store.db.transaction().execute(async (tx) => {
        const row = await consumeSecret(tx, kind, p.token, h.clock.now());
        if (!row) return null;
        if (kind === 'pairing') await deleteSecret(tx, row.id);
        return createDevice(h, tx, row.account_id, row.role as Role, p.device);
      }),
    () => notFound(kind === 'pairing' ? 'the pairing phrase is wrong, expired or used' : 'the recovery token is wrong, expired or used up'),
  );
}

/** A new device presents the phrase and its name (SelfPrivacy's /auth/new_device/authorize). */
export const authorizeDevice = (h: Hearth, p: { token: string; device: string }, from: From) => redeem(h, 'pairing', p, from);

// ---- recovery tokens -----------------------------------------------------------------------

/** SelfPrivacy's format: `%Y-%m-%dT%H:%M:%S.%fZ` (1–6 fraction digits), UTC. */
const EXPIRATION = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{1,6})Z$/;

export function parseExpiration(h: Hearth, raw: string): number {
  const m = EXPIRATION.exec(raw);
  const ms = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, Math.floor(Number(`0.${m[7]}`) * 1000)) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).getUTCDate() !== +m[3]! || +m[4]! > 23 || +m[5]! > 59 || +m[6]! > 59) {
    throw badRequest(`expiration must be a UTC time like 2026-12-31T23:59:59.000000Z; got ${JSON.stringify(raw)}`);
  }
  if (ms <= h.clock.now()) throw badRequest(`expiration ${raw} is in the past`);
  return ms;
}

/** Uses of a recovery token created without a limit: large enough never to run out. */
const UNLIMITED = 2 ** 31 - 1;

/** Recovery token (SelfPrivacy): 24 random bytes as 18 words; replaces any existing one. */
export async function createRecovery(h: Hearth, principal: Principal, p: { expiration?: string | null; uses?: number | null }): Promise<{ token: string }> {
  const expiresAt = p.expiration ? parseExpiration(h, p.expiration) : null;
  if (p.uses !== undefined && p.uses !== null && (!Number.isInteger(p.uses) || p.uses < 1))
    throw badRequest(`uses must be a whole number of at least 1; got ${p.uses}`);
  const words = newPhrase(24);
  await replaceSecret(h.store.db, {
    kind: 'recovery',
    accountId: ownScope(principal),
    role: principal.role,
    secret: words,
    now: h.clock.now(),
    expiresAt,
    uses: p.uses ?? UNLIMITED,
  });
  return { token: words };
}

export async function recoveryStatus(h: Hearth, principal: Principal) {
  const row = await findOwnedSecret(h.store.db, 'recovery', ownScope(principal));
  if (!row) return { exists: false, valid: false, date: null, expiration: null, uses_left: null };
  const now = h.clock.now();
  return {
    exists: true,
    valid: row.uses_left > 0 && (row.expires_at === null || row.expires_at > now),
    date: new Date(row.created_at).toISOString(),
    expiration: isoOrNull(row.expires_at),
    uses_left: row.uses_left > UNLIMITED / 2 ? null : row.uses_left,
  };
}

/** Spends one use of the recovery token for a new device token (SelfPrivacy's /use). */
export const useRecovery = (h: Hearth, p: { token: string; device: string }, from: From) => redeem(h, 'recovery', p, from);
